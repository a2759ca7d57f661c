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

    /// The expansion of the changed subjects' grants into permission tuples went past its bound.
    public struct TooLarge: Error, CustomStringConvertible {
        public var limit: Int
        public var description: String {
            "the subjects whose grants changed hold more than \(limit) permission tuples (every verb × group × "
                + "resource × name of every rule of every binding that names them); compare smaller policy sets"
        }
    }

    /// Compares `old` with `new`, with the same result as comparing ``CompiledPolicy/permissionTuples(limit:)``
    /// of both subject by subject, but without expanding what did not change.
    ///
    /// Each subject's grants are first compared as a set of `(scope, role content)` pairs (a role's
    /// content: its effective rules, in order, as text; the role's name does not matter): a subject
    /// whose grants are the same set on both sides holds the same tuples and is not expanded. Only
    /// the others are, on both sides, so that a tuple moved from one binding to another is not
    /// reported. A diff of two large policies that differ in a few bindings therefore costs a pass
    /// over the bindings, not a tuple per verb, resource and name of every subject; at most
    /// `tupleLimit` tuples per side are made for the changed subjects.
    public static func compare(
        _ old: CompiledPolicy, _ new: CompiledPolicy, tupleLimit: Int = 2_000_000
    ) throws(TooLarge) -> PolicyDiff {
        var contents = RoleContents()
        let before = old.subjectGrants(&contents)
        let after = new.subjectGrants(&contents)
        var changed: [SubjectKey] = []
        for subject in Set(before.keys).union(after.keys) where before[subject] != after[subject] {
            changed.append(subject)
        }
        changed.sort()
        var expanded = [Int: [Permission]]()
        var produced = (old: 0, new: 0)
        func tuples(_ grants: Set<Grant>?, _ count: inout Int) throws(TooLarge) -> Set<Permission> {
            var result = Set<Permission>()
            for grant in grants ?? [] {
                let rules = contents.rules[grant.content]
                count += CompiledPolicy.expansionSize(rules)
                if count > tupleLimit { throw TooLarge(limit: tupleLimit) }
                let unscoped: [Permission]
                if let cached = expanded[grant.content] {
                    unscoped = cached
                } else {
                    unscoped = CompiledPolicy.expand(rules, scope: "", clusterBinding: true)
                    expanded[grant.content] = unscoped
                }
                if grant.scope.string.isEmpty {
                    result.formUnion(unscoped)
                } else {
                    // RoleBindings never grant non-resource URLs.
                    for tuple in unscoped where !tuple.isNonResource {
                        var copy = tuple
                        copy.scope = grant.scope
                        result.insert(copy)
                    }
                }
            }
            return result
        }
        var diff = PolicyDiff()
        for subject in changed {
            let a = try tuples(before[subject], &produced.old)
            let b = try tuples(after[subject], &produced.new)
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

    /// What a binding gives each of its subjects: a scope (`""`: cluster-wide) and a role content.
    struct Grant: Hashable {
        var scope: ByteString
        /// Index into ``RoleContents/rules``.
        var content: Int
    }

    /// Role contents of both policies, numbered: equal rules (as text, in order, compared as
    /// bytes: NFC and NFD `café` are different names to the engine) get one number, whatever the
    /// role's name or policy.
    struct RoleContents {
        var numbers: [[UInt8]: Int] = [:]
        var rules: [[PolicyRule]] = []

        mutating func number(_ roleRules: [PolicyRule]) -> Int {
            // Every list quoted item by item, as in ``AccessPolicy/canonicalText``.
            let text = roleRules.map { rule in
                [rule.verbs, rule.apiGroups, rule.resources, rule.resourceNames, rule.nonResourceURLs]
                    .map { list in list.map { AccessPolicy.quoted($0) }.joined(separator: ",") }.joined(separator: ";")
            }.joined(separator: "\n")
            let key = Array(text.utf8)
            if let number = numbers[key] { return number }
            numbers[key] = rules.count
            rules.append(roleRules)
            return rules.count - 1
        }
    }
}

extension CompiledPolicy {
    /// Each binding subject's grants (see ``PolicyDiff/compare(_:_:tupleLimit:)``), with role
    /// contents numbered in `contents`.
    func subjectGrants(_ contents: inout PolicyDiff.RoleContents) -> [PolicyDiff.SubjectKey: Set<PolicyDiff.Grant>] {
        var result: [PolicyDiff.SubjectKey: Set<PolicyDiff.Grant>] = [:]
        var roleNumbers: [Int32: Int] = [:]
        for (index, binding) in bindings.enumerated() {
            let role = bindingRoles[index]
            if role < 0 { continue }
            let content: Int
            if let known = roleNumbers[role] {
                content = known
            } else {
                content = contents.number(roles[Int(role)].rules)
                roleNumbers[role] = content
            }
            let grant = PolicyDiff.Grant(scope: ByteString(binding.kind == .clusterRoleBinding ? "" : binding.namespace), content: content)
            for subject in binding.subjects {
                guard let key = PolicyDiff.SubjectKey(subject, bindingNamespace: binding.namespace) else { continue }
                result[key, default: []].insert(grant)
            }
        }
        return result
    }
}

extension PolicyDiff.SubjectKey {
    /// The key of a binding subject, or nil for a service account without a namespace (it never
    /// matches anyone).
    init?(_ subject: Subject, bindingNamespace: String) {
        switch subject.kind {
        case .user, .group:
            self.init(kind: subject.kind, name: ByteString(subject.name), namespace: ByteString(""))
        case .serviceAccount:
            let namespace = subject.namespace.isEmpty ? bindingNamespace : subject.namespace
            if namespace.isEmpty { return nil }
            self.init(kind: .serviceAccount, name: ByteString(subject.name), namespace: ByteString(namespace))
        }
    }
}

extension CompiledPolicy {
    /// Every permission tuple each binding subject holds, from the bindings' (aggregated) role
    /// rules: what ``PolicyDiff/compare(_:_:tupleLimit:)`` compares (it expands only the subjects
    /// whose grants changed; tests compare it with this whole expansion).
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
                guard let key = PolicyDiff.SubjectKey(subject, bindingNamespace: binding.namespace) else { continue }
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
    /// An item quoted, for canonical texts: `["secrets,configmaps"]` and `["secrets","configmaps"]`
    /// must differ.
    static func quoted(_ item: String) -> String {
        var text = "\""
        for character in item.unicodeScalars {
            if character == "\\" || character == "\"" { text.unicodeScalars.append("\\") }
            text.unicodeScalars.append(character)
        }
        return text + "\""
    }

    /// A one-line, order-preserving rendering of everything that decides what the policy does.
    public var canonicalText: String {
        func list(_ items: [String]) -> String { "[" + items.map(Self.quoted).joined(separator: ",") + "]" }
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
