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
    ///
    /// An RBAC allow carries only a reference to the policy's reason table and an index into it;
    /// the string is read from the table when this property is first read, so an allow costs
    /// no access to the string's (cold) storage unless somebody asks for the reason.
    public var reason: String {
        get {
            switch reasonStorage {
            case .text(let text): return text
            case .binding(let table, let index): return table.reason(index)
            }
        }
        set { reasonStorage = .text(newValue) }
    }
    /// Set whenever something went wrong while evaluating (a binding to a missing role, ...).
    /// An error never turns into an allow.
    public var evaluationError: String?
    /// What decided the request, for explanations and decision logs; `nil` when nothing matched.
    public var source: DecisionSource?

    /// Where ``reason`` comes from.
    var reasonStorage: ReasonStorage

    enum ReasonStorage: Sendable {
        case text(String)
        /// Entry `index` of an immutable table owned (and kept alive) by the compiled policy.
        case binding(BindingReasons, Int32)
    }

    public init(
        decision: Decision, reason: String = "", evaluationError: String? = nil,
        source: DecisionSource? = nil
    ) {
        self.decision = decision
        self.reasonStorage = .text(reason)
        self.evaluationError = evaluationError
        self.source = source
    }

    /// An RBAC allow whose reason is entry `index` of `reasons`.
    init(allowedBy reasons: BindingReasons, index: Int32, source: DecisionSource) {
        self.decision = .allow
        self.reasonStorage = .binding(reasons, index)
        self.evaluationError = nil
        self.source = source
    }

    // Equality and hashing see the reason's text, never where it is stored.
    public static func == (lhs: AuthorizationResult, rhs: AuthorizationResult) -> Bool {
        lhs.decision == rhs.decision && lhs.reason == rhs.reason && lhs.evaluationError == rhs.evaluationError
            && lhs.source == rhs.source
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(decision)
        hasher.combine(reason)
        hasher.combine(evaluationError)
        hasher.combine(source)
    }
}

/// The allow reasons of a compiled policy's binding subjects, built once by the compiler.
///
/// A separate immutable object (rather than an array inside ``CompiledPolicy``) so that an
/// ``AuthorizationResult`` can refer to its reason by index: the result keeps this table alive,
/// not the whole policy, and building the result touches no string.
final class BindingReasons: Sendable {
    let reasons: [String]

    init(_ reasons: [String]) { self.reasons = reasons }

    func reason(_ index: Int32) -> String { reasons[Int(index)] }
}

/// The binding, role and rule, or the AccessPolicy and rule, that decided a request.
///
/// Sources are indices into the ``CompiledPolicy`` that made the decision (so that recording
/// them costs nothing on the request path); ``CompiledPolicy/describe(_:)`` and the policy's
/// ``CompiledPolicy/bindings``, ``CompiledPolicy/roles`` and ``CompiledPolicy/accessPolicies``
/// turn them into names.
public enum DecisionSource: Sendable, Hashable {
    /// An RBAC binding allowed it.
    case binding(BindingMatch)
    /// An `AccessPolicy` allowed or denied it: its index in ``CompiledPolicy/accessPolicies`` and
    /// the position of the rule.
    case accessPolicy(index: Int, ruleIndex: Int)
    /// No rule decided; the operator's default decision applied.
    case defaultDecision
}

/// The RBAC binding, its subject and the rule of its role that allowed a request.
public struct BindingMatch: Sendable, Hashable {
    /// Index in ``CompiledPolicy/bindings``.
    public var binding: Int
    /// Index in that binding's `subjects`: the first subject that applies to the requester.
    public var subject: Int
    /// Position of the rule in the role's effective (aggregated) rules.
    public var rule: Int

    public init(binding: Int, subject: Int, rule: Int) {
        self.binding = binding
        self.subject = subject
        self.rule = rule
    }
}
