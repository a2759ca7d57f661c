// MARK: - Decoding `spec` and `status`

extension SubjectAccessReview.Spec {
    /// Reads `spec` into `self`, which is empty; `null` leaves it empty.
    mutating func read(
        from reader: inout JSONReader,
        groupsKey: GroupsKey,
        deferred: inout DeferredGroups
    ) throws(ReviewDecodingError) {
        let context = JSONContext("spec")
        guard try reader.beginObject(context) else { return }
        var state = JSONObjectState()
        while let key = try reader.nextKey(&state, context) {
            if key.matches("user") {
                try reader.markKnown(0, key, &state, context)
                user = try reader.readString(JSONContext("spec.user")) ?? ""
            } else if key.matches("groups") {
                try reader.markKnown(1, key, &state, context)
                try Self.readGroups(
                    &self,
                    from: &reader,
                    key,
                    active: groupsKey == .groups,
                    deferTo: &deferred.groups,
                    groupsKey
                )
            } else if key.matches("group") {
                try reader.markKnown(2, key, &state, context)
                try Self.readGroups(
                    &self,
                    from: &reader,
                    key,
                    active: groupsKey == .group,
                    deferTo: &deferred.group,
                    groupsKey
                )
            } else if key.matches("resourceAttributes") {
                try reader.markKnown(3, key, &state, context)
                var attributes = SubjectAccessReview.ResourceAttributes()
                if try attributes.read(from: &reader) { resourceAttributes = attributes }
            } else if key.matches("nonResourceAttributes") {
                try reader.markKnown(4, key, &state, context)
                nonResourceAttributes = try SubjectAccessReview.NonResourceAttributes.read(from: &reader)
            } else if key.matches("extra") {
                try reader.markKnown(5, key, &state, context)
                extraStorage = try Self.validateExtra(from: &reader)
            } else if key.matches("uid") {
                try reader.markKnown(6, key, &state, context)
                uid = try reader.readString(JSONContext("spec.uid")) ?? ""
            } else {
                try reader.skipMember(key, &state, context)
            }
        }
    }

    /// Reads the group list under `key` when it is the active key, skips it as an unknown field
    /// when the other key is, and remembers where it is when the version is not known yet.
    private static func readGroups(
        _ spec: inout Self,
        from reader: inout JSONReader,
        _ key: JSONKey,
        active: Bool,
        deferTo slot: inout (offset: Int, depth: Int)?,
        _ groupsKey: GroupsKey
    ) throws(ReviewDecodingError) {
        if active {
            let context = key.count == 6 ? JSONContext("spec.groups") : JSONContext("spec.group")
            spec.groups = try reader.readStringArray(context) ?? []
            return
        }
        if groupsKey == .undecided { slot = (reader.index, reader.depth) }
        try reader.skipValue(JSONContext("spec").member(key))
    }

    /// Checks `spec.extra` exactly as ``readExtra(from:)`` reads it (same rules, same errors) and
    /// keeps a copy of its bytes for ``ExtraStorage`` instead of building the entries.
    private static func validateExtra(from reader: inout JSONReader) throws(ReviewDecodingError) -> ExtraStorage {
        let context = JSONContext("spec.extra")
        guard try reader.beginObject(context) else { return .entries([]) }
        let start = reader.index - 1
        var count = 0
        var state = JSONObjectState()
        while let key = try reader.nextKey(&state, context) {
            try reader.markOther(key, &state, context)
            try reader.skipStringArray(context.member(key))
            count += 1
        }
        guard count > 0 else { return .entries([]) }
        return .json(Array(UnsafeBufferPointer(start: reader.base + start, count: reader.index - start)), count: count)
    }

    /// Reads `spec.extra`: an object of string arrays; `null` values read as empty lists.
    static func readExtra(
        from reader: inout JSONReader
    ) throws(ReviewDecodingError) -> [SubjectAccessReview.ExtraEntry] {
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
    /// Reads `spec.resourceAttributes` into `self`, which is empty; returns `false` for `null`.
    mutating func read(from reader: inout JSONReader) throws(ReviewDecodingError) -> Bool {
        let context = JSONContext("spec.resourceAttributes")
        guard try reader.beginObject(context) else { return false }
        var state = JSONObjectState()
        while let key = try reader.nextKey(&state, context) {
            if key.matches("namespace") {
                try reader.markKnown(0, key, &state, context)
                namespace = try reader.readString(JSONContext("spec.resourceAttributes.namespace")) ?? ""
            } else if key.matches("verb") {
                try reader.markKnown(1, key, &state, context)
                verb = try reader.readString(JSONContext("spec.resourceAttributes.verb")) ?? ""
            } else if key.matches("group") {
                try reader.markKnown(2, key, &state, context)
                group = try reader.readString(JSONContext("spec.resourceAttributes.group")) ?? ""
            } else if key.matches("version") {
                try reader.markKnown(3, key, &state, context)
                version = try reader.readString(JSONContext("spec.resourceAttributes.version")) ?? ""
            } else if key.matches("resource") {
                try reader.markKnown(4, key, &state, context)
                resource = try reader.readString(JSONContext("spec.resourceAttributes.resource")) ?? ""
            } else if key.matches("subresource") {
                try reader.markKnown(5, key, &state, context)
                subresource = try reader.readString(JSONContext("spec.resourceAttributes.subresource")) ?? ""
            } else if key.matches("name") {
                try reader.markKnown(6, key, &state, context)
                name = try reader.readString(JSONContext("spec.resourceAttributes.name")) ?? ""
            } else if key.matches("fieldSelector") {
                try reader.markKnown(7, key, &state, context)
                fieldSelector = try ReviewSelector.read(from: &reader, isLabelSelector: false)
            } else if key.matches("labelSelector") {
                try reader.markKnown(8, key, &state, context)
                labelSelector = try ReviewSelector.read(from: &reader, isLabelSelector: true)
            } else {
                try reader.skipMember(key, &state, context)
            }
        }
        return true
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
                attributes.path = try reader.readString(JSONContext("spec.nonResourceAttributes.path")) ?? ""
            } else if key.matches("verb") {
                try reader.markKnown(1, key, &state, context)
                attributes.verb = try reader.readString(JSONContext("spec.nonResourceAttributes.verb")) ?? ""
            } else {
                try reader.skipMember(key, &state, context)
            }
        }
        return attributes
    }
}

extension SubjectAccessReview.Status {
    /// Reads `status` into `self`, which is empty; `null` leaves it empty.
    mutating func read(from reader: inout JSONReader) throws(ReviewDecodingError) {
        let context = JSONContext("status")
        guard try reader.beginObject(context) else { return }
        var state = JSONObjectState()
        while let key = try reader.nextKey(&state, context) {
            if key.matches("allowed") {
                try reader.markKnown(0, key, &state, context)
                allowed = try reader.readBool(JSONContext("status.allowed")) ?? false
            } else if key.matches("denied") {
                try reader.markKnown(1, key, &state, context)
                denied = try reader.readBool(JSONContext("status.denied")) ?? false
            } else if key.matches("reason") {
                try reader.markKnown(2, key, &state, context)
                reason = try reader.readString(JSONContext("status.reason")) ?? ""
            } else if key.matches("evaluationError") {
                try reader.markKnown(3, key, &state, context)
                evaluationError = try reader.readString(JSONContext("status.evaluationError")) ?? ""
            } else {
                try reader.skipMember(key, &state, context)
            }
        }
    }
}
