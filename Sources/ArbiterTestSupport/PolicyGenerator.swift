public import ArbiterPolicy

/// The strings generated policies and requests are drawn from: small pools dense with the RBAC
/// traps (case variants, `*` in every position, empty strings, subresources, URL prefixes and
/// path tricks, service-account names, canonically-equivalent but byte-different pairs).
public enum PolicyVocabulary {
    /// Canonically equivalent under Swift's `==`, different as bytes (Kubernetes compares bytes).
    /// (The Kelvin sign decomposes to capital `K`.)
    public static let equivalentPairs: [(String, String)] = [
        ("K", "\u{212A}"), ("Kube-admin", "\u{212A}ube-admin"), ("é", "e\u{301}"), ("josé", "jose\u{301}"),
    ]
    /// Equal only after compatibility normalisation and case folding (the security checklist's
    /// `kube-admin`); a naive "normalise and lower-case" matcher would confuse them.
    public static let lookalikePairs: [(String, String)] = [("kube-admin", "\u{212A}ube-admin")]

    public static let verbs = [
        "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "impersonate", "bind",
        "GET", "Get", "*", "", "post", "put", "g\u{212A}t",
    ]
    public static let apiGroups = ["", "*", "apps", "Apps", "rbac.authorization.k8s.io", "batch", "é", "e\u{301}"]
    public static let resources = ["pods", "Pods", "deployments", "secrets", "nodes", "namespaces", "K", "\u{212A}"]
    public static let subresources = ["log", "scale", "exec", "status", "*", "Log"]
    /// Rule entries beyond `resource` and `resource/sub`.
    public static let resourcePatterns = ["*", "*/scale", "*/log", "*/*", "pods/*", "*/", "**", "pods/log/x"]
    public static let resourceNames = [
        "a", "b", "*", "", "kube-admin", "Kube-admin", "\u{212A}ube-admin", "josé", "jose\u{301}", "a*", "team-a",
    ]
    public static let ruleURLs = [
        "/healthz", "/healthz/*", "/healthz*", "/healthz/", "/api", "/api/*", "/apis/*", "/*", "*", "**",
        "/healthz/**", "/metrics", "/custom*", "/a*b", "/", "/josé", "/jose\u{301}*", "", "/version/",
        // U+0600 is a grapheme "prepend" character: `"/\u{600}*"` is one Character shorter than it
        // looks, so a `hasSuffix("*")` on Characters misses its trailing `*`.
        "/\u{600}*",
    ]
    public static let paths = [
        "/healthz", "/healthz/", "/healthz/etcd", "/healthz/../api", "//healthz/x", "/healthz/%2e%2e/api",
        "/healthz/\u{0}", "/healthz\u{0}/x", "/api", "/apis", "/apis/", "/customresource", "/metrics", "/a*b",
        "/axb", "*", "", "/", "/josé", "/jose\u{301}", "/jose\u{301}/x", "/version", "/HEALTHZ", "/api/v1",
    ]
    public static let namespaces = [
        "ns1", "ns2", "team-a", "kube-system", "K", "\u{212A}", "josé", "jose\u{301}", "\u{600}ns",
    ]
    /// Namespaces that break naive `namespace + "/" + name` or `ns:name` keys; Kubernetes would
    /// refuse them, our loader does not.
    public static let awkwardNamespaces = ["a", "a/b", "a:b"]
    public static let serviceAccountNames = ["sa1", "sa2", "default", "josé", "jose\u{301}", "b:c", "c"]
    public static let users = [
        "alice", "bob", "kube-admin", "Kube-admin", "\u{212A}ube-admin", "josé", "jose\u{301}", "K", "\u{212A}", "Alice",
        "system:anonymous", "system:node:n1", "system:serviceaccount:ns1:sa1", "system:serviceaccount:ns1",
        "system:serviceaccount::sa1", "system:serviceaccount:a:b:c", "*", "\u{600}admin",
    ]
    public static let groups = [
        "devs", "ops", "system:authenticated", "system:unauthenticated", "system:serviceaccounts",
        "system:serviceaccounts:ns1", "system:masters", "K", "\u{212A}", "josé", "jose\u{301}", "*", "Devs",
    ]
    public static let roleNames = ["view", "edit", "admin", "r1", "r2", "K", "\u{212A}", "josé", "jose\u{301}", "b/c", "c"]
    public static let bindingNames = ["b1", "b2", "b3", "K", "\u{212A}", "é", "e\u{301}", "z"]
    /// Extra names for large sets (``PolicyGenerator/Options/maxBindings`` over 10).
    public static let numberedNames = (10..<40).map { "n\($0)" }
    public static let policyNames = ["p1", "p2", "p3", "K", "\u{212A}", "é", "e\u{301}", "break-glass"]
    public static let labelKeys = ["aggregate-to-admin", "aggregate-to-edit", "aggregate-to-view", "tier", "é"]
    public static let labelValues = ["true", "false", "K", "\u{212A}", "é", "e\u{301}", ""]
}

