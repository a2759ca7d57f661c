public import ArbiterPolicy

/// Requests aimed at one policy set: mostly built from the strings it mentions, so that rules
/// and subjects match, plus near misses (one byte more or less, another case, a canonically
/// equivalent spelling) and strings from the vocabulary.
public struct RequestGenerator {
    var verbs: [String] = []
    var groups: [String] = []
    var resources: [(String, String)] = []
    var names: [String] = []
    var urls: [String] = []
    var users: [String] = []
    var userGroups: [String] = []
    var namespaces: [String] = []
    /// Who a binding or policy grants to (a user or a group), where, and with which rules: the
    /// material of requests aimed straight at one grant.
    var targets: [(user: String?, group: String?, namespace: String, rules: [PolicyRule])] = []

    public init(_ set: PolicySet) {
        let rules = set.roles.flatMap(\.rules) + set.accessPolicies.flatMap(\.rules)
        for rule in rules {
            verbs += rule.verbs
            groups += rule.apiGroups
            names += rule.resourceNames
            urls += rule.nonResourceURLs
            for resource in rule.resources {
                let parts = resource.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
                resources.append((String(parts[0]), parts.count > 1 ? String(parts[1]) : ""))
            }
        }
        func addSubject(_ subject: Subject, _ bindingNamespace: String) {
            switch subject.kind {
            case .user: users.append(subject.name)
            case .group: userGroups.append(subject.name)
            case .serviceAccount:
                let namespace = subject.namespace.isEmpty ? bindingNamespace : subject.namespace
                users.append(ServiceAccountName.userName(namespace: namespace, name: subject.name))
                namespaces.append(namespace)
            }
        }
        for binding in set.bindings {
            if !binding.namespace.isEmpty { namespaces.append(binding.namespace) }
            for subject in binding.subjects { addSubject(subject, binding.namespace) }
            // The role's rules as written (aggregation ignored: near enough for aiming).
            let role = set.roles.first {
                $0.kind == binding.roleRef.kind && $0.name.bytesEqual(binding.roleRef.name)
                    && ($0.kind == .clusterRole || $0.namespace.bytesEqual(binding.namespace))
            }
            var rules = role?.rules ?? []
            if let role, role.aggregationRule != nil { rules = set.roles.filter { $0.kind == .clusterRole }.flatMap(\.rules) }
            for subject in binding.subjects {
                switch subject.kind {
                case .user: targets.append((subject.name, nil, binding.namespace, rules))
                case .group: targets.append((nil, subject.name, binding.namespace, rules))
                case .serviceAccount:
                    let namespace = subject.namespace.isEmpty ? binding.namespace : subject.namespace
                    targets.append((ServiceAccountName.userName(namespace: namespace, name: subject.name), nil, binding.namespace, rules))
                }
            }
        }
        func literal(_ pattern: String) -> String {
            Pattern.isPattern(pattern) ? String(decoding: pattern.utf8.dropLast(), as: UTF8.self) : pattern
        }
        for policy in set.accessPolicies {
            for subject in policy.subjects + policy.except {
                switch subject.kind {
                case .user: users.append(literal(subject.name))
                case .group: userGroups.append(literal(subject.name))
                case .serviceAccount:
                    users.append(ServiceAccountName.userName(namespace: literal(subject.namespace), name: literal(subject.name)))
                    namespaces.append(literal(subject.namespace))
                }
            }
            for namespace in policy.namespaces ?? [] { namespaces.append(literal(namespace)) }
            for subject in policy.subjects {
                let namespace = literal(policy.namespaces?.first ?? "")
                switch subject.kind {
                case .user: targets.append((literal(subject.name), nil, namespace, policy.rules))
                case .group: targets.append((nil, literal(subject.name), namespace, policy.rules))
                case .serviceAccount:
                    let user = ServiceAccountName.userName(namespace: literal(subject.namespace), name: literal(subject.name))
                    targets.append((user, nil, namespace, policy.rules))
                }
            }
        }
        for role in set.roles where !role.namespace.isEmpty { namespaces.append(role.namespace) }
    }

