/// `diff`: the permissions two compiled policies grant, compared per subject.
///
/// Every binding's role rules (aggregated, as the engine evaluates them) are expanded to
/// `(subject, scope, verb, apiGroup, resource, resourceName | nonResourceURL)` tuples; the sets of
/// the two policies are compared. Wildcards stay as written (`*` is a tuple element, not an
/// expansion), so a rule rewritten from `[get, list]` to `[*]` shows as changed. AccessPolicies are
/// compared by name.
public struct PolicyDiff: Sendable {
    /// One permission tuple.
    public struct Permission: Sendable, Hashable, Comparable, CustomStringConvertible {
        /// `""` for cluster-wide (a ClusterRoleBinding: every namespace and the cluster scope),
        /// otherwise the RoleBinding's namespace.
        public var scope: ByteString
        public var verb: ByteString
        public var apiGroup: ByteString
        public var resource: ByteString
        /// `""`: every name.
        public var resourceName: ByteString
        /// Set for a non-resource permission (then group, resource and name are empty).
        public var nonResourceURL: ByteString

        public var isNonResource: Bool { !nonResourceURL.string.isEmpty }

        public init(
            scope: ByteString, verb: ByteString, apiGroup: ByteString, resource: ByteString, resourceName: ByteString,
            nonResourceURL: ByteString
        ) {
            self.scope = scope
            self.verb = verb
            self.apiGroup = apiGroup
            self.resource = resource
            self.resourceName = resourceName
            self.nonResourceURL = nonResourceURL
        }

        public var description: String {
            let scope = self.scope.string.isEmpty ? "cluster-wide" : "namespace \(self.scope)"
            if isNonResource { return "\(verb) \(nonResourceURL) (\(scope))" }
            var target = resource.string
            if !apiGroup.string.isEmpty { target += "." + apiGroup.string }
            if !resourceName.string.isEmpty { target += "/" + resourceName.string }
            return "\(verb) \(target) (\(scope))"
        }

        public static func < (a: Permission, b: Permission) -> Bool {
            (a.scope, a.nonResourceURL, a.apiGroup, a.resource, a.resourceName, a.verb)
                < (b.scope, b.nonResourceURL, b.apiGroup, b.resource, b.resourceName, b.verb)
        }
    }

    /// A binding subject as it matches requesters: `User x`, `Group x`, `ServiceAccount ns/x`.
    public struct SubjectKey: Sendable, Hashable, Comparable, CustomStringConvertible {
        public var kind: Subject.Kind
        public var name: ByteString
        public var namespace: ByteString

        public init(kind: Subject.Kind, name: ByteString, namespace: ByteString) {
            self.kind = kind
            self.name = name
            self.namespace = namespace
        }

        public var description: String {
            kind == .serviceAccount ? "ServiceAccount \(namespace)/\(name)" : "\(kind.rawValue) \(name)"
        }

        public static func < (a: SubjectKey, b: SubjectKey) -> Bool {
            (CompiledPolicy.kindOrder(a.kind), a.namespace, a.name) < (CompiledPolicy.kindOrder(b.kind), b.namespace, b.name)
        }
    }

    public struct SubjectChange: Sendable {
        public var subject: SubjectKey
        public var gained: [Permission]
        public var lost: [Permission]
    }

    public struct AccessPolicyChange: Sendable {
        public enum Kind: String, Sendable { case added, removed, changed }
        public var name: String
        public var kind: Kind
        public var old: String?
        public var new: String?
    }

    public var subjects: [SubjectChange] = []
    public var accessPolicies: [AccessPolicyChange] = []

    public var isEmpty: Bool { subjects.isEmpty && accessPolicies.isEmpty }

    /// The expansion of a policy into permission tuples went past its bound.
    public struct TooLarge: Error, CustomStringConvertible {
        public var limit: Int
        public var description: String {
            "the policies expand to more than \(limit) permission tuples (every verb × group × resource × name of "
                + "every rule, for every binding); compare smaller policy sets"
        }
    }

