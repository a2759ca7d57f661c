/// Problems a compiled policy can have that Kubernetes accepts but an operator wants to know
/// about: bindings to roles that do not exist, roles nobody binds, aggregation that selects
/// nothing.
public enum PolicyDiagnostics {
    public static func warnings(for policy: CompiledPolicy) -> [String] {
        var warnings: [String] = []
        for (index, binding) in policy.bindings.enumerated() where policy.bindingRoles[index] < 0 {
            let location = binding.location.map { "\($0): " } ?? ""
            let scope = binding.kind == .roleBinding ? " in namespace `\(binding.namespace)`" : ""
            warnings.append(
                "\(location)\(binding.kind.rawValue) `\(binding.name)`\(scope) refers to \(binding.roleRef.kind.rawValue) `\(binding.roleRef.name)`, which does not exist (Kubernetes reports this on every request of its subjects)")
        }
        for role in policy.roles where role.aggregationRule != nil && role.rules.isEmpty {
            let location = role.location.map { "\($0): " } ?? ""
            warnings.append("\(location)aggregated ClusterRole `\(role.name)` selects no rules")
        }
        return warnings
    }
}