/// Generates random, loader-valid policy sets and requests that hit them, from a seed.
///
/// Policies are model values; ``PolicyYAMLEmitter`` turns them into text for the loader. Every
/// generated set is something ``PolicyLoader`` accepts (names unique by bytes, required fields
/// present, `*` only at the end of AccessPolicy patterns), so a set and its YAML must decide
/// identically. Requests are drawn mostly from the strings the set mentions, plus near misses.
public struct PolicyGenerator {
    public struct Options: Sendable {
        public var maxRoles = 8
        public var maxBindings = 10
        public var maxPolicies = 5
        public var maxSubjects = 3
        /// Percentage of objects named or placed with awkward strings (`a/b`, `a:b`).
        public var awkwardPercent = 5
        /// Also generate what the model can hold but the loader refuses (rules with both
        /// resources and URLs, empty lists and names, a ServiceAccount subject without any
        /// namespace, Role rules with URLs, AccessPolicy `namespaces: []`, `*` inside
        /// patterns, ...). Such sets are compared directly, never through YAML.
        public var beyondLoader = false

        public init() {}
    }

    public var rng: SplitMix64
    public var options: Options
    /// `kind NUL namespace NUL name` of the objects generated so far, compared as bytes.
    private var taken = Set<ByteString>()

    public init(seed: UInt64, options: Options = Options()) {
        self.rng = SplitMix64(seed: seed)
        self.options = options
    }

    // MARK: - Strings

    mutating func namespace() -> String {
        rng.chance(options.awkwardPercent) ? rng.pick(PolicyVocabulary.awkwardNamespaces) : rng.pick(PolicyVocabulary.namespaces)
    }

    mutating func userName() -> String {
        switch rng.below(10) {
        case 0, 1: return ServiceAccountName.userName(namespace: namespace(), name: rng.pick(PolicyVocabulary.serviceAccountNames))
        default: return rng.pick(PolicyVocabulary.users.filter { !$0.isEmpty })
        }
    }

    /// A trailing-`*` pattern over `value`: a byte-prefix of it (cut at a character boundary)
    /// plus `*`, or `*` alone.
    mutating func pattern(from value: String) -> String {
        let characters = Array(value.unicodeScalars.filter { $0 != "*" })
        if characters.isEmpty || rng.chance(15) { return "*" }
        let cut = rng.below(characters.count + 1)
        var out = String.UnicodeScalarView()
        out.append(contentsOf: characters[0..<cut])
        return String(out) + "*"
    }

    /// True `percent`% of the time when generating beyond what the loader accepts.
    mutating func beyond(_ percent: Int) -> Bool { options.beyondLoader && rng.chance(percent) }

    // MARK: - Rules

    public mutating func rule(nonResource: Bool) -> PolicyRule {
        var rule = loaderRule(nonResource: nonResource)
        if beyond(15) {
            // Kubernetes' model allows a rule with both lists; each only matches its own kind.
            if nonResource {
                rule.apiGroups = [rng.pick(PolicyVocabulary.apiGroups)]
                rule.resources = [rng.pick(PolicyVocabulary.resources + PolicyVocabulary.resourcePatterns)]
            } else {
                rule.nonResourceURLs = [rng.pick(PolicyVocabulary.ruleURLs)]
            }
        }
        if beyond(4) { rule.verbs = [] }
        if beyond(3) { rule.apiGroups = [] }
        if beyond(3) { rule.resources = [] }
        return rule
    }

