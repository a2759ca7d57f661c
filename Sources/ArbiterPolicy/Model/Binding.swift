/// A `RoleBinding` (namespaced) or `ClusterRoleBinding`: grants a role's rules to subjects.
public struct Binding: Sendable {
    public enum Kind: String, Sendable, Hashable {
        case roleBinding = "RoleBinding"
        case clusterRoleBinding = "ClusterRoleBinding"
    }

    public var kind: Kind
    public var name: String
    /// The namespace of a `RoleBinding`; `""` for a `ClusterRoleBinding`.
    public var namespace: String
    public var subjects: [Subject]
    public var roleRef: RoleRef
    public var location: SourceLocation?

    public init(
        kind: Kind, name: String, namespace: String = "", subjects: [Subject], roleRef: RoleRef,
        location: SourceLocation? = nil
    ) {
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.subjects = subjects
        self.roleRef = roleRef
        self.location = location
    }
}

/// `roleRef`: which role a binding grants. `apiGroup` is not checked when evaluating.
public struct RoleRef: Sendable, Hashable {
    public var apiGroup: String
    public var kind: Role.Kind
    public var name: String

    public init(apiGroup: String = "rbac.authorization.k8s.io", kind: Role.Kind, name: String) {
        self.apiGroup = apiGroup
        self.kind = kind
        self.name = name
    }
}

/// A binding subject: a `User`, `Group` or `ServiceAccount`.
public struct Subject: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case user = "User"
        case group = "Group"
        case serviceAccount = "ServiceAccount"
    }

    public var kind: Kind
    public var name: String
    /// Only for service accounts; in a RoleBinding an empty namespace means the binding's.
    public var namespace: String

    public init(kind: Kind, name: String, namespace: String = "") {
        self.kind = kind
        self.name = name
        self.namespace = namespace
    }
}
