import Testing

@testable import ArbiterHTTP

/// Keeps the benchmark loop working (it is timed only in release builds, by the benchmarks target).
@Suite struct HTTP2SessionBenchmarkTests {
    @Test func benchmarkLoopAnswersEveryRequest() {
        let responder = HTTP2RecordingResponder(responseBody: [UInt8](repeating: 0x7b, count: 300))
        let result = HTTP2SessionBenchmark.run(
            requests: 20_000,
            requestBody: [UInt8](repeating: 0x20, count: 600),
            responder: responder
        )
        #expect(result.wallNanosecondsPerRequest > 0)
        #expect(result.requests == 20_000)
        #expect(responder.recorded.count == 20_000 + 16)  // plus the warm-up batch
    }
}