    /// A variation of `value` that should usually not match where `value` does.
    static func nearMiss(_ value: String, _ rng: inout SplitMix64) -> String {
        for (a, b) in PolicyVocabulary.equivalentPairs + PolicyVocabulary.lookalikePairs {
            if value.utf8.elementsEqual(a.utf8) { return b }
            if value.utf8.elementsEqual(b.utf8) { return a }
        }
        switch rng.below(7) {
        case 0: return value + rng.pick(["x", "/", ":", "*", "/x", "/../api", "\u{301}"])
        case 1:
            var scalars = Array(value.unicodeScalars)
            if !scalars.isEmpty { scalars.removeLast() }
            var out = String.UnicodeScalarView()
            out.append(contentsOf: scalars)
            return String(out)
        case 2: return value.uppercased()
        case 3: return String(value.reversed())
        case 4: return "/" + value
        case 5:
            // Swap the first K or é for its equivalent spelling.
            var out = ""
            var swapped = false
            for scalar in value.unicodeScalars {
                if !swapped && scalar == "K" { out += "\u{212A}"; swapped = true }
                else if !swapped && scalar == "é" { out += "e\u{301}"; swapped = true }
                else { out.unicodeScalars.append(scalar) }
            }
            return out
        default: return ""
        }
    }

    /// 60% from `mentioned`, 25% from `vocabulary`, 15% a near miss of either.
    static func draw(_ mentioned: [String], _ vocabulary: [String], _ rng: inout SplitMix64) -> String {
        let roll = rng.below(100)
        if roll < 60 && !mentioned.isEmpty { return rng.pick(mentioned) }
        if roll < 85 || (mentioned.isEmpty && vocabulary.isEmpty) { return rng.pick(vocabulary) }
        return nearMiss(rng.pick(mentioned.isEmpty || rng.chance(50) ? vocabulary : mentioned), &rng)
    }

    public func request(_ rng: inout SplitMix64) -> AccessRequest {
        if !targets.isEmpty && rng.chance(40) { return aimed(rng.pick(targets), &rng) }
        return scattered(&rng)
    }

    /// A request built from one grant: its subject, namespace and one of its rules, each part
    /// sometimes replaced by a near miss.
    func aimed(
        _ target: (user: String?, group: String?, namespace: String, rules: [PolicyRule]), _ rng: inout SplitMix64
    ) -> AccessRequest {
        func maybe(_ value: String, _ vocabulary: [String]) -> String {
            rng.chance(85) ? value : Self.draw([value], vocabulary, &rng)
        }
        func concrete(_ value: String, _ vocabulary: [String]) -> String {
            value == "*" && rng.chance(80) ? rng.pick(vocabulary) : value
        }
        let user = target.user.map { maybe($0, PolicyVocabulary.users) } ?? Self.draw(users, PolicyVocabulary.users, &rng)
        var groups = (0..<rng.int(0...2)).map { _ in Self.draw(userGroups, PolicyVocabulary.groups, &rng) }
        if let group = target.group { groups.insert(maybe(group, PolicyVocabulary.groups), at: rng.below(groups.count + 1)) }
        guard !target.rules.isEmpty else { return scattered(&rng) }
        let rule = rng.pick(target.rules)
        let verb = rule.verbs.isEmpty ? "get" : maybe(concrete(rng.pick(rule.verbs), PolicyVocabulary.verbs), PolicyVocabulary.verbs)
        if !rule.nonResourceURLs.isEmpty && (rule.resources.isEmpty || rng.chance(50)) {
            var path = rng.pick(rule.nonResourceURLs)
            while path.utf8.last == UInt8(ascii: "*") { path = String(decoding: path.utf8.dropLast(), as: UTF8.self) }
            if rng.chance(50) { path += rng.pick(["", "x", "/", "/etcd", "/../api", "\u{0}"]) }
            return AccessRequest(user: user, groups: groups, attributes: .nonResource(NonResourceAttributes(path: path, verb: verb)))
        }
        let group = rule.apiGroups.isEmpty ? "" : maybe(concrete(rng.pick(rule.apiGroups), PolicyVocabulary.apiGroups), PolicyVocabulary.apiGroups)
        var resource = "pods"
        var subresource = ""
        if !rule.resources.isEmpty {
            let parts = rng.pick(rule.resources).split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            resource = concrete(String(parts[0]), PolicyVocabulary.resources)
            subresource = parts.count > 1 ? concrete(String(parts[1]), PolicyVocabulary.subresources) : ""
            if rng.chance(10) { subresource = rng.chance(50) ? "" : rng.pick(PolicyVocabulary.subresources) }
        }
        let name = rule.resourceNames.isEmpty || rng.chance(15) ? (rng.chance(60) ? "" : rng.pick(PolicyVocabulary.resourceNames)) : rng.pick(rule.resourceNames)
        let namespace = rng.chance(85) ? target.namespace : Self.draw(namespaces, PolicyVocabulary.namespaces, &rng)
        return AccessRequest(
            user: user, groups: groups,
            attributes: .resource(
                ResourceAttributes(
                    namespace: namespace, verb: verb, group: group, version: "v1", resource: resource,
                    subresource: subresource, name: name)))
    }

