public import ArbiterPolicy

/// Feeds what the responder did into the metrics and the decision log.
///
/// Runs on loop threads: records atomics and pushes onto the decision log's bounded queue, never
/// blocks (a full queue drops and counts).
public final class ServiceObserver: WebhookObserver {
    public let metrics: WebhookMetrics
    public let decisionLog: DecisionLog?

    public init(metrics: WebhookMetrics, decisionLog: DecisionLog?) {
        self.metrics = metrics
        self.decisionLog = decisionLog
    }

    public func requestFinished(route: WebhookEndpoint, status: Int, nanoseconds: UInt64) {
        metrics.recordRequest(route, statusCode: status, nanoseconds: Int(clamping: nanoseconds))
    }

    public var recordsDecisionEvents: Bool { decisionLog != nil }

    public func counted(result: AuthorizationResult, shadow: AuthorizationResult?) {
        metrics.recordDecision(result.decision, evaluationError: result.evaluationError != nil)
        if let shadow, shadow.decision != result.decision {
            metrics.recordShadowDisagreement(shadowDecision: shadow.decision)
        }
    }

    public func decided(_ event: DecisionEvent) {
        counted(result: event.result, shadow: event.shadow)
        guard let decisionLog else { return }
        decisionLog.record(
            DecisionLogEntry(
                caller: event.caller, endpoint: event.route, apiVersion: event.apiVersion, kind: event.kind,
                request: event.request, decision: event.result.decision, reason: event.result.reason,
                evaluationError: event.result.evaluationError ?? "", policyRevision: event.revision,
                latencyMicroseconds: Int(event.nanoseconds / 1000),
                shadow: event.shadow.map { DecisionLogEntry.Shadow(decision: $0.decision, reason: $0.reason) }))
    }
}
