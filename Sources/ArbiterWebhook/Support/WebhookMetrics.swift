public import ArbiterPolicy
import Synchronization

/// The service's Prometheus metrics: cheap, thread-safe recording and a text-format renderer.
///
/// Every `record…` method is a handful of relaxed atomic operations with no lock and no
/// allocation, so loop threads call them inline on every request. Only ``render(extra:)`` (once
/// per scrape) and ``setPolicyRevision(_:loadedAt:)`` (once per reload) allocate or take a lock.
///
/// Families (exposition format 0.0.4):
/// - `arbiter_requests_total{endpoint,code}` and
///   `arbiter_request_duration_seconds{endpoint}` (buckets 10 µs … 1 s);
/// - `arbiter_decisions_total{decision}`, `arbiter_evaluation_errors_total`;
/// - `arbiter_policy_reloads_total{result}`, `arbiter_shadow_policy_reloads_total{result}`,
///   `arbiter_configuration_reloads_total{result}`, `arbiter_policy_revision_info{revision}`,
///   `arbiter_policy_last_reload_timestamp_seconds`, `arbiter_tls_reloads_total{result}`;
/// - `arbiter_decision_log_dropped_total`, `arbiter_shadow_disagreements_total{kind}`.
///
/// The server appends the transport's families (`WebhookServer.transportFamilies`):
/// connections, TLS handshakes and their failures by reason, the verified-chain cache's hits and
/// misses, HTTP/2 streams by outcome.
///
/// Counters are relaxed: a scrape taken while requests are recorded sees each counter at some
/// recent value, never a torn one, but not a snapshot consistent across counters.
public final class WebhookMetrics: Sendable {
    /// The outcome of a reload (policy or TLS material).
    public enum ReloadResult: Int, Sendable, Hashable, CaseIterable {
        /// The new material was loaded and published.
        case success
        /// Loading failed; the previous material stays in use.
        case failure

        /// The `result` label value.
        public var label: String { self == .success ? "success" : "failure" }
    }

    // Status codes 100...599 map to slots 0...499; anything else to the last slot ("other").
    private static let codeSlots = 501
    private let requests = AtomicCounterArray(count: WebhookEndpoint.allCases.count * WebhookMetrics.codeSlots)
    private let durations = RequestDurationHistogram()
    private let decisions = AtomicCounterArray(count: 3)
    private let shadowDisagreements = AtomicCounterArray(count: 3)
    private let policyReloads = AtomicCounterArray(count: 2)
    private let tlsReloads = AtomicCounterArray(count: 2)
    private let shadowPolicyReloads = AtomicCounterArray(count: 2)
    private let configurationReloads = AtomicCounterArray(count: 2)
    // 0: evaluation errors, 1: decision log drops, 2: last reload time in µs since the epoch (0 = never).
    private let scalars = AtomicCounterArray(count: 3)
    private let revision = Mutex<String?>(nil)

    /// Creates a registry with every counter at zero.
    public init() {}

    // MARK: - Recording

    /// Counts one answered request and records its duration.
    ///
    /// - Parameters:
    ///   - endpoint: The endpoint that answered.
    ///   - statusCode: The HTTP status sent.
    ///   - nanoseconds: Time from the complete request to the queued response.
    public func recordRequest(_ endpoint: WebhookEndpoint, statusCode: Int, nanoseconds: Int) {
        let slot = (100...599).contains(statusCode) ? statusCode - 100 : Self.codeSlots - 1
        self.requests.add(1, at: endpoint.rawValue * Self.codeSlots + slot)
        self.durations.record(endpoint, nanoseconds: nanoseconds)
    }

    /// Counts one request whose duration is a `Duration` (see ``recordRequest(_:statusCode:nanoseconds:)``).
    public func recordRequest(_ endpoint: WebhookEndpoint, statusCode: Int, duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let total = nanoseconds.overflow ? Int64.max : nanoseconds.partialValue &+ attoseconds / 1_000_000_000
        self.recordRequest(endpoint, statusCode: statusCode, nanoseconds: Int(total))
    }

    /// Counts one decision, and one evaluation error when `evaluationError` is true.
    public func recordDecision(_ decision: Decision, evaluationError: Bool = false) {
        self.decisions.add(1, at: Self.index(of: decision))
        if evaluationError { self.scalars.add(1, at: 0) }
    }

    /// Counts a shadow policy answering `shadowDecision` where the enforced policy answered differently.
    public func recordShadowDisagreement(shadowDecision: Decision) {
        self.shadowDisagreements.add(1, at: Self.index(of: shadowDecision))
    }

    /// Counts decision log entries dropped because its queue was full or its file unwritable.
    public func recordDecisionLogDropped(_ count: Int = 1) {
        self.scalars.add(count, at: 1)
    }

    /// Counts one policy reload attempt.
    public func recordPolicyReload(_ result: ReloadResult) {
        self.policyReloads.add(1, at: result.rawValue)
    }

    /// Counts one shadow-policy reload attempt.
    public func recordShadowPolicyReload(_ result: ReloadResult) {
        self.shadowPolicyReloads.add(1, at: result.rawValue)
    }

