/// The three answers an authorizer can give.
///
/// A decision is a value, never an error: evaluation problems travel next to it in
/// ``AuthorizationResult/evaluationError``.
public enum Decision: String, Sendable, Hashable {
    /// Allowed (`status.allowed: true`).
    case allow
    /// Explicitly denied (`status.denied: true`): the API server stops the authorizer chain.
    case deny
    /// Neither (`allowed: false`, no `denied`): the API server asks the next authorizer.
    case noOpinion
}

/// The outcome of evaluating one ``AccessRequest``: the decision, its reason and what decided it.
public struct AuthorizationResult: Sendable, Hashable {
    public var decision: Decision
    /// Human-readable; for RBAC allows exactly Kubernetes' format
    /// (`RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "y" to User "z"`).
    public var reason: String
    /// Set whenever something went wrong while evaluating (a binding to a missing role, ...).
    /// An error never turns into an allow.
    public var evaluationError: String?
    /// What decided the request, for explanations and decision logs; `nil` when nothing matched.
    public var source: DecisionSource?

    public init(
        decision: Decision, reason: String = "", evaluationError: String? = nil,
        source: DecisionSource? = nil
    ) {
        self.decision = decision
        self.reason = reason
        self.evaluationError = evaluationError
        self.source = source
    }
}

/// The binding, role and rule, or the AccessPolicy and rule, that decided a request.
public enum DecisionSource: Sendable, Hashable {
    /// An RBAC binding allowed it.
    case binding(BindingReference)
    /// An `AccessPolicy` allowed or denied it.
    case accessPolicy(name: String, ruleIndex: Int)
    /// No rule decided; the operator's default decision applied.
    case defaultDecision
}

/// Identifies the RBAC binding, role, subject and rule that allowed a request.
public struct BindingReference: Sendable, Hashable {
    /// `ClusterRoleBinding` or `RoleBinding`.
    public var bindingKind: String
    public var bindingName: String
    /// Empty for a ClusterRoleBinding.
    public var bindingNamespace: String
    /// `ClusterRole` or `Role`.
    public var roleKind: String
    public var roleName: String
    /// The index of the rule inside the role's (aggregated) rules.
    public var ruleIndex: Int
    /// The subject of the binding that matched the requester, as written in the binding.
    public var subjectKind: String
    public var subjectName: String
    public var subjectNamespace: String

    public init(
        bindingKind: String, bindingName: String, bindingNamespace: String, roleKind: String,
        roleName: String, ruleIndex: Int, subjectKind: String, subjectName: String,
        subjectNamespace: String
    ) {
        self.bindingKind = bindingKind
        self.bindingName = bindingName
        self.bindingNamespace = bindingNamespace
        self.roleKind = roleKind
        self.roleName = roleName
        self.ruleIndex = ruleIndex
        self.subjectKind = subjectKind
        self.subjectName = subjectName
        self.subjectNamespace = subjectNamespace
    }
}
