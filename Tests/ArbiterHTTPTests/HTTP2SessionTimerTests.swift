import Testing

@testable import ArbiterHTTP

/// The session's own timers (security-checklist item 7), driven by explicit instants.
@Suite struct HTTP2SessionTimerTests {
    typealias Frames = HTTP2FrameBuilder

    @Test func idleConnectionGetsGoAwayThenFinishes() {
        let client = HTTP2TestClient()
        client.handshake()
        client.send(client.request(streamID: 1))
        client.pump()
        let idleDeadline = client.session.nextDeadline
        #expect(idleDeadline == client.now + .seconds(120))
        client.advance(by: .seconds(119))
        #expect(!client.session.isFinished)
        client.advance(by: .seconds(2))
        #expect(client.session.isFinished)
        #expect(client.goAways.count == 1)
        #expect(client.goAways.last?.errorCode == HTTP2ErrorCode.noError)
        #expect(client.goAways.last?.lastStreamID == 1)
        #expect(client.metrics.goawaysSent(.idleTimeout) == 1)
        let snapshot = client.metrics.snapshot()
        #expect(snapshot.goaways(.idleTimeout) == 1)
        #expect(snapshot.goawaysSent.reduce(0, +) == 1)
        #expect(snapshot.requestsCompleted == 1)
        #expect(snapshot.streamsOpened == 1)
        #expect(!client.session.hasPendingOutput)
        #expect(client.session.nextDeadline == nil)
    }

