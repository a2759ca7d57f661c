import Testing

@testable import ArbiterHTTP

/// Per-stream limits: concurrency, header list, body, buffered bytes.
///
/// Each answers or refuses one
/// stream and leaves the connection serving.
@Suite struct HTTP2SessionLimitTests {
    typealias Frames = HTTP2FrameBuilder

    @Test func streamBeyondMaxConcurrentStreamsIsRefused() {
        let client = HTTP2TestClient()
        client.handshake()
        var bytes: [UInt8] = []
        let block = HTTP2TestClient.requestBlock(method: "POST")
        for index in 0..<101 {
            bytes += Frames.headers(streamID: UInt32(2 * index + 1), block: block, endStream: false)
        }
        client.send(bytes)
        client.pump()
        #expect(client.response(201)?.resetCode == HTTP2ErrorCode.refusedStream)
        #expect(client.metrics.streamsRefused == 1)
        #expect(client.metrics.streamsOpened == 100)
        #expect(!client.session.isFinished)
        // The 100 open streams still complete.
        var rest: [UInt8] = []
        for index in 0..<100 {
            rest += Frames.data(streamID: UInt32(2 * index + 1), [0x41], endStream: true)
        }
        client.send(rest)
        client.pump()
        #expect((0..<100).allSatisfy { client.response(UInt32(2 * $0 + 1))?.status == 200 })
    }

    @Test func oversizedHeaderListGets431() throws {
        var configuration = HTTP2Configuration()
        configuration.maxHeaderListSize = 1024
        let client = HTTP2TestClient(configuration: configuration)
        client.handshake()
        let big = String(repeating: "x", count: 2000)
        client.send(client.request(streamID: 1, extra: [("x-big", big)]))
        client.pump()
        #expect(client.response(1)?.status == 431)
        #expect(client.metrics.headerListViolations == 1)
        #expect(client.responder.recorded.isEmpty)
        client.send(client.request(streamID: 3))
        client.pump()
        #expect(client.response(3)?.status == 200)
    }

    @Test func manySmallHeadersAreCountedWithOverhead() {
        var configuration = HTTP2Configuration()
        configuration.maxHeaderListSize = 4096
        let client = HTTP2TestClient(configuration: configuration)
        client.handshake()
        // 200 fields of 2 bytes each: only 400 bytes of text, but 6,800 bytes as RFC 9113 counts.
        let fields = (0..<200).map { (name: "h\($0 % 10)", value: "") }
        client.send(client.request(streamID: 1, extra: fields))
        client.pump()
        #expect(client.response(1)?.status == 431)
    }

    @Test func headerListSpreadOverContinuationsIsCounted() {
        var configuration = HTTP2Configuration()
        configuration.maxHeaderListSize = 8192
        let client = HTTP2TestClient(configuration: configuration)
        client.handshake()
        let block = HTTP2TestClient.requestBlock(
            extra: (0..<6).map { ("x-\($0)", String(repeating: "v", count: 3000)) }
        )
        let pieces = stride(from: 0, to: block.count, by: 4000).map { Array(block[$0..<min($0 + 4000, block.count)]) }
        var bytes = Frames.headers(streamID: 1, block: pieces[0], endStream: true, endHeaders: false)
        for (index, piece) in pieces.enumerated().dropFirst() {
            bytes += Frames.continuation(streamID: 1, block: piece, endHeaders: index == pieces.count - 1)
        }
        client.send(bytes)
        client.pump()
        #expect(client.response(1)?.status == 431)
        #expect(!client.session.isFinished)
    }

