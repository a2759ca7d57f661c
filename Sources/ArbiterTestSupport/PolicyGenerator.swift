public import ArbiterPolicy

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
        /// Percentage of objects named or placed with awkward strings (`a:b`).
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
            aggregation = AggregationRule(clusterRoleSelectors: (0..<rng.int(1...2)).map { _ in labelSelector() })
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