    /// A request drawn from everything the set mentions and the vocabulary, part by part.
    func scattered(_ rng: inout SplitMix64) -> AccessRequest {
        let user = Self.draw(users, PolicyVocabulary.users + [""], &rng)
        var groups = (0..<rng.int(0...3)).map { _ in Self.draw(userGroups, PolicyVocabulary.groups, &rng) }
        if let (namespace, _) = ServiceAccountName.parse(user), rng.chance(50) {
            groups += ["system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"]
        }
        if rng.chance(75) {
            var resource: String
            var subresource: String
            if !resources.isEmpty && rng.chance(70) {
                (resource, subresource) = rng.pick(resources)
                if resource == "*" && rng.chance(70) { resource = rng.pick(PolicyVocabulary.resources) }
                if subresource == "*" && rng.chance(70) { subresource = rng.pick(PolicyVocabulary.subresources) }
                if rng.chance(20) { subresource = rng.chance(50) ? "" : rng.pick(PolicyVocabulary.subresources) }
                if rng.chance(10) { resource = Self.nearMiss(resource, &rng) }
            } else {
                resource = rng.pick(PolicyVocabulary.resources + ["*", "pods/log"])
                subresource = rng.chance(40) ? rng.pick(PolicyVocabulary.subresources) : ""
            }
            let namespace = rng.chance(30) ? "" : Self.draw(namespaces, PolicyVocabulary.namespaces + PolicyVocabulary.awkwardNamespaces, &rng)
            let name = rng.chance(35) ? "" : Self.draw(names, PolicyVocabulary.resourceNames, &rng)
            return AccessRequest(
                user: user, groups: groups,
                attributes: .resource(
                    ResourceAttributes(
                        namespace: namespace, verb: Self.draw(verbs, PolicyVocabulary.verbs, &rng),
                        group: Self.draw(self.groups, PolicyVocabulary.apiGroups, &rng), version: "v1",
                        resource: resource, subresource: subresource, name: name)))
        }
        var path: String
        if !urls.isEmpty && rng.chance(60) {
            path = rng.pick(urls)
            while path.utf8.last == UInt8(ascii: "*") && rng.chance(80) { path = String(decoding: path.utf8.dropLast(), as: UTF8.self) }
            if rng.chance(60) { path += rng.pick(["", "x", "/", "/etcd", "/../api", "/%2e%2e/api", "\u{0}", "resource", "/x/y"]) }
        } else {
            path = rng.chance(80) ? rng.pick(PolicyVocabulary.paths) : Self.nearMiss(rng.pick(PolicyVocabulary.paths), &rng)
        }
        return AccessRequest(
            user: user, groups: groups,
            attributes: .nonResource(NonResourceAttributes(path: path, verb: Self.draw(verbs, PolicyVocabulary.verbs, &rng))))
    }
}

extension AccessRequest {
    /// A Swift-literal-like rendering with every non-ASCII scalar escaped, for failure messages.
    public var debugText: String {
        func s(_ text: String) -> String {
            var out = "\""
            for scalar in text.unicodeScalars {
                if scalar.value >= 0x20 && scalar.value < 0x7f && scalar != "\"" && scalar != "\\" {
                    out.unicodeScalars.append(scalar)
                } else {
                    out += "\\u{" + String(scalar.value, radix: 16) + "}"
                }
            }
            return out + "\""
        }
        let who = "user: \(s(user)), groups: [\(groups.map(s).joined(separator: ", "))]"
        switch attributes {
        case .resource(let r):
            return ".resource(\(s(r.verb)), \(s(r.resource)), subresource: \(s(r.subresource)), group: \(s(r.group)), "
                + "namespace: \(s(r.namespace)), name: \(s(r.name)), \(who))"
        case .nonResource(let n):
            return ".path(\(s(n.verb)), \(s(n.path)), \(who))"
        }
    }
}
