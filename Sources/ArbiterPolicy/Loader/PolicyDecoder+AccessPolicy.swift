extension PolicyDecoder {
    /// Decodes an `AccessPolicy`, or returns nil after recording every problem it has (each field,
    /// subject and rule, not only the first) in ``errors``. Our own kind is decoded strictly: an
    /// unknown field is an error (a misspelt `except` must not silently drop a break-glass
    /// exemption).
    mutating func decodeAccessPolicy(
        _ fields: [(key: String?, keyNode: Int32, value: Int32)], at index: Int32
    ) -> AccessPolicy? {
        var problems: [PolicyError] = []
        var name = ""
        // Whether `metadata.name` was written (even if wrongly): only then is "has no" wrong.
        var nameWritten = false
        var spec: Int32? = nil
        var metadataEntries: [(key: String?, keyNode: Int32, value: Int32)] = []
        for field in fields {
            problems += Self.failure { () throws(PolicyError) in
                switch field.key {
                case "apiVersion", "kind": break
                case "metadata":
                    // A `metadata` of the wrong type is its own error, not also a missing name.
                    nameWritten = true
                    metadataEntries = try reader.mapping(field.value, "`metadata`")
                    nameWritten = false
                case "spec": spec = field.value
                default: throw unknownField(field.keyNode, in: "AccessPolicy")
                }
            }
        }
        // Entry by entry, so that a wrong namespace does not hide the name.
        for entry in metadataEntries {
            problems += Self.failure { () throws(PolicyError) in
                switch entry.key {
                case "name":
                    nameWritten = true
                    name = try reader.string(entry.value, "`metadata.name`") ?? ""
                    if name.isEmpty { nameWritten = false }
                case "namespace":
                    if let namespace = try reader.string(entry.value, "`metadata.namespace`"), !namespace.isEmpty {
                        throw PolicyError(
                            .invalidValue, "AccessPolicy is cluster-scoped; use `spec.namespaces` instead of `metadata.namespace`",
                            at: reader.location(entry.value))
                    }
                default: break
                }
            }
        }
        let at = reader.location(index)
        if !nameWritten {
            problems.append(PolicyError(.missingField, "AccessPolicy has no `metadata.name`", at: at))
        }
        let described = name.isEmpty ? "AccessPolicy" : "AccessPolicy `\(name)`"
        // `spec:` with nothing under it (often a lost indentation) is no spec, one error.
        guard let spec, !reader.isNull(spec) else {
            problems.append(PolicyError(.missingField, "\(described) has no `spec`", at: at))
            errors.append(contentsOf: problems)
            return nil
        }

        var effect: AccessPolicy.Effect? = nil
        var subjects: [SubjectPattern] = []
        var except: [SubjectPattern] = []
        var namespaces: [String]? = nil
        var rules: [PolicyRule] = []
        // Written (even wrongly, or with every item failing): then "has no" would be a second,
        // wrong error. An empty list is "has no".
        var effectWritten = false
        var hasSubjects = false
        var hasRules = false
        var rulesNode: Int32? = nil
        let specFields: [(key: String?, keyNode: Int32, value: Int32)]
        do throws(PolicyError) {
            specFields = try reader.mapping(spec, "`spec`")
        } catch {
            errors.append(contentsOf: problems + [error])
            return nil
        }
        for field in specFields {
            // Assigned, then added: the field's own closure adds its items' problems meanwhile.
            let fieldProblems = Self.failure { () throws(PolicyError) in
                switch field.key {
                case "effect":
                    effectWritten = true
                    let text = try reader.string(field.value, "`spec.effect`") ?? ""
                    if text.isEmpty {
                        effectWritten = false  // `effect:` or `effect: ""`: "has no", below
                        break
                    }
                    guard let parsed = AccessPolicy.Effect(rawValue: text) else {
                        throw PolicyError(
                            .invalidValue, "`spec.effect` must be `Allow` or `Deny`, not `\(text)`", at: reader.location(field.value))
                    }
                    effect = parsed
                case "subjects":
                    // Written: a wrong type is its own error, not also a missing field.
                    hasSubjects = true
                    let nodes = try reader.list(field.value, "`spec.subjects`")
                    hasSubjects = !nodes.isEmpty
                    for node in nodes {
                        problems += Self.failure { () throws(PolicyError) in subjects.append(try decodeSubjectPattern(node)) }
                    }
                case "except":
                    for node in try reader.list(field.value, "`spec.except`") {
                        problems += Self.failure { () throws(PolicyError) in except.append(try decodeSubjectPattern(node)) }
                    }
                case "namespaces":
                    if !reader.isNull(field.value) {
                        let list = try reader.stringList(field.value, "`spec.namespaces`")
                        if list.isEmpty {
                            throw PolicyError(
                                .invalidValue, "`spec.namespaces` is empty and would match nothing; omit it to match everywhere",
                                at: reader.location(field.value))
                        }
                        // Each bad pattern, at its own position.
                        for (pattern, node) in zip(list, try reader.list(field.value, "`spec.namespaces`")) {
                            problems += Self.failure { () throws(PolicyError) in try checkPattern(pattern, "`spec.namespaces`", at: node) }
                        }
                        namespaces = list
                    }
                case "rules":
                    rulesNode = field.value
                    hasRules = true
                    let nodes = try reader.list(field.value, "`spec.rules`")
                    hasRules = !nodes.isEmpty
                    for node in nodes {
                        let decoded = decodeRule(node, allowNonResource: true)
                        if let rule = decoded.rule { rules.append(rule) }
                        problems += decoded.problems
                    }
                default:
                    throw unknownField(field.keyNode, in: "`spec`")
                }
            }
            problems += fieldProblems
        }
        if effect == nil && !effectWritten {
            problems.append(PolicyError(.missingField, "\(described) has no `spec.effect`", at: at))
        }
        if !hasSubjects {
            problems.append(PolicyError(.missingField, "\(described) has no `spec.subjects`", at: at))
        }
        if !hasRules {
            problems.append(PolicyError(.missingField, "\(described) has no `spec.rules`", at: at))
        }
        if namespaces != nil, rules.contains(where: { !$0.nonResourceURLs.isEmpty }) {
            problems.append(PolicyError(
                .invalidValue, "rules with `nonResourceURLs` never match when `spec.namespaces` is set",
                at: rulesNode.map(reader.location) ?? at))
        }
        guard problems.isEmpty, let effect else {
            errors.append(contentsOf: problems)
            return nil
        }
        return AccessPolicy(
            name: name, effect: effect, subjects: subjects, except: except, namespaces: namespaces, rules: rules,
            location: at)
    }

    private func checkPattern(_ pattern: String, _ what: String, at node: Int32) throws(PolicyError) {
        if pattern.utf8.dropLast().contains(UInt8(ascii: "*")) {
            throw PolicyError(
                .invalidValue, "`\(pattern)` in \(what): `*` is only allowed at the end (a prefix pattern)",
                at: reader.location(node))
        }
    }

    private func decodeSubjectPattern(_ index: Int32) throws(PolicyError) -> SubjectPattern {
        var kind = ""
        var name = ""
        var namespace = ""
        for field in try reader.mapping(index, "a subject") {
            switch field.key {
            case "kind": kind = try reader.string(field.value, "`kind`") ?? ""
            case "name": name = try reader.string(field.value, "`name`") ?? ""
            case "namespace": namespace = try reader.string(field.value, "`namespace`") ?? ""
            case "apiGroup": _ = try reader.string(field.value, "`apiGroup`")
            default: throw unknownField(field.keyNode, in: "a subject")
            }
        }
        let at = reader.location(index)
        guard !name.isEmpty else { throw PolicyError(.missingField, "subject has no `name`", at: at) }
        try checkPattern(name, "a subject name", at: index)
        try checkPattern(namespace, "a subject namespace", at: index)
        switch kind {
        case "User", "Group":
            if !namespace.isEmpty {
                throw PolicyError(.invalidValue, "a \(kind) subject has no `namespace`", at: at)
            }
            return SubjectPattern(kind: kind == "User" ? .user : .group, name: name)
        case "ServiceAccount":
            guard !namespace.isEmpty else {
                throw PolicyError(.missingField, "a ServiceAccount subject needs a `namespace` (`*` for any)", at: at)
            }
            return SubjectPattern(kind: .serviceAccount, name: name, namespace: namespace)
        default:
            throw PolicyError(.invalidValue, "subject kind `\(kind)` is not `User`, `Group` or `ServiceAccount`", at: at)
        }
    }
}