    /// An early 413 carries the responder's error body (it was empty).
    @Test func oversizedBodyGetsTheRespondersErrorBody() {
        var configuration = HTTP2Configuration()
        configuration.maxRequestBodyBytes = 1000
        let client = HTTP2TestClient(configuration: configuration, custom: FormattedErrorResponder())
        client.handshake()
        client.send(
            Frames.headers(streamID: 1, block: HTTP2TestClient.requestBlock(method: "POST"), endStream: false)
                + Frames.data(streamID: 1, [UInt8](repeating: 1, count: 1600), endStream: false))
        client.pump()
        #expect(client.response(1)?.status == 413)
        #expect(client.response(1).map { String(decoding: $0.body, as: UTF8.self) } == "error 413: request body too large")
        // A HEAD request's early answer has no body (DATA on it would be a protocol error).
        client.send(
            Frames.headers(streamID: 3, block: HTTP2TestClient.requestBlock(method: "HEAD"), endStream: false)
                + Frames.data(streamID: 3, [UInt8](repeating: 1, count: 1600), endStream: false))
        client.pump()
        #expect(client.response(3)?.status == 413)
        #expect(client.response(3)?.body.isEmpty == true)
        // Nor does a 431 to HEAD whose `:method` comes after the field that passed the limit.
        let late = Frames.headerBlock([
            (":path", "/" + String(repeating: "p", count: 20_000)), (":scheme", "https"), (":authority", "a"), (":method", "HEAD"),
        ])
        var bytes: [UInt8] = []
        let pieces = stride(from: 0, to: late.count, by: 16_000).map { Array(late[$0..<min($0 + 16_000, late.count)]) }
        for (index, piece) in pieces.enumerated() {
            bytes += index == 0
                ? Frames.headers(streamID: 5, block: piece, endStream: true, endHeaders: pieces.count == 1)
                : Frames.continuation(streamID: 5, block: piece, endHeaders: index == pieces.count - 1)
        }
        client.send(bytes)
        client.pump()
        #expect(client.response(5)?.status == 431)
        #expect(client.response(5)?.body.isEmpty == true)
    }

    @Test func oversizedBodyGets413() {
        var configuration = HTTP2Configuration()
        configuration.maxRequestBodyBytes = 1000
        let client = HTTP2TestClient(configuration: configuration)
        client.handshake()
        let block = HTTP2TestClient.requestBlock(method: "POST")
        client.send(
            Frames.headers(streamID: 1, block: block, endStream: false)
                + Frames.data(streamID: 1, [UInt8](repeating: 1, count: 800), endStream: false)
                + Frames.data(streamID: 1, [UInt8](repeating: 1, count: 800), endStream: false)
        )
        client.pump()
        #expect(client.response(1)?.status == 413)
        #expect(client.metrics.bodyLimitViolations == 1)
        // The early answer is followed by RST_STREAM NO_ERROR, so the stream does not linger.
        #expect(client.response(1)?.resetCode == HTTP2ErrorCode.noError)
        #expect(client.session.streams.isEmpty)
        // The rest of the body is dropped, not answered twice.
        client.send(Frames.data(streamID: 1, [1, 2, 3], endStream: true))
        client.pump()
        #expect(client.responder.recorded.isEmpty)
        client.send(client.request(streamID: 3, method: "POST", body: [1]))
        client.pump()
        #expect(client.response(3)?.status == 200)
        #expect(!client.session.isFinished)
    }

    @Test func connectionBodyBufferCapRefusesStream() {
        var configuration = HTTP2Configuration()
        configuration.maxBufferedBodyBytes = 10_000
        let client = HTTP2TestClient(configuration: configuration)
        client.handshake()
        let block = HTTP2TestClient.requestBlock(method: "POST")
        var bytes: [UInt8] = []
        for index in 0..<3 {
            bytes += Frames.headers(streamID: UInt32(2 * index + 1), block: block, endStream: false)
            bytes += Frames.data(streamID: UInt32(2 * index + 1), [UInt8](repeating: 7, count: 4000), endStream: false)
        }
        client.send(bytes)
        client.pump()
        #expect(client.response(5)?.resetCode == HTTP2ErrorCode.refusedStream)
        #expect(client.session.bufferedBodyBytes == 8000)
        client.send(Frames.data(streamID: 1, [], endStream: true) + Frames.data(streamID: 3, [], endStream: true))
        client.pump()
        #expect(client.response(1)?.status == 200)
        #expect(client.response(3)?.status == 200)
        #expect(client.session.bufferedBodyBytes == 0)
    }

    /// A reader that keeps its windows shut: the session stops answering once the unsent
    /// responses reach ``HTTP2Configuration/maxUnsentResponseBytes`` and answers the rest as the
    /// windows open, so the memory it holds is bounded by the cap, not by the streams.
    @Test func unsentResponsesAreBoundedPerConnection() {
        let body = [UInt8](repeating: 7, count: 60_000)
        let client = HTTP2TestClient(responder: HTTP2RecordingResponder(responseBody: body))
        client.handshake(settings: [(HTTP2SettingID.initialWindowSize, 0)])
        var requests: [UInt8] = []
        for index in 0..<20 { requests += client.request(streamID: UInt32(2 * index + 1)) }
        client.send(requests)
        client.pump()
        // 60 KB each: the third reaches 180 KB, over the 128 KiB cap.
        #expect(client.responder.recorded.count == 3)
        #expect(client.session.unsentResponseBytes == 180_000)
        #expect(!client.session.hasPendingOutput)  // nothing to write and nothing to answer: no busy loop
        // The windows open: what was answered leaves, and the rest is answered.
        var updates = Frames.windowUpdate(streamID: 0, increment: 20 * 60_000)
        for index in 0..<20 { updates += Frames.windowUpdate(streamID: UInt32(2 * index + 1), increment: 60_000) }
        client.send(updates)
        client.pump()
        #expect(client.responder.recorded.count == 20)
        #expect((0..<20).allSatisfy { client.response(UInt32(2 * $0 + 1))?.body.count == 60_000 })
        #expect(client.session.unsentResponseBytes == 0)
        #expect(!client.session.isFinished)
    }