    mutating func loaderRule(nonResource: Bool) -> PolicyRule {
        let verbs = (0..<rng.int(1...3)).map { _ in rng.pick(PolicyVocabulary.verbs) }
        if nonResource {
            let urls = (0..<rng.int(1...3)).map { _ in rng.pick(PolicyVocabulary.ruleURLs) }
            return PolicyRule(verbs: verbs, nonResourceURLs: urls)
        }
        let groups = (0..<rng.int(1...2)).map { _ in rng.pick(PolicyVocabulary.apiGroups) }
        let resources = (0..<rng.int(1...3)).map { _ -> String in
            switch rng.below(10) {
            case 0, 1: return rng.pick(PolicyVocabulary.resourcePatterns)
            case 2, 3: return rng.pick(PolicyVocabulary.resources) + "/" + rng.pick(PolicyVocabulary.subresources)
            default: return rng.pick(PolicyVocabulary.resources)
            }
        }
        let names = rng.chance(30) ? (0..<rng.int(1...2)).map { _ in rng.pick(PolicyVocabulary.resourceNames) } : []
        return PolicyRule(verbs: verbs, apiGroups: groups, resources: resources, resourceNames: names)
    }

    // MARK: - Objects

    /// Reserves a (kind, namespace, name) triple; false when it is already used (bytes).
    private mutating func reserve(_ kind: String, _ namespace: String, _ name: String) -> Bool {
        taken.insert(ByteString(kind + "\u{0}" + namespace + "\u{0}" + name)).inserted
    }

    mutating func role(kind: Role.Kind) -> Role? {
        let name = rng.pick(PolicyVocabulary.roleNames + (options.maxRoles > 10 ? PolicyVocabulary.numberedNames : []))
        let namespace = kind == .role ? self.namespace() : ""
        guard reserve(kind.rawValue, namespace, name) else { return nil }
        var labels: [String: String] = [:]
        if kind == .clusterRole {
            for _ in 0..<rng.int(0...2) { labels[rng.pick(PolicyVocabulary.labelKeys)] = rng.pick(PolicyVocabulary.labelValues) }
        }
        let urlsAllowed = kind == .clusterRole || beyond(30)
        let rules = (0..<rng.int(0...4)).map { _ in rule(nonResource: urlsAllowed && rng.chance(25)) }
        var aggregation: AggregationRule? = nil
        if kind == .clusterRole && rng.chance(30) {
            aggregation = AggregationRule(clusterRoleSelectors: (0..<rng.int(0...2)).map { _ in labelSelector() })
        }
        // Occasionally a large role, so the engine's per-role resource index is exercised.
        var allRules = rules
        if rng.chance(10) { allRules += (0..<rng.int(9...20)).map { _ in rule(nonResource: urlsAllowed && rng.chance(10)) } }
        return Role(kind: kind, name: name, namespace: namespace, labels: labels, rules: allRules, aggregationRule: aggregation)
    }

    mutating func labelSelector() -> LabelSelector {
        var selector = LabelSelector()
        for _ in 0..<rng.int(0...2) {
            selector.matchLabels[rng.pick(PolicyVocabulary.labelKeys)] = rng.pick(PolicyVocabulary.labelValues)
        }
        if rng.chance(40) {
            for _ in 0..<rng.int(1...2) {
                let op = rng.pick([LabelSelector.Requirement.Operator.in, .notIn, .exists, .doesNotExist])
                let values = op == .in || op == .notIn ? (0..<rng.int(1...2)).map { _ in rng.pick(PolicyVocabulary.labelValues) } : []
                selector.matchExpressions.append(.init(key: rng.pick(PolicyVocabulary.labelKeys), operator: op, values: values))
            }
        }
        return selector
    }

    mutating func subject(clusterScoped: Bool) -> Subject {
        if beyond(5) { return Subject(kind: rng.pick([.user, .group, .serviceAccount]), name: "") }
        if beyond(8) {
            // Never matches in a ClusterRoleBinding (no namespace to default from).
            return Subject(kind: .serviceAccount, name: rng.pick(PolicyVocabulary.serviceAccountNames))
        }
        switch rng.below(3) {
        case 0: return Subject(kind: .user, name: userName())
        case 1: return Subject(kind: .group, name: rng.pick(PolicyVocabulary.groups.filter { !$0.isEmpty }))
        default:
            let namespace = clusterScoped || rng.chance(50) ? self.namespace() : ""
            return Subject(kind: .serviceAccount, name: rng.pick(PolicyVocabulary.serviceAccountNames), namespace: namespace)
        }
    }

