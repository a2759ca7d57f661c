import Foundation
import Testing

@testable import ArbiterHTTP

/// Attacks from security-checklist items 5–6: each ends in bounded time with GOAWAY (or a plain
/// close), and never reaches the responder more than the healthy traffic did.
@Suite struct HTTP2SessionAbuseTests {
    typealias Frames = HTTP2FrameBuilder

    @Test func continuationFloodEndsConnection() {
        let client = HTTP2TestClient()
        client.handshake()
        let block = HTTP2TestClient.requestBlock()
        var bytes = Frames.headers(streamID: 1, block: block, endStream: true, endHeaders: false)
        for _ in 0..<1000 {
            bytes += Frames.continuation(streamID: 1, block: [], endHeaders: false)
        }
        client.send(bytes)
        client.pump()
        #expect(client.session.isFinished)
        #expect(client.goAways.last?.errorCode == HTTP2ErrorCode.enhanceYourCalm)
        #expect(client.responder.recorded.isEmpty)
        #expect(client.metrics.floodCloses == 1)
    }

    @Test func rapidResetEndsInGoAway() {
        var configuration = HTTP2Configuration()
        configuration.peerResetLimit = HTTP2RateLimit(count: 50, interval: .seconds(10))
        let client = HTTP2TestClient(configuration: configuration)
        client.handshake()
        let block = HTTP2TestClient.requestBlock(method: "POST")
        var bytes: [UInt8] = []
        for index in 0..<200 {
            let streamID = UInt32(2 * index + 1)
            bytes += Frames.headers(streamID: streamID, block: block, endStream: false)
            bytes += Frames.rstStream(streamID: streamID, errorCode: HTTP2ErrorCode.cancel)
        }
        client.send(bytes)
        client.pump()
        #expect(client.session.isFinished)
        #expect(client.goAways.last?.errorCode == HTTP2ErrorCode.enhanceYourCalm)
        #expect(client.metrics.streamsResetByPeer == 51)
        #expect(client.metrics.goawaysSent(.peerResetFlood) == 1)
        #expect(client.session.streams.isEmpty)
    }

    @Test func resetsBelowTheLimitAreTolerated() {
        let client = HTTP2TestClient()
        client.handshake()
        let block = HTTP2TestClient.requestBlock(method: "POST")
        for index in 0..<20 {
            let streamID = UInt32(2 * index + 1)
            client.send(
                Frames.headers(streamID: streamID, block: block, endStream: false)
                    + Frames.rstStream(streamID: streamID, errorCode: HTTP2ErrorCode.cancel)
            )
            client.pump()
        }
        #expect(!client.session.isFinished)
        #expect(client.goAways.isEmpty)
        #expect(client.session.streams.isEmpty)
    }

    @Test func serverForcedResetFloodEndsWithEnhanceYourCalm() {
        var configuration = HTTP2Configuration()
        configuration.serverResetLimit = HTTP2RateLimit(count: 20, interval: .seconds(10))
        let client = HTTP2TestClient(configuration: configuration)
        client.handshake()
        // MadeYouReset: frames that are well-formed but make the server reset the stream — here
        // DATA longer than the declared content-length, and an upper-case header name.
        let block = HTTP2TestClient.requestBlock(method: "POST", extra: [("content-length", "1")])
        let bad = HTTP2TestClient.requestBlock(extra: [("X-Upper", "1")])
        var bytes: [UInt8] = []
        for index in 0..<60 {
            let streamID = UInt32(2 * index + 1)
            if index % 2 == 0 {
                bytes += Frames.headers(streamID: streamID, block: block, endStream: false)
                bytes += Frames.data(streamID: streamID, [1, 2, 3], endStream: true)
            } else {
                bytes += Frames.headers(streamID: streamID, block: bad, endStream: true)
            }
        }
        client.send(bytes)
        client.pump()
        #expect(client.session.isFinished)
        #expect(client.goAways.last?.errorCode == HTTP2ErrorCode.enhanceYourCalm)
        #expect(client.metrics.goawaysSent(.serverResetFlood) == 1)
        #expect(client.metrics.streamsResetByUs == 21)
        #expect(client.responder.recorded.isEmpty)
    }

