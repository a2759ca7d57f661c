import Testing

@testable import ArbiterHTTP

/// Requests that arrive together are answered in bursts (``HTTP2Configuration/responsesPerWrite``,
/// ``HTTP2Configuration/burstDuration``), each burst handed out before the next is computed.
@Suite struct HTTP2SessionBurstTests {
    /// A session past its handshake that has received `count` complete POST requests (streams
    /// 1, 3, 5, ..., bodies `r0`, `r1`, ...) in one read, no output taken yet. The burst budget is
    /// a minute unless given, so only `responsesPerWrite` ends a burst.
    private func client(
        receiving count: Int,
        responsesPerWrite: Int = HTTP2Configuration().responsesPerWrite,
        burstDuration: Duration = .seconds(60),
        maxConcurrentStreams: Int = HTTP2Configuration().maxConcurrentStreams,
        responder: (any Responder)? = nil
    ) -> HTTP2TestClient {
        var configuration = HTTP2Configuration()
        configuration.responsesPerWrite = responsesPerWrite
        configuration.burstDuration = burstDuration
        configuration.maxConcurrentStreams = maxConcurrentStreams
        let client = HTTP2TestClient(configuration: configuration, custom: responder)
        client.handshake()
        client.send(
            (0..<count).flatMap { index in
                client.request(streamID: UInt32(2 * index + 1), method: "POST", body: Array("r\(index)".utf8))
            })
        return client
    }

    @Test func requestsAreAnsweredWhenOutputIsTakenNotWhileReceiving() {
        let client = self.client(receiving: 3)
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
        let client = self.client(receiving: 8, responsesPerWrite: 3)
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
        let client = self.client(receiving: 4, burstDuration: .zero)
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
        let client = self.client(receiving: 3, burstDuration: .milliseconds(1), responder: SlowResponder())
        client.pump()
        #expect(client.responseHeadersPerOutput == [[1], [3], [5]])
    }

    @Test func aStreamResetWhileQueuedIsNeverAnswered() {
        let client = self.client(receiving: 0)
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
        let client = self.client(receiving: 3, maxConcurrentStreams: 2)
        client.pump()
        #expect(client.response(1)?.status == 200)
        #expect(client.response(3)?.status == 200)
        #expect(client.response(5)?.resetCode == HTTP2ErrorCode.refusedStream)
        #expect(client.responder.recorded.count == 2)
    }

    @Test func eachOutputCallTakesOneBurst() {
        let client = self.client(receiving: 6, responsesPerWrite: 2)
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
        let client = self.client(receiving: 2)
        client.session.beginGracefulShutdown()
        client.pump()
        #expect(client.response(1)?.status == 200)
        #expect(client.response(3)?.status == 200)
        #expect(client.goAways.first?.lastStreamID == 3)
    }
}