    /// A binding to one of `roles` (usually) or to a role that does not exist.
    public mutating func binding(kind: Binding.Kind, roles: [Role]) -> Binding? {
        let name = rng.pick(PolicyVocabulary.bindingNames + (options.maxBindings > 10 ? PolicyVocabulary.numberedNames : []))
        var namespace = kind == .roleBinding && !beyond(5) ? self.namespace() : ""
        var roleRef: RoleRef
        let candidates = roles.filter { kind == .roleBinding || $0.kind == .clusterRole }
        if let target = candidates.isEmpty || rng.chance(12) ? nil : rng.pick(candidates) {
            roleRef = RoleRef(kind: target.kind, name: target.name)
            if target.kind == .role {
                // Usually in the role's own namespace (so it resolves); sometimes elsewhere.
                if rng.chance(80) { namespace = target.namespace }
            }
        } else {
            let roleKind: Role.Kind = kind == .roleBinding && rng.chance(50) ? .role : .clusterRole
            roleRef = RoleRef(kind: roleKind, name: rng.pick(PolicyVocabulary.roleNames + ["missing"]))
        }
        if rng.chance(10) { roleRef.apiGroup = "" }
        guard reserve(kind.rawValue, namespace, name) else { return nil }
        let subjects = (0..<rng.int(1...options.maxSubjects)).map { _ in subject(clusterScoped: kind == .clusterRoleBinding) }
        return Binding(kind: kind, name: name, namespace: namespace, subjects: subjects, roleRef: roleRef)
    }

    mutating func subjectPattern() -> SubjectPattern {
        if beyond(10) {
            // `*` inside a pattern is literal; an empty SA namespace is an exact empty namespace.
            let kind = rng.pick([Subject.Kind.user, .group, .serviceAccount])
            let name = rng.pick(["a*b", "**", "*:*", "", "system:serviceaccount:*", "sa*1"])
            return SubjectPattern(kind: kind, name: name, namespace: kind == .serviceAccount ? rng.pick(["", "n*s", "ns1"]) : "")
        }
        switch rng.below(3) {
        case 0:
            let user = userName()
            return SubjectPattern(kind: .user, name: rng.chance(35) ? pattern(from: user) : user)
        case 1:
            let group = rng.pick(PolicyVocabulary.groups.filter { !$0.isEmpty })
            return SubjectPattern(kind: .group, name: rng.chance(35) ? pattern(from: group) : group)
        default:
            let namespace = self.namespace()
            let name = rng.pick(PolicyVocabulary.serviceAccountNames)
            return SubjectPattern(
                kind: .serviceAccount, name: rng.chance(30) ? pattern(from: name) : name,
                namespace: rng.chance(35) ? pattern(from: namespace) : namespace)
        }
    }

    public mutating func accessPolicy(effect: AccessPolicy.Effect? = nil) -> AccessPolicy? {
        let name = rng.pick(PolicyVocabulary.policyNames + (options.maxPolicies > 10 ? PolicyVocabulary.numberedNames : []))
        guard reserve("AccessPolicy", "", name) else { return nil }
        let effect = effect ?? (rng.chance(50) ? .allow : .deny)
        let subjects = (0..<rng.int(1...options.maxSubjects)).map { _ in subjectPattern() }
        let except = rng.chance(30) ? (0..<rng.int(1...2)).map { _ in subjectPattern() } : []
        var namespaces: [String]? = nil
        if rng.chance(35) {
            namespaces = (0..<rng.int(1...2)).map { _ in
                switch rng.below(6) {
                case 0: return ""
                case 1: return pattern(from: namespace())
                default: return namespace()
                }
            }
        }
        if beyond(5) { namespaces = [] }  // matches nothing
        let urlsAllowed = namespaces == nil || beyond(30)  // with namespaces, URL rules never match
        let rules = (0..<rng.int(1...3)).map { _ in rule(nonResource: urlsAllowed && rng.chance(25)) }
        return AccessPolicy(name: name, effect: effect, subjects: subjects, except: except, namespaces: namespaces, rules: rules)
    }