    /// Compares `old` with `new`; at most `tupleLimit` permission tuples per side (memory grows
    /// with them: a rule of 8 verbs × 10 groups × 50 resources × 25 names is 100,000 tuples, for
    /// each binding of its role).
    public static func compare(
        _ old: CompiledPolicy, _ new: CompiledPolicy, tupleLimit: Int = 2_000_000
    ) throws(TooLarge) -> PolicyDiff {
        let before = try old.permissionTuples(limit: tupleLimit)
        let after = try new.permissionTuples(limit: tupleLimit)
        var diff = PolicyDiff()
        for subject in Set(before.keys).union(after.keys).sorted() {
            let a = before[subject] ?? []
            let b = after[subject] ?? []
            let gained = b.subtracting(a).sorted()
            let lost = a.subtracting(b).sorted()
            if !gained.isEmpty || !lost.isEmpty {
                diff.subjects.append(SubjectChange(subject: subject, gained: gained, lost: lost))
            }
        }
        var oldPolicies: [ByteString: String] = [:]
        var newPolicies: [ByteString: String] = [:]
        for policy in old.accessPolicies { oldPolicies[ByteString(policy.name)] = policy.canonicalText }
        for policy in new.accessPolicies { newPolicies[ByteString(policy.name)] = policy.canonicalText }
        for name in Set(oldPolicies.keys).union(newPolicies.keys).sorted() {
            switch (oldPolicies[name], newPolicies[name]) {
            case (let a?, nil): diff.accessPolicies.append(.init(name: name.string, kind: .removed, old: a, new: nil))
            case (nil, let b?): diff.accessPolicies.append(.init(name: name.string, kind: .added, old: nil, new: b))
            case (let a?, let b?) where !a.bytesEqual(b):
                diff.accessPolicies.append(.init(name: name.string, kind: .changed, old: a, new: b))
            default: break
            }
        }
        return diff
    }
}

extension CompiledPolicy {
    /// Every permission tuple each binding subject holds, from the bindings' (aggregated) role rules.
    /// Service-account subjects without a namespace (they never match) are left out; bindings to
    /// missing roles grant nothing.
    public func permissionTuples(
        limit: Int = .max
    ) throws(PolicyDiff.TooLarge) -> [PolicyDiff.SubjectKey: Set<PolicyDiff.Permission>] {
        var result: [PolicyDiff.SubjectKey: Set<PolicyDiff.Permission>] = [:]
        var produced = 0
        var roleTuples: [Int32: [PolicyDiff.Permission]] = [:]
        for (index, binding) in bindings.enumerated() {
            let role = bindingRoles[index]
            if role < 0 { continue }
            let scope = binding.kind == .clusterRoleBinding ? "" : binding.namespace
            let cacheKey = role
            var tuples: [PolicyDiff.Permission]
            if let cached = roleTuples[cacheKey], scope.isEmpty {
                tuples = cached
            } else {
                // Counted before expanding, so an explosive rule is refused before it takes memory.
                produced += Self.expansionSize(roles[Int(role)].rules)
                if produced > limit { throw PolicyDiff.TooLarge(limit: limit) }
                tuples = Self.expand(roles[Int(role)].rules, scope: "", clusterBinding: true)
                if scope.isEmpty { roleTuples[cacheKey] = tuples }
            }
            produced += tuples.count * max(binding.subjects.count - 1, 0)
            if produced > limit { throw PolicyDiff.TooLarge(limit: limit) }
            if !scope.isEmpty {
                // RoleBindings never grant non-resource URLs.
                tuples = tuples.compactMap { tuple in
                    if tuple.isNonResource { return nil }
                    var copy = tuple
                    copy.scope = ByteString(scope)
                    return copy
                }
            }
            for subject in binding.subjects {
                let key: PolicyDiff.SubjectKey
                switch subject.kind {
                case .user, .group:
                    key = .init(kind: subject.kind, name: ByteString(subject.name), namespace: ByteString(""))
                case .serviceAccount:
                    let namespace = subject.namespace.isEmpty ? binding.namespace : subject.namespace
                    if namespace.isEmpty { continue }
                    key = .init(kind: .serviceAccount, name: ByteString(subject.name), namespace: ByteString(namespace))
                }
                result[key, default: []].formUnion(tuples)
            }
        }
        return result
    }

