public import ArbiterPolicy

/// Receives what the responder did, for metrics and the decision log.
///
/// Called synchronously on the loop thread that answered: implementations must only record
/// (atomics, a bounded queue), never block or do I/O.
public protocol WebhookObserver: Sendable {
    /// Every answered request.
    func requestFinished(route: WebhookEndpoint, status: Int, nanoseconds: UInt64)
    /// Whether decisions need the whole ``DecisionEvent`` (a decision log does). When `false`,
    /// the responder builds no event and calls ``counted(result:shadow:)`` instead, which keeps the
    /// hot path free of copies of the request.
    var recordsDecisionEvents: Bool { get }
    /// Every decision (200 answers of the review endpoints), when ``recordsDecisionEvents``.
    func decided(_ event: DecisionEvent)
    /// Every decision, when not ``recordsDecisionEvents``.
    func counted(result: AuthorizationResult, shadow: AuthorizationResult?)
}

/// One decision, as the decision log records it.
public struct DecisionEvent: Sendable {
    public var route: WebhookEndpoint
    /// The verified client certificate's CN, or `""`.
    public var caller: String
    public var apiVersion: String
    public var kind: String
    public var request: AccessRequest
    public var result: AuthorizationResult
    public var revision: String
    public var nanoseconds: UInt64
    /// The shadow policy's answer, when one is configured.
    public var shadow: AuthorizationResult?

    public init(
        route: WebhookEndpoint, caller: String, apiVersion: String, kind: String, request: AccessRequest,
        result: AuthorizationResult, revision: String, nanoseconds: UInt64, shadow: AuthorizationResult? = nil
    ) {
        self.route = route
        self.caller = caller
        self.apiVersion = apiVersion
        self.kind = kind
        self.request = request
        self.result = result
        self.revision = revision
        self.nanoseconds = nanoseconds
        self.shadow = shadow
    }
}