    /// Counts one re-read of the configuration file (SIGHUP).
    public func recordConfigurationReload(_ result: ReloadResult) {
        self.configurationReloads.add(1, at: result.rawValue)
    }

    /// Counts one TLS certificate / client-CA reload attempt.
    public func recordTLSReload(_ result: ReloadResult) {
        self.tlsReloads.add(1, at: result.rawValue)
    }

    /// Publishes the revision of the policy now in force (initial load or successful reload).
    public func setPolicyRevision(_ revision: String, loadedAt time: WallClockTime = .now()) {
        self.revision.withLock { $0 = revision }
        self.scalars.store(Int(time.microsecondsSinceEpoch), at: 2)
    }

    private static func index(of decision: Decision) -> Int {
        switch decision {
        case .allow: 0
        case .deny: 1
        case .noOpinion: 2
        }
    }

    private static let decisionsInOrder: [Decision] = [.allow, .deny, .noOpinion]

    // MARK: - Rendering

    /// The metric families in the order ``render(extra:)`` writes them.
    public func families() -> [MetricFamily] {
        var requestSamples: [MetricFamily.Sample] = []
        for endpoint in WebhookEndpoint.allCases {
            for slot in 0..<Self.codeSlots {
                let count = self.requests.load(endpoint.rawValue * Self.codeSlots + slot)
                guard count > 0 else { continue }
                let code = slot == Self.codeSlots - 1 ? "other" : String(slot + 100)
                requestSamples.append(.init(labels: ["endpoint": endpoint.label, "code": code], value: Double(count)))
            }
        }
        func labelled(_ counters: AtomicCounterArray, _ label: String, _ values: [String]) -> [MetricFamily.Sample] {
            values.enumerated().map { .init(labels: [label: $0.element], value: Double(counters.load($0.offset))) }
        }
        var result: [MetricFamily] = [
            MetricFamily(
                name: "arbiter_requests_total", help: "Requests answered, by endpoint and HTTP status code.",
                type: .counter, samples: requestSamples),
            self.durations.family(),
            MetricFamily(
                name: "arbiter_decisions_total", help: "Authorization decisions, by decision.", type: .counter,
                samples: labelled(self.decisions, "decision", Self.decisionsInOrder.map(\.label))),
            MetricFamily(
                name: "arbiter_evaluation_errors_total",
                help: "Decisions whose evaluation reported errors (rules skipped).", type: .counter,
                samples: [.init(value: Double(self.scalars.load(0)))]),
            MetricFamily(
                name: "arbiter_policy_reloads_total", help: "Policy reload attempts, by result.", type: .counter,
                samples: labelled(self.policyReloads, "result", ReloadResult.allCases.map(\.label))),
            MetricFamily(
                name: "arbiter_shadow_policy_reloads_total", help: "Shadow-policy reload attempts, by result.",
                type: .counter, samples: labelled(self.shadowPolicyReloads, "result", ReloadResult.allCases.map(\.label))),
            MetricFamily(
                name: "arbiter_configuration_reloads_total",
                help: "Re-reads of the configuration file (SIGHUP), by result; a failure keeps the one in force.",
                type: .counter, samples: labelled(self.configurationReloads, "result", ReloadResult.allCases.map(\.label))),
        ]
        if let revision = self.revision.withLock({ $0 }) {
            result.append(
                MetricFamily(
                    name: "arbiter_policy_revision_info", help: "The revision of the policy in force (always 1).",
                    type: .gauge, samples: [.init(labels: ["revision": revision], value: 1)]))
        }
        let lastReload = self.scalars.load(2)
        result += [
            MetricFamily(
                name: "arbiter_policy_last_reload_timestamp_seconds",
                help: "Unix time at which the policy in force was loaded (0 before the first load).", type: .gauge,
                samples: [.init(value: WallClockTime(microsecondsSinceEpoch: Int64(lastReload)).secondsSinceEpoch)]),
            MetricFamily(
                name: "arbiter_tls_reloads_total", help: "TLS certificate and client CA reload attempts, by result.",
                type: .counter, samples: labelled(self.tlsReloads, "result", ReloadResult.allCases.map(\.label))),
            MetricFamily(
                name: "arbiter_decision_log_dropped_total",
                help: "Decision log entries dropped (queue full or write failed).", type: .counter,
                samples: [.init(value: Double(self.scalars.load(1)))]),
            MetricFamily(
                name: "arbiter_shadow_disagreements_total",
                help: "Decisions where the shadow policy disagreed with the enforced one, by what the shadow would do.",
                type: .counter,
                samples: labelled(
                    self.shadowDisagreements, "kind", Self.decisionsInOrder.map { "would_\($0.label)" })),
        ]
        return result
    }

    /// The `Content-Type` of ``render(extra:)``'s output.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Renders every family, then `extra`, in Prometheus text format 0.0.4.
    ///
    /// Serve it with ``contentType``.
    public func render(extra: [MetricFamily] = []) -> String {
        var output = ""
        output.reserveCapacity(4096)
        for family in self.families() + extra {
            family.render(into: &output)
        }
        return output
    }
}