    /// How many tuples ``expand(_:scope:clusterBinding:)`` makes of `rules`.
    static func expansionSize(_ rules: [PolicyRule]) -> Int {
        rules.reduce(0) { total, rule in
            let names = max(rule.resourceNames.count, 1)
            let perVerb = rule.nonResourceURLs.count + rule.apiGroups.count * rule.resources.count * names
            return total.addingReportingOverflow(rule.verbs.count.multipliedReportingOverflow(by: perVerb).partialValue).partialValue
        }
    }

    static func expand(_ rules: [PolicyRule], scope: String, clusterBinding: Bool) -> [PolicyDiff.Permission] {
        var tuples: [PolicyDiff.Permission] = []
        let empty = ByteString("")
        let scope = ByteString(scope)
        for rule in rules {
            for verb in rule.verbs.map(ByteString.init) {
                for url in rule.nonResourceURLs {
                    tuples.append(
                        .init(
                            scope: scope, verb: verb, apiGroup: empty, resource: empty, resourceName: empty,
                            nonResourceURL: ByteString(url)))
                }
                let names = rule.resourceNames.isEmpty ? [""] : rule.resourceNames
                for group in rule.apiGroups {
                    for resource in rule.resources {
                        for name in names {
                            tuples.append(
                                .init(
                                    scope: scope, verb: verb, apiGroup: ByteString(group), resource: ByteString(resource),
                                    resourceName: ByteString(name), nonResourceURL: empty))
                        }
                    }
                }
            }
        }
        return tuples
    }
}

extension AccessPolicy {
    /// A one-line, order-preserving rendering of everything that decides what the policy does.
    public var canonicalText: String {
        // Every item quoted: `["secrets,configmaps"]` and `["secrets","configmaps"]` must differ.
        func quoted(_ item: String) -> String {
            var text = "\""
            for character in item.unicodeScalars {
                if character == "\\" || character == "\"" { text.unicodeScalars.append("\\") }
                text.unicodeScalars.append(character)
            }
            return text + "\""
        }
        func list(_ items: [String]) -> String { "[" + items.map(quoted).joined(separator: ",") + "]" }
        func rule(_ rule: PolicyRule) -> String {
            "verbs=\(list(rule.verbs)) apiGroups=\(list(rule.apiGroups)) resources=\(list(rule.resources)) "
                + "resourceNames=\(list(rule.resourceNames)) nonResourceURLs=\(list(rule.nonResourceURLs))"
        }
        func subject(_ s: SubjectPattern) -> String {
            s.kind == .serviceAccount ? "ServiceAccount:\(s.namespace)/\(s.name)" : "\(s.kind.rawValue):\(s.name)"
        }
        var text = "effect=\(effect.rawValue) subjects=\(list(subjects.map(subject))) except=\(list(except.map(subject)))"
        if let namespaces { text += " namespaces=\(list(namespaces))" }
        for item in rules { text += " rule{\(rule(item))}" }
        return text
    }
}

extension PolicyRule {
    /// `verbs=[..] apiGroups=[..] resources=[..] resourceNames=[..] nonResourceURLs=[..]`, empty lists left out.
    public var summary: String {
        var parts: [String] = []
        func add(_ label: String, _ items: [String]) {
            if !items.isEmpty { parts.append("\(label)=[\(items.map { $0.isEmpty ? "\"\"" : $0 }.joined(separator: ","))]") }
        }
        add("verbs", verbs)
        add("apiGroups", apiGroups)
        add("resources", resources)
        add("resourceNames", resourceNames)
        add("nonResourceURLs", nonResourceURLs)
        return parts.joined(separator: " ")
    }
}
