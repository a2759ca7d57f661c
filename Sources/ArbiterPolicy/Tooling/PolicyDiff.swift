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

    /// Compares `old` with `new`.
    public static func compare(_ old: CompiledPolicy, _ new: CompiledPolicy) -> PolicyDiff {
        let before = old.permissionTuples()
        let after = new.permissionTuples()
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
    public func permissionTuples() -> [PolicyDiff.SubjectKey: Set<PolicyDiff.Permission>] {
        var result: [PolicyDiff.SubjectKey: Set<PolicyDiff.Permission>] = [:]
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
                tuples = Self.expand(roles[Int(role)].rules, scope: "", clusterBinding: true)
                if scope.isEmpty { roleTuples[cacheKey] = tuples }
            }
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
        func list(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }
        func subject(_ s: SubjectPattern) -> String {
            s.kind == .serviceAccount ? "ServiceAccount:\(s.namespace)/\(s.name)" : "\(s.kind.rawValue):\(s.name)"
        }
        var text = "effect=\(effect.rawValue) subjects=\(list(subjects.map(subject))) except=\(list(except.map(subject)))"
        if let namespaces { text += " namespaces=\(list(namespaces))" }
        for rule in rules { text += " rule{\(rule.summary)}" }
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
