import ArbiterHTTP
import ArbiterPolicy
import Synchronization
import Testing

@testable import ArbiterWebhook

@Suite struct WebhookMetricsTests {
    @Test func countsAreExactAfterConcurrentRecordingFromSeveralThreads() throws {
        let metrics = WebhookMetrics()
        let threads = 4
        let iterations = 5_000
        let workers = try (0..<threads).map { worker in
            try BackgroundThread.start(name: "metrics-\(worker)") {
                for iteration in 0..<iterations {
                    // 3 µs, 30 µs, 3 ms, 2 s: buckets 10µs, 50µs, 5ms, +Inf.
                    let nanoseconds = [3_000, 30_000, 3_000_000, 2_000_000_000][iteration % 4]
                    metrics.recordRequest(.authorize, statusCode: iteration % 2 == 0 ? 200 : 403, nanoseconds: nanoseconds)
                    metrics.recordDecision(iteration % 2 == 0 ? .allow : .deny, evaluationError: iteration % 10 == 0)
                    metrics.recordShadowDisagreement(shadowDecision: .noOpinion)
                }
            }
        }
        for worker in workers { worker.join() }

        let parsed = PrometheusTextParser(metrics.render())
        #expect(parsed.errors.isEmpty)
        let total = Double(threads * iterations)
        let samples = parsed.samples
        #expect(samples[#"arbiter_requests_total{code="200",endpoint="authorize"}"#] == total / 2)
        #expect(samples[#"arbiter_requests_total{code="403",endpoint="authorize"}"#] == total / 2)
        #expect(samples[#"arbiter_request_duration_seconds_count{endpoint="authorize"}"#] == total)
        #expect(samples[#"arbiter_request_duration_seconds_bucket{endpoint="authorize",le="1e-05"}"#] == total / 4)
        #expect(samples[#"arbiter_request_duration_seconds_bucket{endpoint="authorize",le="2.5e-05"}"#] == total / 4)
        #expect(samples[#"arbiter_request_duration_seconds_bucket{endpoint="authorize",le="5e-05"}"#] == total / 2)
        #expect(samples[#"arbiter_request_duration_seconds_bucket{endpoint="authorize",le="0.005"}"#] == total * 3 / 4)
        #expect(samples[#"arbiter_request_duration_seconds_bucket{endpoint="authorize",le="1"}"#] == total * 3 / 4)
        #expect(samples[#"arbiter_request_duration_seconds_bucket{endpoint="authorize",le="+Inf"}"#] == total)
        let expectedSum = Double(threads * iterations / 4) * (3e-6 + 30e-6 + 3e-3 + 2)
        let sum = try #require(samples[#"arbiter_request_duration_seconds_sum{endpoint="authorize"}"#])
        #expect(abs(sum - expectedSum) < 1e-6 * expectedSum)
        #expect(samples[#"arbiter_decisions_total{decision="allow"}"#] == total / 2)
        #expect(samples[#"arbiter_decisions_total{decision="deny"}"#] == total / 2)
        #expect(samples[#"arbiter_decisions_total{decision="no_opinion"}"#] == 0)
        #expect(samples["arbiter_evaluation_errors_total"] == total / 10)
        #expect(samples[#"arbiter_shadow_disagreements_total{kind="would_no_opinion"}"#] == total)
        #expect(samples[#"arbiter_shadow_disagreements_total{kind="would_allow"}"#] == 0)
        // Endpoints that saw no requests have no series.
        #expect(samples[#"arbiter_request_duration_seconds_count{endpoint="health"}"#] == nil)
    }

