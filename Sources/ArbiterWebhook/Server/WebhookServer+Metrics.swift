import ArbiterHTTP
import Synchronization

extension WebhookServer {
    /// Prometheus text for `/metrics`: the service's families and the transport's.
    func metricsText() -> String {
        metrics.render(extra: Self.transportFamilies(transportMetrics, http2: http2Metrics))
    }

    /// The transport's families: connections, handshakes, the verified-chain cache and HTTP/2
    /// streams (`transport` is `nil` before the server has started).
    static func transportFamilies(_ transport: HTTPServerMetrics?, http2: HTTP2Metrics) -> [MetricFamily] {
        var families: [MetricFamily] = []
        func counter(_ name: String, _ help: String, _ samples: [([String: String], Int)]) {
            families.append(
                MetricFamily(
                    name: name, help: help, type: .counter,
                    samples: samples.map { MetricFamily.Sample(labels: $0.0, value: Double($0.1)) }))
        }
        if let transport {
            families.append(
                MetricFamily(
                    name: "arbiter_connections_open", help: "Open client connections.", type: .gauge,
                    samples: [.init(value: Double(transport.connectionsOpen.load(ordering: .relaxed)))]))
            counter("arbiter_connections_accepted_total", "Accepted connections.", [([:], transport.connectionsAccepted.load(ordering: .relaxed))])
            counter("arbiter_connections_rejected_total", "Connections refused over the connection limit.", [([:], transport.connectionsRejected.load(ordering: .relaxed))])
            counter(
                "arbiter_connections_evicted_total", "Connections closed to serve a configured caller over the connection limit.",
                [([:], transport.connectionsEvicted.load(ordering: .relaxed))])
            counter("arbiter_requests_shed_total", "Requests answered 503 under overload.", [([:], transport.shed.load(ordering: .relaxed))])
            counter("arbiter_tls_handshakes_total", "Completed TLS handshakes.", [([:], transport.handshakesSucceeded.load(ordering: .relaxed))])
            counter(
                "arbiter_tls_handshake_failures_total", "Failed TLS handshakes by reason.",
                HandshakeFailure.allCases.map { (["reason": "\($0)"], transport.handshakesFailed($0)) })
            counter(
                "arbiter_tls_verified_chain_cache_total",
                "Client certificate chains found among those already verified (hit) or verified in full (miss).",
                [(["result": "hit"], transport.verifiedChainCache.hits.load(ordering: .relaxed)),
                 (["result": "miss"], transport.verifiedChainCache.misses.load(ordering: .relaxed))])
        }
        counter(
            "arbiter_http2_streams_total", "HTTP/2 streams by outcome.",
            [(["outcome": "opened"], http2.streamsOpened), (["outcome": "refused"], http2.streamsRefused),
             (["outcome": "reset_by_peer"], http2.streamsResetByPeer), (["outcome": "reset_by_server"], http2.streamsResetByUs)])
        return families
    }
}