    /// A random policy set (object names unique by bytes; loader-valid unless
    /// ``Options/beyondLoader``).
    public mutating func policySet() -> PolicySet {
        taken = []
        var set = PolicySet()
        for _ in 0..<rng.int(0...options.maxRoles) {
            if let role = role(kind: rng.chance(65) ? .clusterRole : .role) { set.roles.append(role) }
        }
        if rng.chance(30) { addAggregationChain(to: &set) }
        for _ in 0..<rng.int(0...options.maxBindings) {
            if let binding = binding(kind: rng.chance(45) ? .clusterRoleBinding : .roleBinding, roles: set.roles) {
                set.bindings.append(binding)
            }
        }
        for _ in 0..<rng.int(0...options.maxPolicies) {
            if let policy = accessPolicy() { set.accessPolicies.append(policy) }
        }
        return set
    }

    /// Aggregated ClusterRoles that select each other, like the bootstrap `admin` ⊇ `edit` ⊇
    /// `view` (each selects `aggregate-to-<name>: "true"` and the next one carries that label),
    /// in a random name order so a single aggregation pass is not enough; sometimes closed into
    /// a cycle. The last link selects plain roles that carry its label too.
    mutating func addAggregationChain(to set: inout PolicySet) {
        var names: [String] = []
        for _ in 0..<8 where names.count < rng.int(2...4) {
            let name = rng.pick(PolicyVocabulary.roleNames)
            if reserve("ClusterRole", "", name) { names.append(name) }
        }
        guard names.count >= 2 else { return }
        let cycle = rng.chance(25)
        for (i, name) in names.enumerated() {
            var labels: [String: String] = [:]
            if i > 0 { labels["aggregate-to-" + names[i - 1]] = "true" }
            if cycle && i == 0 { labels["aggregate-to-" + names[names.count - 1]] = "true" }
            let selector =
                rng.chance(70)
                ? LabelSelector(matchLabels: ["aggregate-to-" + name: "true"])
                : LabelSelector(matchExpressions: [.init(key: "aggregate-to-" + name, operator: .in, values: ["true", "yes"])])
            // Rules written on an aggregated role are replaced by the aggregation.
            let written = rng.chance(30) ? [rule(nonResource: rng.chance(20))] : []
            set.roles.append(
                Role(
                    kind: .clusterRole, name: name, labels: labels, rules: written,
                    aggregationRule: AggregationRule(clusterRoleSelectors: [selector])))
        }
        // Plain roles feeding each link.
        for _ in 0..<rng.int(1...3) {
            let name = rng.pick(PolicyVocabulary.roleNames + ["leaf-1", "leaf-2", "leaf-3"])
            guard reserve("ClusterRole", "", name) else { continue }
            let target = rng.pick(names)
            let rules = (0..<rng.int(1...3)).map { _ in rule(nonResource: rng.chance(20)) }
            set.roles.append(Role(kind: .clusterRole, name: name, labels: ["aggregate-to-" + target: "true"], rules: rules))
        }
    }

    /// Forgets which names are used, or marks those of `set` as used (to add objects to it).
    public mutating func reserveNames(of set: PolicySet) {
        taken = []
        for role in set.roles { _ = reserve(role.kind.rawValue, role.namespace, role.name) }
        for binding in set.bindings { _ = reserve(binding.kind.rawValue, binding.namespace, binding.name) }
        for policy in set.accessPolicies { _ = reserve("AccessPolicy", "", policy.name) }
    }

    /// One new object that can only add allows: a binding (to an existing or missing role,
    /// sometimes with a new role) or an `Allow` AccessPolicy. Tries a few times to find an unused name.
    public mutating func addAllow(to set: inout PolicySet) {
        reserveNames(of: set)
        for _ in 0..<20 {
            if rng.chance(35) {
                if let policy = accessPolicy(effect: .allow) {
                    set.accessPolicies.append(policy)
                    return
                }
                continue
            }
            var roles = set.roles
            if rng.chance(40), let role = role(kind: rng.chance(70) ? .clusterRole : .role) {
                set.roles.append(role)
                roles = set.roles
            }
            if let binding = binding(kind: rng.chance(45) ? .clusterRoleBinding : .roleBinding, roles: roles) {
                set.bindings.append(binding)
                return
            }
        }
    }

    /// Adds one `Deny` AccessPolicy (if an unused name is found).
    public mutating func addDeny(to set: inout PolicySet) {
        reserveNames(of: set)
        for _ in 0..<20 {
            if let policy = accessPolicy(effect: .deny) {
                set.accessPolicies.append(policy)
                return
            }
        }
    }
}

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
