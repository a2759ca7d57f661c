import Testing

@testable import ArbiterHTTP

/// Requests and responses over a healthy connection.
@Suite struct HTTP2SessionTests {
    typealias Frames = HTTP2FrameBuilder

    @Test func serverSendsSettingsWithAdvertisedLimits() {
        let client = HTTP2TestClient()
        client.send(Frames.clientPreface + Frames.settings())
        let frames = client.pump()
        let settings = frames.first { $0.kind == .settings && !$0.isAck }
        #expect(settings != nil)
        var advertised: [UInt16: UInt32] = [:]
        if let payload = settings?.payload {
            for offset in stride(from: 0, to: payload.count - 5, by: 6) {
                let id = UInt16(payload[offset]) << 8 | UInt16(payload[offset + 1])
                advertised[id] = settings!.word(at: offset + 2)
            }
        }
        #expect(advertised[HTTP2SettingID.maxConcurrentStreams] == 100)
        #expect(advertised[HTTP2SettingID.maxHeaderListSize] == UInt32(16_384))
        #expect(advertised[HTTP2SettingID.initialWindowSize] == UInt32(262_144))
        #expect(frames.contains { $0.kind == .settings && $0.isAck })
    }

    @Test func getRoundTrip() throws {
        let client = HTTP2TestClient()
        client.handshake()
        client.send(client.request(streamID: 1, path: "/healthz?verbose=1", extra: [("x-trace", "abc")]))
        client.pump()
        let response = try #require(client.response(1))
        #expect(response.status == 200)
        #expect(response.ended)
        #expect(response.header("content-type") == "text/plain")
        #expect(response.header("content-length") == String(response.body.count))
        #expect(String(decoding: response.body, as: UTF8.self) == "GET /healthz verbose=1 ")
        let request = try #require(client.responder.recorded.first)
        #expect(request.method == "GET")
        #expect(request.path == "/healthz")
        #expect(request.query == "verbose=1")
        #expect(request.protocolVersion == .http2)
        #expect(request.header("x-trace") == "abc")
        #expect(request.header("host") == "arbiter.local")
        #expect(request.peer?.commonName == "system:kube-apiserver")
        #expect(!request.headers.contains { $0.name.hasPrefix(":") })
        #expect(!client.session.isFinished)
        #expect(client.metrics.requestsCompleted == 1)
    }

    @Test func postBodySplitOverFramesIsDelivered() throws {
        let client = HTTP2TestClient()
        client.handshake()
        let block = HTTP2TestClient.requestBlock(method: "POST", extra: [("content-type", "application/json")])
        client.send(
            Frames.headers(streamID: 1, block: block, endStream: false)
                + Frames.data(streamID: 1, Array("{\"kind\":".utf8), endStream: false)
        )
        #expect(client.responder.recorded.isEmpty)
        client.send(Frames.data(streamID: 1, Array("\"SubjectAccessReview\"}".utf8), endStream: true))
        client.pump()
        let request = try #require(client.responder.recorded.first)
        #expect(String(decoding: request.body, as: UTF8.self) == "{\"kind\":\"SubjectAccessReview\"}")
        #expect(request.header("content-type") == "application/json")
        #expect(client.response(1)?.status == 200)
    }

    @Test func manyConcurrentStreamsAreAllAnswered() {
        let client = HTTP2TestClient()
        client.handshake()
        var bytes: [UInt8] = []
        for index in 0..<100 {
            bytes += client.request(streamID: UInt32(2 * index + 1), method: "POST", body: Array("r\(index)".utf8))
        }
        client.send(bytes)
        client.pump()
        for index in 0..<100 {
            let response = client.response(UInt32(2 * index + 1))
            #expect(response?.status == 200)
            #expect(response?.ended == true)
            #expect(response.map { String(decoding: $0.body, as: UTF8.self) } == "POST /authorize  r\(index)")
        }
        #expect(client.metrics.streamsOpened == 100)
        #expect(client.metrics.streamsRefused == 0)
        #expect(client.session.nextDeadline != nil)  // idle timer runs again
    }

    @Test func largeResponseRespectsOutputLimit() throws {
        let body = (0..<200_000).map { UInt8(truncatingIfNeeded: $0) }
        let client = HTTP2TestClient(responder: HTTP2RecordingResponder(responseBody: body))
        client.handshake(settings: [(HTTP2SettingID.initialWindowSize, 1 << 20)])
        client.send(Frames.windowUpdate(streamID: 0, increment: 1 << 20))
        client.outputLimit = 1000
        client.send(client.request(streamID: 1))
        client.pump()
        #expect(client.outputChunkSizes.allSatisfy { $0 <= 1000 })
        let response = try #require(client.response(1))
        #expect(response.body == body)
        #expect(response.ended)
    }