    @Test func histogramBucketsAreCumulativeAndEndAtTheCount() {
        let metrics = WebhookMetrics()
        for exponent in 0..<12 {
            metrics.recordRequest(.subjectAccessReviews, statusCode: 201, duration: .nanoseconds(1 << (exponent * 3)))
        }
        let parsed = PrometheusTextParser(metrics.render())
        var previous = 0.0
        for label in RequestDurationHistogram.boundLabels {
            let value = parsed.samples[#"arbiter_request_duration_seconds_bucket{endpoint="subjectaccessreviews",le="\#(label)"}"#]
            #expect(value != nil)
            #expect((value ?? -1) >= previous)
            previous = value ?? previous
        }
        #expect(previous == 12)
        #expect(parsed.types["arbiter_request_duration_seconds"] == "histogram")
        #expect(parsed.types["arbiter_requests_total"] == "counter")
    }

    @Test func reloadsRevisionAndDecisionLogDropsAreExposed() {
        let metrics = WebhookMetrics()
        metrics.recordPolicyReload(.success)
        metrics.recordPolicyReload(.failure)
        metrics.recordPolicyReload(.failure)
        metrics.recordTLSReload(.success)
        metrics.recordShadowPolicyReload(.failure)
        metrics.recordConfigurationReload(.failure)
        metrics.recordConfigurationReload(.success)
        metrics.recordDecisionLogDropped(7)
        metrics.setPolicyRevision("sha256:ab\"c", loadedAt: WallClockTime(microsecondsSinceEpoch: 1_764_389_406_500_000))
        let parsed = PrometheusTextParser(metrics.render())
        #expect(parsed.errors.isEmpty)
        #expect(parsed.samples[#"arbiter_policy_reloads_total{result="success"}"#] == 1)
        #expect(parsed.samples[#"arbiter_policy_reloads_total{result="failure"}"#] == 2)
        #expect(parsed.samples[#"arbiter_tls_reloads_total{result="success"}"#] == 1)
        #expect(parsed.samples[#"arbiter_tls_reloads_total{result="failure"}"#] == 0)
        #expect(parsed.samples[#"arbiter_shadow_policy_reloads_total{result="failure"}"#] == 1)
        #expect(parsed.samples[#"arbiter_configuration_reloads_total{result="failure"}"#] == 1)
        #expect(parsed.samples[#"arbiter_configuration_reloads_total{result="success"}"#] == 1)
        #expect(parsed.types["arbiter_configuration_reloads_total"] == "counter")
        #expect(parsed.samples["arbiter_decision_log_dropped_total"] == 7)
        #expect(parsed.samples[#"arbiter_policy_revision_info{revision="sha256:ab"c"}"#] == 1)
        #expect(parsed.samples["arbiter_policy_last_reload_timestamp_seconds"] == 1_764_389_406.5)
    }

    @Test func transportFamiliesCarryTheServersCounters() {
        let transport = HTTPServerMetrics()
        transport.connectionsAccepted.add(5, ordering: .relaxed)
        transport.handshakesSucceeded.add(4, ordering: .relaxed)
        transport.verifiedChainCache.hits.add(3, ordering: .relaxed)
        transport.verifiedChainCache.misses.add(1, ordering: .relaxed)
        let parsed = PrometheusTextParser(
            WebhookMetrics().render(extra: WebhookServer.transportFamilies(transport, http2: HTTP2Metrics())))
        #expect(parsed.errors.isEmpty)
        #expect(parsed.samples["arbiter_connections_accepted_total"] == 5)
        #expect(parsed.samples["arbiter_tls_handshakes_total"] == 4)
        #expect(parsed.samples[#"arbiter_tls_verified_chain_cache_total{result="hit"}"#] == 3)
        #expect(parsed.samples[#"arbiter_tls_verified_chain_cache_total{result="miss"}"#] == 1)
        #expect(parsed.types["arbiter_tls_verified_chain_cache_total"] == "counter")
        #expect(parsed.samples[#"arbiter_http2_streams_total{outcome="opened"}"#] == 0)

        // Before the server has started there is no transport: only the HTTP/2 family.
        let early = PrometheusTextParser(WebhookMetrics().render(extra: WebhookServer.transportFamilies(nil, http2: HTTP2Metrics())))
        #expect(early.types["arbiter_tls_verified_chain_cache_total"] == nil)
        #expect(early.types["arbiter_http2_streams_total"] == "counter")
    }

    @Test func unknownStatusCodesAreCountedAsOther() {
        let metrics = WebhookMetrics()
        metrics.recordRequest(.other, statusCode: 999, nanoseconds: 1)
        metrics.recordRequest(.other, statusCode: -1, nanoseconds: -5)
        let parsed = PrometheusTextParser(metrics.render())
        #expect(parsed.samples[#"arbiter_requests_total{code="other",endpoint="other"}"#] == 2)
        // 1 ns plus a negative duration clamped to zero.
        #expect(parsed.samples[#"arbiter_request_duration_seconds_sum{endpoint="other"}"#] == 1e-09)
    }

    @Test func extraFamiliesAreAppendedWithEscapedLabelsAndHelp() {
        let metrics = WebhookMetrics()
        let tricky = "a\"b\\c\nd é"
        let extra = MetricFamily(
            name: "arbiter_tls_handshake_failures_total", help: "Handshake failures\\by reason\nsecond line",
            type: .counter,
            samples: [
                .init(labels: ["reason": tricky], value: 3),
                .init(labels: ["reason": "timeout"], value: 0.5),
            ])
        let text = metrics.render(extra: [extra])
        #expect(text.contains(#"# HELP arbiter_tls_handshake_failures_total Handshake failures\\by reason\nsecond line"#))
        #expect(text.contains(#"reason="a\"b\\c\nd é""#))
        let parsed = PrometheusTextParser(text)
        #expect(parsed.errors.isEmpty)
        #expect(parsed.samples[PrometheusTextParser.key("arbiter_tls_handshake_failures_total", ["reason": tricky])] == 3)
        #expect(parsed.samples[#"arbiter_tls_handshake_failures_total{reason="timeout"}"#] == 0.5)
        #expect(text.hasSuffix("\n"))
    }

    @Test(arguments: [
        (Double.infinity, "+Inf"), (-Double.infinity, "-Inf"), (Double.nan, "NaN"), (42, "42"), (0.25, "0.25"),
        (1e-05, "1e-05"),
    ])
    func valuesAreFormattedForGoParseFloat(value: Double, expected: String) {
        #expect(MetricFamily.formatValue(value) == expected)
    }

    @Test func decisionLabelsMatchTheDecisionLog() {
        #expect(Decision.allow.label == "allow")
        #expect(Decision.deny.label == "deny")
        #expect(Decision.noOpinion.label == "no_opinion")
        #expect(WebhookEndpoint.allCases.map(\.label).count == Set(WebhookEndpoint.allCases.map(\.label)).count)
    }
}