    @Test func windowsReopenForLargeUploads() {
        let client = HTTP2TestClient()
        client.handshake()
        // 600 KiB in 16 KiB frames: more than the stream (256 KiB) and connection (1 MiB after the
        // first update, 64 KiB before) windows allow unless the session credits them back.
        let block = HTTP2TestClient.requestBlock(method: "POST")
        client.send(Frames.headers(streamID: 1, block: block, endStream: false))
        var sent = 0
        // What the client may still send on the connection: the default window plus the update
        // the server sent with its SETTINGS.
        var credit =
            65_535
            + client.frames.filter { $0.kind == .windowUpdate && $0.streamID == 0 }
            .reduce(0) { $0 + Int($1.word(at: 0)) }
        var streamCredit = 262_144
        for _ in 0..<100 {
            let size = min(16_384, 600 * 1024 - sent, credit, streamCredit)
            if size == 0 { break }
            sent += size
            credit -= size
            streamCredit -= size
            client.send(Frames.data(streamID: 1, [UInt8](repeating: 2, count: size), endStream: sent == 600 * 1024))
            for frame in client.pump() where frame.kind == .windowUpdate {
                if frame.streamID == 0 {
                    credit += Int(frame.word(at: 0))
                } else {
                    streamCredit += Int(frame.word(at: 0))
                }
            }
        }
        #expect(sent == 600 * 1024)
        #expect(client.responder.recorded.first?.body.count == 600 * 1024)
    }
}

/// Early error answers count as server-forced errors.
@Suite struct HTTP2SessionForcedErrorTests {
    @Test func repeatedHeaderListViolationsEndTheConnection() {
        var configuration = HTTP2Configuration()
        configuration.maxHeaderListSize = 512
        configuration.serverResetLimit = HTTP2RateLimit(count: 10, interval: .seconds(10))
        let client = HTTP2TestClient(configuration: configuration)
        client.handshake()
        var bytes: [UInt8] = []
        for index in 0..<30 {
            bytes += client.request(
                streamID: UInt32(2 * index + 1),
                extra: [("x-big", String(repeating: "h", count: 600))]
            )
        }
        client.send(bytes)
        client.pump()
        #expect(client.session.isFinished)
        #expect(client.goAways.last?.errorCode == HTTP2ErrorCode.enhanceYourCalm)
        #expect(client.metrics.headerListViolations == 11)
        #expect(client.metrics.goawaysSent(.serverResetFlood) == 1)
    }
}

/// The advertised stream limit is the configured one, whatever its value, and is enforced.
@Suite struct HTTP2SessionStreamLimitTests {
    @Test(arguments: [1, 10, 250])
    func configuredLimitIsAdvertisedAndEnforced(limit: Int) {
        var configuration = HTTP2Configuration()
        configuration.maxConcurrentStreams = limit
        let client = HTTP2TestClient(configuration: configuration)
        client.send(HTTP2FrameBuilder.clientPreface + HTTP2FrameBuilder.settings())
        let settings = client.pump().first { $0.kind == .settings && !$0.isAck }
        var advertised: UInt32?
        if let payload = settings?.payload {
            for offset in stride(from: 0, to: payload.count - 5, by: 6)
            where payload[offset] == 0 && UInt16(payload[offset + 1]) == HTTP2SettingID.maxConcurrentStreams {
                advertised = settings?.word(at: offset + 2)
            }
        }
        #expect(advertised == UInt32(limit))
        client.send(HTTP2FrameBuilder.settings(ack: true))
        let block = HTTP2TestClient.requestBlock(method: "POST")
        var bytes: [UInt8] = []
        for index in 0...limit {
            bytes += HTTP2FrameBuilder.headers(streamID: UInt32(2 * index + 1), block: block, endStream: false)
        }
        client.send(bytes)
        client.pump()
        #expect(client.response(UInt32(2 * limit + 1))?.resetCode == HTTP2ErrorCode.refusedStream)
        #expect(client.session.openStreamCount == limit)
        #expect(!client.session.isFinished)
    }
}
