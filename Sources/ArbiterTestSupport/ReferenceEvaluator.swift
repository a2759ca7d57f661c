public import ArbiterPolicy

/// A deliberately simple evaluator written straight from the RBAC specification: linear scans,
/// no interning, no indexes. The differential tests check the compiled engine against it.
///
/// It shares only the model types and ``goQuoted(_:)`` with the engine. Aggregation is computed
/// here independently (naive fixpoint), and so is every matching rule.
public struct ReferenceEvaluator {
    let roles: [Role]
    let bindings: [Binding]
    let policies: [AccessPolicy]

    public init(_ set: PolicySet) {
        var roles = set.roles
        // Naive aggregation: repeat until nothing changes.
        let aggregatedIndices = roles.indices.filter { roles[$0].kind == .clusterRole && roles[$0].aggregationRule != nil }
        for i in aggregatedIndices { roles[i].rules = [] }
        var changed = true
        var rounds = 0
        while changed && rounds < 1000 {
            changed = false
            rounds += 1
            for i in aggregatedIndices {
                let sources = roles.indices
                    .filter { j in
                        j != i && roles[j].kind == .clusterRole
                            && roles[i].aggregationRule!.clusterRoleSelectors.contains { Self.selects($0, roles[j].labels) }
                    }
                    .sorted { Self.less(roles[$0].name, roles[$1].name) }
                var rules: [PolicyRule] = []
                for j in sources {
                    for rule in roles[j].rules where !rules.contains(where: { Self.sameRule($0, rule) }) {
                        rules.append(rule)
                    }
                }
                if rules.count != roles[i].rules.count || !zip(rules, roles[i].rules).allSatisfy({ Self.sameRule($0, $1) }) {
                    roles[i].rules = rules
                    changed = true
                }
            }
        }
        self.roles = roles
        self.bindings = set.bindings.sorted { a, b in
            if a.kind != b.kind { return a.kind == .clusterRoleBinding }
            if !Self.same(a.namespace, b.namespace) { return Self.less(a.namespace, b.namespace) }
            return Self.less(a.name, b.name)
        }
        self.policies = set.accessPolicies.sorted { Self.less($0.name, $1.name) }
    }

    // MARK: - Byte helpers