    @Test func settingsFloodFinishes() {
        let client = HTTP2TestClient()
        client.handshake()
        var bytes: [UInt8] = []
        for _ in 0..<5000 {
            bytes += Frames.settings([(HTTP2SettingID.initialWindowSize, 65_535)])
        }
        client.send(bytes)
        client.pump()
        #expect(client.session.isFinished)
        #expect(client.metrics.floodCloses == 1)
        #expect(client.goAways.last?.errorCode == HTTP2ErrorCode.enhanceYourCalm)
        #expect(client.frames.filter { $0.kind == .settings && $0.isAck }.count <= 1001)
    }

    @Test func unreadPingAcksAreAFlood() {
        // The peer never reads: acknowledgements pile up until libnghttp2 reports a flood.
        var configuration = HTTP2Configuration()
        configuration.controlFrameLimit = HTTP2RateLimit(count: 100_000, interval: .seconds(10))
        let client = HTTP2TestClient(configuration: configuration)
        client.handshake()
        var bytes: [UInt8] = []
        for index in 0..<5000 {
            bytes += Frames.ping(UInt64(index))
        }
        client.send(bytes)
        #expect(client.session.isFinished)
        client.pump()
        #expect(client.metrics.floodCloses == 1)
        #expect(client.metrics.goawaysSent(.flood) == 1)
    }

    @Test func pingFloodOverTheRateLimitFinishes() {
        let client = HTTP2TestClient()
        client.handshake()
        // Read as fast as they come, so only the rate limit can stop it.
        for index in 0..<2000 where !client.session.isFinished {
            client.send(Frames.ping(UInt64(index)))
            client.pump()
        }
        #expect(client.session.isFinished)
        #expect(client.goAways.last?.errorCode == HTTP2ErrorCode.enhanceYourCalm)
        // The limit counts the handshake's SETTINGS too.
        #expect(client.frames.filter { $0.kind == .ping && $0.isAck }.count == 999)
    }

    /// PRIORITY frames are dropped by libnghttp2 before `on_frame_recv` (RFC 9218 mode), so they
    /// are counted as their header arrives.
    @Test func priorityFloodFinishes() {
        let client = HTTP2TestClient()
        client.handshake()
        var bytes: [UInt8] = []
        for index in 0..<2000 {
            bytes += Frames.frame(.priority, streamID: UInt32(2 * index + 1), payload: [0, 0, 0, 0, 16])
        }
        client.send(bytes)
        client.pump()
        #expect(client.session.isFinished)
        #expect(client.goAways.last?.errorCode == HTTP2ErrorCode.enhanceYourCalm)
    }

    @Test func emptyDataFloodFinishes() {
        let client = HTTP2TestClient()
        client.handshake()
        var bytes = Frames.headers(streamID: 1, block: HTTP2TestClient.requestBlock(method: "POST"), endStream: false)
        for _ in 0..<2000 {
            bytes += Frames.data(streamID: 1, [], endStream: false)
        }
        client.send(bytes)
        client.pump()
        #expect(client.session.isFinished)
        #expect(client.goAways.last?.errorCode == HTTP2ErrorCode.enhanceYourCalm)
    }

    @Test func hpackBombIsBoundedByTheHeaderListCap() {
        let client = HTTP2TestClient()
        client.handshake()
        // One 4 KiB field added to the decoder's dynamic table, then referenced by index (one byte
        // each): 8,000 references would decode to 32 MB of header list.
        var block = HTTP2TestClient.requestBlock()
        block += [0x40]  // literal with incremental indexing, new name
        HTTP2FrameBuilder.appendString("x-bomb", to: &block)
        HTTP2FrameBuilder.appendString(String(repeating: "b", count: 4000), to: &block)
        block += [UInt8](repeating: 0x80 | 62, count: 8000)  // indexed: dynamic entry 62
        let pieces = stride(from: 0, to: block.count, by: 16_000).map {
            Array(block[$0..<min($0 + 16_000, block.count)])
        }
        var bytes = Frames.headers(streamID: 1, block: pieces[0], endStream: true, endHeaders: pieces.count == 1)
        for (index, piece) in pieces.enumerated().dropFirst() {
            bytes += Frames.continuation(streamID: 1, block: piece, endHeaders: index == pieces.count - 1)
        }
        client.send(bytes)
        client.pump()
        #expect(client.response(1)?.status == 431)
        #expect(client.metrics.headerListViolations == 1)
        #expect(client.responder.recorded.isEmpty)
        #expect(!client.session.isFinished)
    }

