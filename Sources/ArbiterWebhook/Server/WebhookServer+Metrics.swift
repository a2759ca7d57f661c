import ArbiterHTTP
import Synchronization

extension WebhookServer {
    /// Prometheus text for `/metrics`: the service's families and the transport's.
    func metricsText() -> String {
        var extra: [MetricFamily] = []
        func counter(_ name: String, _ help: String, _ samples: [([String: String], Int)]) {
            extra.append(
                MetricFamily(
                    name: name, help: help, type: .counter,
                    samples: samples.map { MetricFamily.Sample(labels: $0.0, value: Double($0.1)) }))
        }
        if let transport = transportMetrics {
            extra.append(
                MetricFamily(
                    name: "arbiter_connections_open", help: "Open client connections.", type: .gauge,
                    samples: [.init(value: Double(transport.connectionsOpen.load(ordering: .relaxed)))]))
            counter("arbiter_connections_accepted_total", "Accepted connections.", [([:], transport.connectionsAccepted.load(ordering: .relaxed))])
            counter("arbiter_connections_rejected_total", "Connections refused over the connection limit.", [([:], transport.connectionsRejected.load(ordering: .relaxed))])
            counter("arbiter_requests_shed_total", "Requests answered 503 under overload.", [([:], transport.shed.load(ordering: .relaxed))])
            counter("arbiter_tls_handshakes_total", "Completed TLS handshakes.", [([:], transport.handshakesSucceeded.load(ordering: .relaxed))])
            counter(
                "arbiter_tls_handshake_failures_total", "Failed TLS handshakes by reason.",
                HandshakeFailure.allCases.map { (["reason": "\($0)"], transport.handshakesFailed($0)) })
        }
        counter(
            "arbiter_http2_streams_total", "HTTP/2 streams by outcome.",
            [(["outcome": "opened"], http2Metrics.streamsOpened), (["outcome": "refused"], http2Metrics.streamsRefused),
             (["outcome": "reset_by_peer"], http2Metrics.streamsResetByPeer), (["outcome": "reset_by_server"], http2Metrics.streamsResetByUs)])
        return metrics.render(extra: extra)
    }
}
