// MARK: - Decoding `spec` and `status`

extension SubjectAccessReview.Spec {
    /// Reads `spec`, or returns `nil` for `null`.
    static func read(
        from reader: inout JSONReader, groupsKey: GroupsKey, deferred: inout DeferredGroups
    ) throws(ReviewDecodingError) -> Self? {
        let context = JSONContext("spec")
        guard try reader.beginObject(context) else { return nil }
        var spec = Self()
        var state = JSONObjectState()
        while let key = try reader.nextKey(&state, context) {
            if key.matches("user") {
                try reader.markKnown(0, key, &state, context)
                spec.user = try reader.readString(JSONContext("spec.user")) ?? ""
            } else if key.matches("groups") {
                try reader.markKnown(1, key, &state, context)
                try readGroups(&spec, from: &reader, key, active: groupsKey == .groups, deferTo: &deferred.groups, groupsKey)
            } else if key.matches("group") {
                try reader.markKnown(2, key, &state, context)
                try readGroups(&spec, from: &reader, key, active: groupsKey == .group, deferTo: &deferred.group, groupsKey)
            } else if key.matches("resourceAttributes") {
                try reader.markKnown(3, key, &state, context)
                spec.resourceAttributes = try SubjectAccessReview.ResourceAttributes.read(from: &reader)
            } else if key.matches("nonResourceAttributes") {
                try reader.markKnown(4, key, &state, context)
                spec.nonResourceAttributes = try SubjectAccessReview.NonResourceAttributes.read(from: &reader)
            } else if key.matches("extra") {
                try reader.markKnown(5, key, &state, context)
                spec.extra = try readExtra(from: &reader)
            } else if key.matches("uid") {
                try reader.markKnown(6, key, &state, context)
                spec.uid = try reader.readString(JSONContext("spec.uid")) ?? ""
            } else {
                try reader.skipMember(key, &state, context)
            }
        }
        return spec
    }

    /// Reads the group list under `key` when it is the active key, skips it as an unknown field
    /// when the other key is, and remembers where it is when the version is not known yet.
    private static func readGroups(
        _ spec: inout Self, from reader: inout JSONReader, _ key: JSONKey, active: Bool,
        deferTo slot: inout (offset: Int, depth: Int)?, _ groupsKey: GroupsKey
    ) throws(ReviewDecodingError) {
        if active {
            let context = key.count == 6 ? JSONContext("spec.groups") : JSONContext("spec.group")
            spec.groups = try reader.readStringArray(context) ?? []
            return
        }
        if groupsKey == .undecided { slot = (reader.index, reader.depth) }
        try reader.skipValue(JSONContext("spec").member(key))
    }

    /// Reads `spec.extra`: an object of string arrays; `null` values read as empty lists.
    private static func readExtra(from reader: inout JSONReader) throws(ReviewDecodingError) -> [SubjectAccessReview.ExtraEntry] {
        let context = JSONContext("spec.extra")
        guard try reader.beginObject(context) else { return [] }
        var entries: [SubjectAccessReview.ExtraEntry] = []
        var state = JSONObjectState()
        while let key = try reader.nextKey(&state, context) {
            try reader.markOther(key, &state, context)
            // The key may live in the scratch buffer: make it a String before reading values.
            let name = reader.makeString(key.pointer, key.count)
            let values = try reader.readStringArray(context.member(key)) ?? []
            entries.append(SubjectAccessReview.ExtraEntry(key: name, values: values))
        }
        return entries
    }
}

extension SubjectAccessReview.ResourceAttributes {
    /// Reads `spec.resourceAttributes`, or returns `nil` for `null`.
    static func read(from reader: inout JSONReader) throws(ReviewDecodingError) -> Self? {
        let context = JSONContext("spec.resourceAttributes")
        guard try reader.beginObject(context) else { return nil }
        var attributes = Self()
        var state = JSONObjectState()
        while let key = try reader.nextKey(&state, context) {
            if key.matches("namespace") {
                try reader.markKnown(0, key, &state, context)
                attributes.namespace = try reader.readString(context.child("namespace")) ?? ""
            } else if key.matches("verb") {
                try reader.markKnown(1, key, &state, context)
                attributes.verb = try reader.readString(context.child("verb")) ?? ""
            } else if key.matches("group") {
                try reader.markKnown(2, key, &state, context)
                attributes.group = try reader.readString(context.child("group")) ?? ""
            } else if key.matches("version") {
                try reader.markKnown(3, key, &state, context)
                attributes.version = try reader.readString(context.child("version")) ?? ""
            } else if key.matches("resource") {
                try reader.markKnown(4, key, &state, context)
                attributes.resource = try reader.readString(context.child("resource")) ?? ""
            } else if key.matches("subresource") {
                try reader.markKnown(5, key, &state, context)
                attributes.subresource = try reader.readString(context.child("subresource")) ?? ""
            } else if key.matches("name") {
                try reader.markKnown(6, key, &state, context)
                attributes.name = try reader.readString(context.child("name")) ?? ""
            } else if key.matches("fieldSelector") {
                try reader.markKnown(7, key, &state, context)
                attributes.fieldSelector = try ReviewSelector.read(from: &reader, context.child("fieldSelector"))
            } else if key.matches("labelSelector") {
                try reader.markKnown(8, key, &state, context)
                attributes.labelSelector = try ReviewSelector.read(from: &reader, context.child("labelSelector"))
            } else {
                try reader.skipMember(key, &state, context)
            }
        }
        return attributes
    }
}

extension SubjectAccessReview.NonResourceAttributes {
    /// Reads `spec.nonResourceAttributes`, or returns `nil` for `null`.
    static func read(from reader: inout JSONReader) throws(ReviewDecodingError) -> Self? {
        let context = JSONContext("spec.nonResourceAttributes")
        guard try reader.beginObject(context) else { return nil }
        var attributes = Self()
        var state = JSONObjectState()
        while let key = try reader.nextKey(&state, context) {
            if key.matches("path") {
                try reader.markKnown(0, key, &state, context)
                attributes.path = try reader.readString(context.child("path")) ?? ""
            } else if key.matches("verb") {
                try reader.markKnown(1, key, &state, context)
                attributes.verb = try reader.readString(context.child("verb")) ?? ""
            } else {
                try reader.skipMember(key, &state, context)
            }
        }
        return attributes
    }
}

extension SubjectAccessReview.Status {
    /// Reads `status`, or returns `nil` for `null`.
    static func read(from reader: inout JSONReader) throws(ReviewDecodingError) -> Self? {
        let context = JSONContext("status")
        guard try reader.beginObject(context) else { return nil }
        var status = Self()
        var state = JSONObjectState()
        while let key = try reader.nextKey(&state, context) {
            if key.matches("allowed") {
                try reader.markKnown(0, key, &state, context)
                status.allowed = try reader.readBool(context.child("allowed")) ?? false
            } else if key.matches("denied") {
                try reader.markKnown(1, key, &state, context)
                status.denied = try reader.readBool(context.child("denied")) ?? false
            } else if key.matches("reason") {
                try reader.markKnown(2, key, &state, context)
                status.reason = try reader.readString(context.child("reason")) ?? ""
            } else if key.matches("evaluationError") {
                try reader.markKnown(3, key, &state, context)
                status.evaluationError = try reader.readString(context.child("evaluationError")) ?? ""
            } else {
                try reader.skipMember(key, &state, context)
            }
        }
        return status
    }
}