    @Test func arbitraryBytesAfterPrefaceNeverCrash() {
        // A deterministic byte soup: the session must end or keep going, bounded, without trapping.
        var generator = HTTP2SplitMix64(seed: 0xA5B1)
        for _ in 0..<200 {
            let client = HTTP2TestClient()
            client.handshake()
            let count = Int(generator.next() % 512)
            client.send((0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
            client.pump()
            client.advance(by: .seconds(600))
            #expect(client.session.isFinished)
        }
    }
}

/// A small deterministic generator for reproducible input.
struct HTTP2SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random but well-framed input.
///
/// Frame headers of every type with random flags, small stream IDs and short random payloads, so the fuzzing reaches past the frame parser into stream states.
/// `ARBITER_HTTP2_FUZZ_CONNECTIONS` raises the connections per seed for a longer (ASan) soak.
@Suite struct HTTP2SessionRandomFrameTests {
    static let connections =
        ProcessInfo.processInfo.environment["ARBITER_HTTP2_FUZZ_CONNECTIONS"].flatMap(Int.init) ?? 150

    @Test(arguments: 0..<4)
    func randomFrameSequencesStayBounded(seed: UInt64) {
        var generator = HTTP2SplitMix64(seed: 0x5EED_0000 + seed)
        for _ in 0..<Self.connections {
            let client = HTTP2TestClient()
            client.handshake()
            for _ in 0..<Int(generator.next() % 40) {
                let type = UInt8(generator.next() % 10)
                let flags = UInt8(truncatingIfNeeded: generator.next())
                let streamID = UInt32(generator.next() % 8)
                var payload: [UInt8]
                if type == 1, generator.next() % 2 == 0 {
                    payload = HTTP2TestClient.requestBlock(method: generator.next() % 2 == 0 ? "GET" : "POST")
                } else {
                    payload = (0..<Int(generator.next() % 24)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                }
                client.send(
                    HTTP2FrameBuilder.frame(
                        HTTP2FrameBuilder.FrameType(rawValue: type)!,
                        flags: flags,
                        streamID: streamID,
                        payload: payload
                    )
                )
                client.pump()
                if client.session.isFinished { break }
            }
            client.advance(by: .seconds(3600))
            #expect(client.session.isFinished)
            #expect(client.session.bufferedBodyBytes >= 0)
            #expect(client.session.unsentResponses >= 0)
        }
    }
}

/// The total size of one header block is bounded, not only its frame count.
@Suite struct HTTP2SessionHeaderBlockTests {
    @Test func oversizedHeaderBlockEndsTheConnection() {
        var configuration = HTTP2Configuration()
        configuration.maxHeaderBlockBytes = 20_000
        let client = HTTP2TestClient(configuration: configuration)
        client.handshake()
        // Valid literal fields (so libnghttp2 keeps decoding), 9,000 bytes per frame.
        let field = HTTP2FrameBuilder.headerBlock([("x-pad", String(repeating: "p", count: 890))])
        let filler = Array(repeatElement(field, count: 10).joined())
        let first = HTTP2TestClient.requestBlock() + filler
        var bytes = HTTP2FrameBuilder.headers(streamID: 1, block: first, endStream: true, endHeaders: false)
        bytes += HTTP2FrameBuilder.continuation(streamID: 1, block: filler, endHeaders: false)
        bytes += HTTP2FrameBuilder.continuation(streamID: 1, block: filler, endHeaders: true)
        client.send(bytes)
        client.pump()
        #expect(client.session.isFinished)
        #expect(client.goAways.last?.errorCode == HTTP2ErrorCode.enhanceYourCalm)
        #expect(client.metrics.floodCloses == 1)
        #expect(client.responder.recorded.isEmpty)
    }
}
