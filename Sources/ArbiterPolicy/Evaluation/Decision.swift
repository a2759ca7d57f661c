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
///
/// The two results almost every request gets are cheap to make, copy and destroy: an RBAC allow
/// is a reference to the policy's reason table and four integers, a plain no-opinion is nothing
/// at all. Everything else (denies, AccessPolicy allows, errors, a changed reason) lives in a
/// small immutable box.
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
            if let reasons { return reasons.reason(allow.reason) }
            return details?.reason ?? ""
        }
        set { setDetails(reason: newValue, evaluationError: evaluationError, source: source) }
    }

    /// Set whenever something went wrong while evaluating (a binding to a missing role, ...).
    /// An error never turns into an allow.
    public var evaluationError: String? {
        get { details?.evaluationError }
        set { setDetails(reason: reason, evaluationError: newValue, source: source) }
    }

    /// What decided the request, for explanations and decision logs; `nil` when nothing matched.
    public var source: DecisionSource? {
        get {
            if reasons != nil {
                return .binding(BindingMatch(binding: Int(allow.binding), subject: Int(allow.subject), rule: Int(allow.rule)))
            }
            return details?.source
        }
        set { setDetails(reason: reason, evaluationError: evaluationError, source: newValue) }
    }

    // Three plain stored properties rather than an enum with payloads: with Swift 6.3, debug
    // builds of another module crashed copying such an enum (an outlined copy retained a
    // pointer read from the wrong payload).
    /// An RBAC allow: the policy's reason table (kept alive by the result) and ``allow``.
    private var reasons: BindingReasons?
    /// The binding, rule and reason entry of an RBAC allow (unused otherwise).
    private var allow: CompiledPolicy.BindingAllow
    /// Any other result with a reason, error or source.
    private var details: ResultDetails?

    public init(
        decision: Decision, reason: String = "", evaluationError: String? = nil,
        source: DecisionSource? = nil
    ) {
        self.decision = decision
        self.reasons = nil
        self.allow = CompiledPolicy.BindingAllow(binding: -1, rule: -1, reason: -1, subject: -1)
        self.details = nil
        if !reason.isEmpty || evaluationError != nil || source != nil {
            self.details = ResultDetails(reason: reason, evaluationError: evaluationError, source: source)
        }
    }

    /// An RBAC allow whose reason is entry `allow.reason` of `reasons`.
    init(allowedBy reasons: BindingReasons, _ allow: CompiledPolicy.BindingAllow) {
        self.decision = .allow
        self.reasons = reasons
        self.allow = allow
        self.details = nil
    }

    private mutating func setDetails(reason: String, evaluationError: String?, source: DecisionSource?) {
        reasons = nil
        details = ResultDetails(reason: reason, evaluationError: evaluationError, source: source)
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

/// The parts of a result that are neither an RBAC allow nor nothing; immutable, so results
/// share it when copied (a setter of ``AuthorizationResult`` makes a new one).
final class ResultDetails: Sendable {
    let reason: String
    let evaluationError: String?
    let source: DecisionSource?

    init(reason: String, evaluationError: String?, source: DecisionSource?) {
        self.reason = reason
        self.evaluationError = evaluationError
        self.source = source
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
