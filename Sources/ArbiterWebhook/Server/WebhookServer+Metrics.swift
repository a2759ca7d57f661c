import ArbiterHTTP
import Synchronization

extension WebhookServer {
    /// Prometheus text for `/metrics`: the service's own families (from the observer, when it
    /// renders them) and the transport's.
    func metricsText() -> String {
        var lines: [String] = []
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: Int)]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            for sample in samples { lines.append("\(name)\(sample.labels) \(sample.value)") }
        }
        if let revision = store.current?.revision {
            family("arbiter_policy_revision_info", "gauge", "The policy revision in force (content hash).", [("{revision=\"\(revision)\"}", 1)])
        }
        family(
            "arbiter_policy_reloads_total", "counter", "Policy loads by result.",
            [("{result=\"success\"}", policyReloads.load(ordering: .relaxed)), ("{result=\"failure\"}", policyReloadFailures.load(ordering: .relaxed))])
        if let transport = transportMetrics {
            family("arbiter_connections_open", "gauge", "Open client connections.", [("", transport.connectionsOpen.load(ordering: .relaxed))])
            family("arbiter_connections_accepted_total", "counter", "Accepted connections.", [("", transport.connectionsAccepted.load(ordering: .relaxed))])
            family("arbiter_connections_rejected_total", "counter", "Connections refused over the limit.", [("", transport.connectionsRejected.load(ordering: .relaxed))])
            family("arbiter_http_requests_total", "counter", "HTTP requests handled by the transport.", [("", transport.requests.load(ordering: .relaxed))])
            family("arbiter_requests_shed_total", "counter", "Requests answered 503 under overload.", [("", transport.shed.load(ordering: .relaxed))])
            family("arbiter_tls_handshakes_total", "counter", "Completed TLS handshakes.", [("", transport.handshakesSucceeded.load(ordering: .relaxed))])
            family(
                "arbiter_tls_handshake_failures_total", "counter", "Failed TLS handshakes by reason.",
                HandshakeFailure.allCases.map { ("{reason=\"\($0)\"}", transport.handshakesFailed($0)) })
            family(
                "arbiter_tls_reloads_total", "counter", "TLS material reloads by result.",
                [("{result=\"success\"}", transport.tlsReloads.load(ordering: .relaxed)), ("{result=\"failure\"}", transport.tlsReloadFailures.load(ordering: .relaxed))])
        }
        family(
            "arbiter_http2_streams_total", "counter", "HTTP/2 streams by outcome.",
            [("{outcome=\"opened\"}", http2Metrics.streamsOpened), ("{outcome=\"refused\"}", http2Metrics.streamsRefused),
             ("{outcome=\"reset_by_peer\"}", http2Metrics.streamsResetByPeer), ("{outcome=\"reset_by_server\"}", http2Metrics.streamsResetByUs)])
        return lines.joined(separator: "\n") + "\n"
    }
}
