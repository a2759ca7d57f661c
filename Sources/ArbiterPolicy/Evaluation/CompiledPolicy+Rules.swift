/// What a subject may do in a namespace: the answer to a SelfSubjectRulesReview
/// (`kubectl auth can-i --list`).
public struct SubjectRules: Sendable {
    /// Rules with resources, from ClusterRoleBindings, RoleBindings in the namespace and `Allow`
    /// AccessPolicies that apply there.
    public var resourceRules: [PolicyRule] = []
    /// Rules with non-resource URLs (ClusterRoleBindings and `Allow` AccessPolicies only).
    public var nonResourceRules: [PolicyRule] = []
    /// `Deny` AccessPolicies that apply: the rules above overstate what is allowed by these.
    public var denies: [(policy: String, rule: PolicyRule)] = []
    /// Bindings to roles that do not exist (Kubernetes reports them as evaluation errors).
    public var errors: [String] = []
}

extension CompiledPolicy {
    /// Every rule that applies to `user` with `groups` in `namespace` (`""`: cluster scope),
    /// in evaluation order, as Kubernetes' `RulesFor` lists them, plus AccessPolicies.
    public func rules(forUser user: String, groups: [String], namespace: String) -> SubjectRules {
        var result = SubjectRules()
        let request = AccessRequest(user: user, groups: groups, attributes: .nonResource(.init(path: "", verb: "")))
        func add(_ rule: PolicyRule, allowNonResource: Bool) {
            if !rule.nonResourceURLs.isEmpty {
                if allowNonResource { result.nonResourceRules.append(rule) }
            } else if !rule.resources.isEmpty {
                result.resourceRules.append(rule)
            }
        }
        for (index, binding) in bindings.enumerated() {
            if binding.kind == .roleBinding && (namespace.isEmpty || !binding.namespace.bytesEqual(namespace)) { continue }
            guard binding.subjects.contains(where: { Self.applies($0, to: request, bindingNamespace: binding.namespace) }) else {
                continue
            }
            let role = bindingRoles[index]
            if role < 0 {
                let resource = binding.roleRef.kind == .clusterRole ? "clusterrole" : "role"
                result.errors.append("\(resource).rbac.authorization.k8s.io \(goQuoted(binding.roleRef.name)) not found")
                continue
            }
            for rule in roles[Int(role)].rules { add(rule, allowNonResource: binding.kind == .clusterRoleBinding) }
        }
        for policy in accessPolicies {
            guard policy.subjects.contains(where: { $0.matches(user: user, groups: groups) }),
                !policy.except.contains(where: { $0.matches(user: user, groups: groups) })
            else { continue }
            if let namespaces = policy.namespaces, !namespaces.contains(where: { Pattern.matches($0, namespace) }) {
                continue
            }
            switch policy.effect {
            case .allow:
                for rule in policy.rules { add(rule, allowNonResource: policy.namespaces == nil) }
            case .deny:
                for rule in policy.rules { result.denies.append((policy.name, rule)) }
            }
        }
        return result
    }
}