    static func same(_ a: String, _ b: String) -> Bool { Array(a.utf8) == Array(b.utf8) }
    static func less(_ a: String, _ b: String) -> Bool { Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)) }
    static func hasPrefix(_ s: String, _ p: String) -> Bool { Array(s.utf8).starts(with: Array(p.utf8)) }
    /// The last byte is `*`. (`hasSuffix("*")` compares Characters: after a grapheme "prepend"
    /// scalar such as U+0600 the `*` is not a Character of its own, and `dropLast()` would drop both.)
    static func endsWithStar(_ s: String) -> Bool { s.utf8.last == UInt8(ascii: "*") }

    static func sameRule(_ a: PolicyRule, _ b: PolicyRule) -> Bool {
        func eq(_ x: [String], _ y: [String]) -> Bool { x.count == y.count && zip(x, y).allSatisfy { same($0, $1) } }
        return eq(a.verbs, b.verbs) && eq(a.apiGroups, b.apiGroups) && eq(a.resources, b.resources)
            && eq(a.resourceNames, b.resourceNames) && eq(a.nonResourceURLs, b.nonResourceURLs)
    }

    static func selects(_ selector: LabelSelector, _ labels: [String: String]) -> Bool {
        func value(_ key: String) -> String? { labels.first { same($0.key, key) }?.value }
        for (key, expected) in selector.matchLabels {
            guard let actual = value(key), same(actual, expected) else { return false }
        }
        for requirement in selector.matchExpressions {
            let actual = value(requirement.key)
            let inValues = actual.map { a in requirement.values.contains { same($0, a) } } ?? false
            switch requirement.operator {
            case .in: if !inValues { return false }
            case .notIn: if inValues { return false }
            case .exists: if actual == nil { return false }
            case .doesNotExist: if actual != nil { return false }
            }
        }
        return true
    }

    // MARK: - RBAC, from the spec

    /// Checklist 19, written independently: `/` first, no `//`, no `.` or `..` segment, no `%`,
    /// NUL or backslash.
    public static func canonicalPath(_ path: String) -> Bool {
        // Bytes, not Characters: "\u{600}/" is one Character.
        let bytes = Array(path.utf8)
        guard bytes.first == UInt8(ascii: "/") else { return false }
        if bytes.contains(0) || bytes.contains(UInt8(ascii: "%")) || bytes.contains(UInt8(ascii: "\\")) { return false }
        let segments = bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst()
        for (index, segment) in segments.enumerated() {
            if segment.isEmpty && index != segments.count - 1 { return false }
            if Array(segment) == [UInt8(ascii: ".")] || Array(segment) == [UInt8(ascii: "."), UInt8(ascii: ".")] { return false }
        }
        return true
    }

    static func ruleAllows(_ rule: PolicyRule, _ request: AccessRequest, forDeny: Bool = false) -> Bool {
        let verbOK = rule.verbs.contains { same($0, "*") || same($0, request.verb) }
        guard verbOK else { return false }
        switch request.attributes {
        case .resource(let r):
            guard rule.apiGroups.contains(where: { same($0, "*") || same($0, r.group) }) else { return false }
            let combined = r.subresource.isEmpty ? r.resource : r.resource + "/" + r.subresource
            let resourceOK = rule.resources.contains { entry in
                if same(entry, "*") { return true }
                if same(entry, combined) { return true }
                if r.subresource.isEmpty { return false }
                return entry.utf8.count == r.subresource.utf8.count + 2 && hasPrefix(entry, "*/")
                    && Array(entry.utf8).suffix(r.subresource.utf8.count) == ArraySlice(Array(r.subresource.utf8))
            }
            guard resourceOK else { return false }
            return rule.resourceNames.isEmpty || rule.resourceNames.contains { same($0, r.name) }
        case .nonResource(let n):
            return rule.nonResourceURLs.contains { entry in
                if same(entry, "*") { return true }
                if same(entry, n.path) { return true }
                if endsWithStar(entry) {
                    if !forDeny && !canonicalPath(n.path) { return false }
                    var trimmed = Array(entry.utf8)
                    while trimmed.last == UInt8(ascii: "*") { trimmed.removeLast() }
                    return Array(n.path.utf8).starts(with: trimmed)
                }
                return false
            }
        }
    }

    static func applies(_ subject: Subject, _ request: AccessRequest, _ bindingNamespace: String) -> Bool {
        switch subject.kind {
        case .user: return same(subject.name, request.user)
        case .group: return request.groups.contains { same($0, subject.name) }
        case .serviceAccount:
            let ns = subject.namespace.isEmpty ? bindingNamespace : subject.namespace
            if ns.isEmpty { return false }
            return same("system:serviceaccount:" + ns + ":" + subject.name, request.user)
        }
    }

    func rules(of binding: Binding) -> [PolicyRule]? {
        switch binding.roleRef.kind {
        case .clusterRole:
            return roles.first { $0.kind == .clusterRole && Self.same($0.name, binding.roleRef.name) }?.rules
        case .role:
            return roles.first {
                $0.kind == .role && Self.same($0.name, binding.roleRef.name) && Self.same($0.namespace, binding.namespace)
            }?.rules
        }
    }

    // MARK: - AccessPolicy, from the spec

    static func patternMatches(_ pattern: String, _ value: String) -> Bool {
        if endsWithStar(pattern) { return Array(value.utf8).starts(with: Array(pattern.utf8).dropLast()) }
        return same(pattern, value)
    }

    static func subjectMatches(_ subject: SubjectPattern, _ request: AccessRequest) -> Bool {
        switch subject.kind {
        case .user: return patternMatches(subject.name, request.user)
        case .group: return request.groups.contains { patternMatches(subject.name, $0) }
        case .serviceAccount:
            let prefix = "system:serviceaccount:"
            guard hasPrefix(request.user, prefix) else { return false }
            let rest = Array(request.user.utf8.dropFirst(prefix.utf8.count))
            guard let colon = rest.firstIndex(of: UInt8(ascii: ":")) else { return false }
            let ns = String(decoding: rest[..<colon], as: UTF8.self)
            let name = String(decoding: rest[(colon + 1)...], as: UTF8.self)
            return patternMatches(subject.namespace, ns) && patternMatches(subject.name, name)
        }
    }

    func policyMatches(_ policy: AccessPolicy, _ request: AccessRequest) -> Int? {
        let forDeny = policy.effect == .deny
        guard policy.subjects.contains(where: { Self.subjectMatches($0, request) }) else { return nil }
        if policy.except.contains(where: { Self.subjectMatches($0, request) }) { return nil }
        if let namespaces = policy.namespaces {
            guard case .resource(let r) = request.attributes else { return nil }
            guard namespaces.contains(where: { Self.patternMatches($0, r.namespace) }) else { return nil }
        }
        return policy.rules.firstIndex { Self.ruleAllows($0, request, forDeny: forDeny) }
    }

    // MARK: - Decision

    /// The decision and reason the engine must produce for `request`.
    public func authorize(_ request: AccessRequest) -> (decision: Decision, reason: String) {
        for policy in policies where policy.effect == .deny {
            if let index = policyMatches(policy, request) {
                return (.deny, "AccessPolicy: denied by AccessPolicy \(goQuoted(policy.name)) rule \(index)")
            }
        }
        var namespace = ""
        if case .resource(let r) = request.attributes { namespace = r.namespace }
        var errors: [String] = []
        for binding in bindings {
            if binding.kind == .roleBinding && (namespace.isEmpty || !Self.same(binding.namespace, namespace)) { continue }
            guard let subject = binding.subjects.first(where: { Self.applies($0, request, binding.namespace) }) else {
                continue
            }
            guard let rules = rules(of: binding) else {
                let kind = binding.roleRef.kind == .clusterRole ? "clusterrole" : "role"
                errors.append("\(kind).rbac.authorization.k8s.io \(goQuoted(binding.roleRef.name)) not found")
                continue
            }
            if rules.contains(where: { Self.ruleAllows($0, request) }) {
                let name = binding.kind == .clusterRoleBinding ? binding.name : binding.name + "/" + binding.namespace
                let subjectText: String
                if subject.kind == .serviceAccount {
                    let ns = subject.namespace.isEmpty ? binding.namespace : subject.namespace
                    subjectText = "ServiceAccount " + goQuoted(subject.name + "/" + ns)
                } else {
                    subjectText = subject.kind.rawValue + " " + goQuoted(subject.name)
                }
                return (
                    .allow,
                    "RBAC: allowed by \(binding.kind.rawValue) \(goQuoted(name)) of \(binding.roleRef.kind.rawValue) \(goQuoted(binding.roleRef.name)) to \(subjectText)"
                )
            }
        }
        for policy in policies where policy.effect == .allow {
            if let index = policyMatches(policy, request) {
                let subject = policy.subjects.first { Self.subjectMatches($0, request) }!
                let subjectText =
                    subject.kind == .serviceAccount
                    ? "ServiceAccount " + goQuoted(subject.name + "/" + subject.namespace)
                    : subject.kind.rawValue + " " + goQuoted(subject.name)
                return (.allow, "AccessPolicy: allowed by AccessPolicy \(goQuoted(policy.name)) rule \(index) to \(subjectText)")
            }
        }
        var unique: [String] = []
        for error in errors where !unique.contains(where: { Self.same($0, error) }) { unique.append(error) }
        if unique.isEmpty { return (.noOpinion, "") }
        return (.noOpinion, "RBAC: " + (unique.count == 1 ? unique[0] : "[" + unique.joined(separator: ", ") + "]"))
    }
}