    @Test func headRequestGetsLengthWithoutBody() throws {
        let client = HTTP2TestClient()
        client.handshake()
        client.send(client.request(streamID: 1, method: "HEAD"))
        client.pump()
        let response = try #require(client.response(1))
        #expect(response.status == 200)
        #expect(response.body.isEmpty)
        #expect(response.header("content-length") == String("HEAD /authorize  ".utf8.count))
    }

    @Test func requestWithoutPathIsResetAndConnectionSurvives() {
        let client = HTTP2TestClient()
        client.handshake()
        let block = Frames.headerBlock([(":method", "GET"), (":scheme", "https"), (":authority", "a")])
        client.send(Frames.headers(streamID: 1, block: block, endStream: true))
        client.pump()
        #expect(client.response(1)?.resetCode == HTTP2ErrorCode.protocolError)
        #expect(client.responder.recorded.isEmpty)
        client.send(client.request(streamID: 3))
        client.pump()
        #expect(client.response(3)?.status == 200)
        #expect(!client.session.isFinished)
    }

    @Test func invalidResponderStatusAndHeadersAreSanitised() throws {
        struct BadResponder: Responder {
            func respond(to request: HTTPRequest) -> HTTPResponse {
                HTTPResponse(
                    status: 42,
                    headers: [
                        ("Upper", "x"), ("connection", "close"), ("x-ok", "1"), ("x-bad", "a\r\nb"),
                        ("content-length", "999"),
                    ],
                    body: Array("oops".utf8)
                )
            }
        }
        let client = HTTP2TestClient(custom: BadResponder())
        client.handshake()
        client.send(client.request(streamID: 1))
        client.pump()
        let response = try #require(client.response(1))
        #expect(response.status == 500)
        #expect(response.header("x-ok") == "1")
        #expect(response.header("upper") == nil)
        #expect(response.header("connection") == nil)
        #expect(response.header("x-bad") == nil)
        #expect(response.header("content-length") == "4")
        #expect(String(decoding: response.body, as: UTF8.self) == "oops")
        #expect(!client.session.isFinished)
    }

    @Test func garbagePrefaceFinishesWithoutGoAway() {
        let client = HTTP2TestClient()
        client.send(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        client.pump()
        #expect(client.session.isFinished)
        #expect(client.goAways.isEmpty)
        #expect(client.responder.recorded.isEmpty)
    }

    @Test func closeIsIdempotentAndFinishes() {
        let client = HTTP2TestClient()
        client.handshake()
        client.session.close()
        client.session.close()
        #expect(client.session.isFinished)
        client.send(client.request(streamID: 1))
        #expect(client.responder.recorded.isEmpty)
    }
}

/// Less common but legal request shapes and peer-initiated endings.
@Suite struct HTTP2SessionEdgeTests {
    typealias Frames = HTTP2FrameBuilder

    @Test func trailersCompleteTheRequest() throws {
        let client = HTTP2TestClient()
        client.handshake()
        client.send(
            Frames.headers(streamID: 1, block: HTTP2TestClient.requestBlock(method: "POST"), endStream: false)
                + Frames.data(streamID: 1, Array("body".utf8), endStream: false)
                + Frames.headers(streamID: 1, block: Frames.headerBlock([("x-checksum", "abc")]), endStream: true)
        )
        client.pump()
        #expect(client.response(1)?.status == 200)
        let request = try #require(client.responder.recorded.first)
        #expect(request.body == Array("body".utf8))
        #expect(request.header("x-checksum") == nil)  // trailers are counted, not delivered
    }

    @Test func explicitHostIsKeptAndAuthorityNotAdded() throws {
        let client = HTTP2TestClient()
        client.handshake()
        client.send(client.request(streamID: 1, extra: [("host", "explicit.example")]))
        client.pump()
        let request = try #require(client.responder.recorded.first)
        #expect(request.headers.filter { $0.name == "host" }.map(\.value) == ["explicit.example"])
    }

    @Test func everyRequestSeesItsOwnFieldsWhenStringsAreReused() throws {
        let client = HTTP2TestClient()
        client.handshake()
        let lists: [[(name: String, value: String)]] = [
            [("content-type", "application/json"), ("user-agent", "kube-apiserver-admission/v1.31.0 (linux/amd64)")],
            [("content-type", "application/json"), ("user-agent", "kube-apiserver-admission/v1.31.0 (linux/amd64)")],
            // Same positions, other values; then other names at those positions.
            [("content-type", "application/jsox"), ("user-agent", "kube-apiserver-admission/v1.31.0 (linux/amd65)")],
            [("user-agent", "application/json"), ("content-type", "kube-apiserver-admission/v1.31.0 (linux/amd64)")],
            [("content-type", "")],
            [("content-type", "application/json"), ("x-extra", "é"), ("x-extra", "e\u{301}")],
        ]
        for (index, extra) in lists.enumerated() {
            client.send(client.request(streamID: UInt32(2 * index + 1), path: "/p\(index % 2)", extra: extra))
            client.pump()
        }
        let recorded = client.responder.recorded
        try #require(recorded.count == lists.count)
        for (request, extra) in zip(recorded, lists) {
            let expected = [("host", "arbiter.local")] + extra
            #expect(request.headers.map(\.name) == expected.map(\.0))
            #expect(request.headers.map { Array($0.value.utf8) } == expected.map { Array($0.1.utf8) })
        }
        #expect(recorded.map(\.path) == ["/p0", "/p1", "/p0", "/p1", "/p0", "/p1"])
    }

