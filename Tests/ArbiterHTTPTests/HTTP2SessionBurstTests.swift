import Testing

@testable import ArbiterHTTP

/// Requests that arrive together are answered in bursts (``HTTP2Configuration/responsesPerWrite``,
/// ``HTTP2Configuration/burstDuration``), each burst handed out before the next is computed.
@Suite struct HTTP2SessionBurstTests {
    /// `count` complete POST requests on streams 1, 3, 5, ... in one byte string.
    private func requests(_ client: HTTP2TestClient, count: Int) -> [UInt8] {
        (0..<count).flatMap { index in
            client.request(streamID: UInt32(2 * index + 1), method: "POST", body: Array("r\(index)".utf8))
        }
    }

    @Test func requestsAreAnsweredWhenOutputIsTakenNotWhileReceiving() {
        var configuration = HTTP2Configuration()
        configuration.burstDuration = .seconds(60)
        let client = HTTP2TestClient(configuration: configuration)
        client.handshake()
        client.send(requests(client, count: 3))
        // Parsed and queued, but the responder has not run yet.
        #expect(client.responder.recorded.isEmpty)
        #expect(client.session.hasPendingOutput)
        #expect(client.session.openStreamCount == 3)
        client.pump()
        #expect(client.responder.recorded.map(\.body) == (0..<3).map { Array("r\($0)".utf8) })
        #expect(client.responseHeadersPerOutput == [[1, 3, 5]])
        #expect(client.metrics.requestsCompleted == 3)
    }

    @Test func burstsHoldAtMostResponsesPerWrite() {
        var configuration = HTTP2Configuration()
        configuration.responsesPerWrite = 3
        configuration.burstDuration = .seconds(60)
        let client = HTTP2TestClient(configuration: configuration)
        client.handshake()
        client.send(requests(client, count: 8))
        client.pump()
        #expect(client.responseHeadersPerOutput == [[1, 3, 5], [7, 9, 11], [13, 15]])
        for index in 0..<8 {
            let response = client.response(UInt32(2 * index + 1))
            #expect(response?.status == 200)
            #expect(response?.ended == true)
            #expect(response.map { String(decoding: $0.body, as: UTF8.self) } == "POST /authorize  r\(index)")
        }
    }

    @Test func zeroBurstDurationWritesEveryAnswerOnItsOwn() {
        var configuration = HTTP2Configuration()
        configuration.burstDuration = .zero
        let client = HTTP2TestClient(configuration: configuration)
        client.handshake()
        client.send(requests(client, count: 4))
        client.pump()
        #expect(client.responseHeadersPerOutput == [[1], [3], [5], [7]])
    }

    @Test func aResponderSlowerThanTheBudgetEndsTheBurst() {
        /// Takes 2 ms per answer, so a 1 ms budget ends every burst after its first answer.
        final class SlowResponder: Responder {
            func respond(to request: HTTPRequest) -> HTTPResponse {
                let until = ContinuousClock.now + .milliseconds(2)
                while ContinuousClock.now < until {}
                return HTTPResponse(status: 200, body: Array("ok".utf8))
            }
        }
        var configuration = HTTP2Configuration()
        configuration.burstDuration = .milliseconds(1)
        let client = HTTP2TestClient(configuration: configuration, custom: SlowResponder())
        client.handshake()
        client.send(requests(client, count: 3))
        client.pump()
        #expect(client.responseHeadersPerOutput == [[1], [3], [5]])
    }

    @Test func aStreamResetWhileQueuedIsNeverAnswered() {
        let client = HTTP2TestClient()
        client.handshake()
        // Stream 1 completes and is reset by the peer in the same read, before any output is taken.
        client.send(
            client.request(streamID: 1, method: "POST", body: Array("a".utf8))
                + HTTP2FrameBuilder.rstStream(streamID: 1, errorCode: HTTP2ErrorCode.cancel)
                + client.request(streamID: 3, method: "POST", body: Array("b".utf8)))
        client.pump()
        #expect(client.responder.recorded.map(\.body) == [Array("b".utf8)])
        #expect(client.response(1) == nil)
        #expect(client.response(3)?.status == 200)
        #expect(client.metrics.requestsCompleted == 1)
        #expect(client.session.openStreamCount == 0)
    }

    @Test func queuedRequestsStillCountAgainstTheStreamLimit() {
        var configuration = HTTP2Configuration()
        configuration.maxConcurrentStreams = 2
        let client = HTTP2TestClient(configuration: configuration)
        client.handshake()
        client.send(requests(client, count: 3))
        client.pump()
        #expect(client.response(1)?.status == 200)
        #expect(client.response(3)?.status == 200)
        #expect(client.response(5)?.resetCode == HTTP2ErrorCode.refusedStream)
        #expect(client.responder.recorded.count == 2)
    }

    @Test func eachOutputCallTakesOneBurst() {
        var configuration = HTTP2Configuration()
        configuration.responsesPerWrite = 2
        configuration.burstDuration = .seconds(60)
        let client = HTTP2TestClient(configuration: configuration)
        client.handshake()
        client.send(requests(client, count: 6))
        // The rest waits (and counts as pending output, under the write timer) until asked for.
        var output: [UInt8] = []
        client.session.produceOutput(into: &output, limit: 64 * 1024)
        #expect(client.responder.recorded.count == 2)
        #expect(client.session.hasPendingOutput)
        #expect(client.session.nextDeadline != nil)
        for _ in 0..<10 where client.session.hasPendingOutput {
            client.session.produceOutput(into: &output, limit: 64 * 1024)
        }
        #expect(client.responder.recorded.count == 6)
        #expect(!client.session.hasPendingOutput)
    }

    @Test func gracefulShutdownStillAnswersQueuedRequests() {
        let client = HTTP2TestClient()
        client.handshake()
        client.send(requests(client, count: 2))
        client.session.beginGracefulShutdown()
        client.pump()
        #expect(client.response(1)?.status == 200)
        #expect(client.response(3)?.status == 200)
        #expect(client.goAways.first?.lastStreamID == 3)
    }
}