    @Test func keepAlivePingsAreAnsweredAndDoNotClose() {
        let client = HTTP2TestClient()
        client.handshake()
        for index in 0..<3 {
            client.advance(by: .seconds(30))
            client.send(Frames.ping(0xC0FFEE + UInt64(index)))
            let acks = client.pump().filter { $0.kind == .ping && $0.isAck }
            #expect(acks.count == 1)
            #expect(
                acks.first.map { UInt64($0.word(at: 0)) << 32 | UInt64($0.word(at: 4)) } == 0xC0FFEE + UInt64(index)
            )
            #expect(!client.session.isFinished)
        }
        client.send(client.request(streamID: 1))
        client.pump()
        #expect(client.response(1)?.status == 200)
        #expect(client.goAways.isEmpty)
    }

    @Test func zeroWindowReaderGetsGoAway() {
        let client = HTTP2TestClient()
        client.handshake(settings: [(HTTP2SettingID.initialWindowSize, 0)])
        client.send(client.request(streamID: 1))
        client.pump()
        let response = client.response(1)
        #expect(response?.status == 200)
        #expect(response?.body.isEmpty == true)
        #expect(response?.ended == false)
        #expect(!client.session.hasPendingOutput)  // blocked, so no busy loop in the connection
        // The write timer runs from when the response started waiting: the HEADERS frame that
        // went out with it is not progress of its body (security checklist 7; found by the
        // abuse probes, where the GOAWAY came only at twice the timeout).
        client.advance(by: .seconds(29))
        #expect(!client.session.isFinished)
        client.advance(by: .seconds(2))
        #expect(client.session.isFinished)
        #expect(client.metrics.goawaysSent(.writeTimeout) == 1)
        #expect(client.goAways.count == 1)
    }

    @Test func pingsDoNotKeepAZeroWindowReaderAlive() {
        let client = HTTP2TestClient()
        client.handshake(settings: [(HTTP2SettingID.initialWindowSize, 0)])
        client.send(client.request(streamID: 1))
        client.pump()
        #expect(client.response(1)?.status == 200)
        // Keep-alive PINGs are answered, but their acknowledgements are not progress of the
        // waiting response.
        for _ in 0..<3 {
            client.advance(by: .seconds(9))
            client.send(Frames.ping(42))
            client.pump()
            #expect(!client.session.isFinished)
        }
        client.advance(by: .seconds(4))
        #expect(client.session.isFinished)
        #expect(client.metrics.goawaysSent(.writeTimeout) == 1)
    }

    @Test func slowButProgressingReaderIsNotTimedOut() {
        let client = HTTP2TestClient(
            responder: HTTP2RecordingResponder(responseBody: [UInt8](repeating: 9, count: 10_000))
        )
        client.handshake(settings: [(HTTP2SettingID.initialWindowSize, 1000)])
        client.send(client.request(streamID: 1))
        client.pump()
        // 20 s between window updates (under the 30 s write timeout), the whole body within 30 s
        // of the answer.
        for step in 0..<9 {
            client.advance(by: .seconds(step == 0 ? 20 : 1))
            client.send(Frames.windowUpdate(streamID: 1, increment: 1000))
            client.pump()
            #expect(!client.session.isFinished)
        }
        #expect(client.response(1)?.body.count == 10_000)
        #expect(client.response(1)?.ended == true)
    }

    /// A window opened a little at a time is progress, but a response must still be written whole
    /// within the write timeout of its answer, or the connection (and its memory) is held forever.
    @Test func aTrickledResponseGetsGoAwayAtTheWriteTimeout() {
        let client = HTTP2TestClient(
            responder: HTTP2RecordingResponder(responseBody: [UInt8](repeating: 9, count: 10_000))
        )
        client.handshake(settings: [(HTTP2SettingID.initialWindowSize, 1000)])
        client.send(client.request(streamID: 1))
        client.pump()
        client.advance(by: .seconds(20))
        client.send(Frames.windowUpdate(streamID: 1, increment: 1))
        client.pump()
        #expect(!client.session.isFinished)
        client.advance(by: .seconds(9))
        #expect(!client.session.isFinished)
        client.advance(by: .seconds(2))
        #expect(client.session.isFinished)
        #expect(client.metrics.goawaysSent(.writeTimeout) == 1)
        #expect(client.response(1)?.ended == false)
    }

    @Test func gracefulShutdownAnswersInFlightStreamsThenFinishes() {
        let client = HTTP2TestClient()
        client.handshake()
        let block = HTTP2TestClient.requestBlock(method: "POST")
        client.send(Frames.headers(streamID: 1, block: block, endStream: false))
        client.pump()
        client.session.beginGracefulShutdown()
        client.pump()
        #expect(client.goAways.count == 1)
        #expect(client.goAways.first?.errorCode == HTTP2ErrorCode.noError)
        #expect(client.goAways.first?.lastStreamID == 1)
        #expect(!client.session.isFinished)
        #expect(client.session.openStreamCount == 1)
        // A stream opened after the GOAWAY is ignored; the in-flight one completes.
        client.send(client.request(streamID: 3) + Frames.data(streamID: 1, Array("done".utf8), endStream: true))
        client.pump()
        #expect(client.response(1)?.status == 200)
        #expect(client.response(1)?.ended == true)
        #expect(client.response(3) == nil)
        #expect(client.session.isFinished)
        #expect(!client.session.hasPendingOutput)
        #expect(client.metrics.goawaysSent(.gracefulShutdown) == 1)
    }

    @Test func gracefulShutdownOfIdleConnectionFinishesAtOnce() {
        let client = HTTP2TestClient()
        client.handshake()
        client.session.beginGracefulShutdown()
        client.pump()
        #expect(client.session.isFinished)
        #expect(client.goAways.count == 1)
    }

    @Test func stuckStreamDuringShutdownIsCutAtDrainTimeout() {
        var configuration = HTTP2Configuration()
        configuration.gracefulShutdownTimeout = .seconds(10)
        configuration.requestReceiveTimeout = .seconds(300)
        let client = HTTP2TestClient(configuration: configuration)
        client.handshake()
        client.send(Frames.headers(streamID: 1, block: HTTP2TestClient.requestBlock(method: "POST"), endStream: false))
        client.session.beginGracefulShutdown()
        client.pump()
        client.advance(by: .seconds(9))
        #expect(!client.session.isFinished)
        client.advance(by: .seconds(2))
        #expect(client.session.isFinished)
        #expect(client.metrics.goawaysSent(.drainTimeout) == 1)
        #expect(client.goAways.count == 2)
    }

    @Test func incompleteRequestIsCancelledAtRequestTimeout() {
        let client = HTTP2TestClient()
        client.handshake()
        client.send(Frames.headers(streamID: 1, block: HTTP2TestClient.requestBlock(method: "POST"), endStream: false))
        client.pump()
        client.advance(by: .seconds(31))
        #expect(client.response(1)?.resetCode == HTTP2ErrorCode.cancel)
        #expect(client.metrics.requestReceiveTimeouts == 1)
        #expect(!client.session.isFinished)
        #expect(client.session.streams.isEmpty)
    }

    @Test func unreadOutputIsDroppedAfterLinger() {
        let client = HTTP2TestClient()
        client.handshake()
        client.advance(by: .seconds(121))  // idle → GOAWAY queued, but pumped by advance
        #expect(client.session.isFinished)

        // A second session whose final output is never read.
        var configuration = HTTP2Configuration()
        configuration.idleTimeout = .seconds(1)
        let session = HTTP2Session(
            responder: HTTP2RecordingResponder(),
            peer: nil,
            configuration: configuration,
            now: client.now
        )
        let preface = Frames.clientPreface + Frames.settings()
        preface.withUnsafeBytes { session.receive($0, now: client.now) }
        session.deadlineReached(now: client.now + .seconds(1))
        #expect(session.isFinished)
        #expect(session.hasPendingOutput)
        let linger = session.nextDeadline
        #expect(linger == client.now + .seconds(1) + .seconds(5))
        session.deadlineReached(now: client.now + .seconds(6))
        #expect(!session.hasPendingOutput)
        #expect(session.nextDeadline == nil)
    }
}