    @Test func fieldStringsDecodeExactlyAsStringDecoding() {
        var strings = FieldStringCache()
        let inputs: [[UInt8]] = [
            Array("application/json".utf8), Array("application/json".utf8), [0xFF, 0x41], [0xFF, 0x41],
            [0xEF, 0xBF, 0xBD, 0x41], [0xFF, 0x41], [], Array(repeating: UInt8(ascii: "a"), count: 300),
            Array(repeating: UInt8(ascii: "a"), count: 300), Array("application/json".utf8),
        ]
        for (index, bytes) in inputs.enumerated() {
            let expected = String(decoding: bytes, as: UTF8.self)
            for slot in [0, FieldStringCache.maxSlots - 1, FieldStringCache.maxSlots] {
                let string = bytes.withUnsafeBufferPointer { strings.string($0, slot: slot) }
                #expect(Array(string.utf8) == Array(expected.utf8), "input \(index), slot \(slot)")
            }
        }
    }

    @Test func authorityBecomesTheFirstHostFieldOnlyWithoutAHostField() throws {
        let client = HTTP2TestClient()
        client.handshake()
        client.send(client.request(streamID: 1, extra: [("accept", "*/*")]))
        client.send(client.request(streamID: 3, extra: [("accept", "*/*"), ("host", "explicit.example")]))
        client.send(client.request(streamID: 5, extra: [("accept", "*/*")]))
        client.pump()
        let recorded = client.responder.recorded
        try #require(recorded.count == 3)
        #expect(recorded[0].headers.map(\.name) == ["host", "accept"])
        #expect(recorded[0].header("host") == "arbiter.local")
        #expect(recorded[1].headers.map(\.name) == ["accept", "host"])
        #expect(recorded[1].header("host") == "explicit.example")
        #expect(recorded[2].headers.map(\.name) == ["host", "accept"])
    }

    @Test func peerGoAwayLetsInFlightStreamsFinish() {
        let client = HTTP2TestClient()
        client.handshake()
        client.send(
            Frames.headers(streamID: 1, block: HTTP2TestClient.requestBlock(method: "POST"), endStream: false)
                + Frames.goAway(lastStreamID: 0, errorCode: HTTP2ErrorCode.noError)
        )
        client.pump()
        #expect(!client.session.isFinished)
        client.send(Frames.data(streamID: 1, [1], endStream: true))
        client.pump()
        #expect(client.response(1)?.status == 200)
        #expect(client.session.isFinished)
    }

    @Test func streamBurstFarBeyondTheLimitEndsTheConnection() {
        let client = HTTP2TestClient()
        client.handshake()
        let block = HTTP2TestClient.requestBlock(method: "POST")
        var bytes: [UInt8] = []
        for index in 0..<400 {
            bytes += Frames.headers(streamID: UInt32(2 * index + 1), block: block, endStream: false)
        }
        client.send(bytes)
        client.pump()
        #expect(client.session.isFinished)
        #expect(client.goAways.count == 1)
        #expect(client.session.streams.count <= 100)
    }

    @Test func requestsBeforeTheSettingsAckAreServed() {
        let client = HTTP2TestClient()
        client.send(Frames.clientPreface + Frames.settings() + client.request(streamID: 1))
        client.pump()
        #expect(client.response(1)?.status == 200)
    }

    @Test func outputBeforeAnyInputIsTheServerPreface() {
        let client = HTTP2TestClient()
        #expect(client.session.hasPendingOutput)
        let frames = client.pump()
        #expect(frames.first?.kind == .settings)
        #expect(client.session.nextDeadline != nil)
    }
}

/// Responses whose status forbids content.
@Suite struct HTTP2SessionStatusTests {
    struct FixedResponder: Responder {
        let status: Int
        func respond(to request: HTTPRequest) -> HTTPResponse {
            HTTPResponse(status: status, body: Array("should not be sent".utf8))
        }
    }

    @Test(arguments: [204, 304])
    func contentlessStatusesSendNoBody(status: Int) throws {
        let client = HTTP2TestClient(custom: FixedResponder(status: status))
        client.handshake()
        client.send(client.request(streamID: 1))
        client.pump()
        let response = try #require(client.response(1))
        #expect(response.status == status)
        #expect(response.body.isEmpty)
        #expect(response.ended)
        #expect(response.header("content-length") == nil)
    }
}
