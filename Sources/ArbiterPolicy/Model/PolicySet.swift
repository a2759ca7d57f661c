/// Everything loaded from a set of policy sources, before compilation.
public struct PolicySet: Sendable {
    public var roles: [Role] = []
    public var bindings: [Binding] = []
    public var accessPolicies: [AccessPolicy] = []
    /// Objects of other kinds that were skipped (exports mix in Namespaces and more), by
    /// `apiVersion/kind`.
    public var skipped: [String: Int] = [:]
    /// Number of sources (files) read.
    public var sourceCount = 0

    public init(roles: [Role] = [], bindings: [Binding] = [], accessPolicies: [AccessPolicy] = []) {
        self.roles = roles
        self.bindings = bindings
        self.accessPolicies = accessPolicies
    }

    /// Adds everything of `other`.
    public mutating func merge(_ other: PolicySet) {
        roles += other.roles
        bindings += other.bindings
        accessPolicies += other.accessPolicies
        for (kind, count) in other.skipped { skipped[kind, default: 0] += count }
        sourceCount += other.sourceCount
    }

    /// Objects of one kind, for summaries.
    public var counts: [(kind: String, count: Int)] {
        [
            ("ClusterRole", roles.count { $0.kind == .clusterRole }),
            ("Role", roles.count { $0.kind == .role }),
            ("ClusterRoleBinding", bindings.count { $0.kind == .clusterRoleBinding }),
            ("RoleBinding", bindings.count { $0.kind == .roleBinding }),
            ("AccessPolicy", accessPolicies.count),
        ]
    }
}
