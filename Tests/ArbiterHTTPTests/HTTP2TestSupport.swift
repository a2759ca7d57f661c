import CNGHTTP2
import Synchronization
import Testing

@testable import ArbiterHTTP

/// A frame as the server sent it.
struct HTTP2ReceivedFrame {
    var type: UInt8
    var flags: UInt8
    var streamID: UInt32
    var payload: [UInt8]

    var kind: HTTP2FrameBuilder.FrameType? { HTTP2FrameBuilder.FrameType(rawValue: type) }
    var isAck: Bool { flags & 0x1 != 0 }
    var endStream: Bool { flags & 0x1 != 0 }

    /// The big-endian 32-bit word at `offset` of the payload.
    func word(at offset: Int) -> UInt32 {
        guard payload.count >= offset + 4 else { return 0 }
        return payload[offset..<(offset + 4)].reduce(0) { $0 << 8 | UInt32($1) }
    }
}

/// What the test client has seen of one response.
struct HTTP2ReceivedResponse {
    var headers: [(name: String, value: String)] = []
    var body: [UInt8] = []
    var ended = false
    var resetCode: UInt32?

    var status: Int? { headers.first { $0.name == ":status" }.flatMap { Int($0.value) } }
    func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }
}

/// Decodes the server's HPACK blocks with libnghttp2's inflater (the server uses the dynamic table
/// and Huffman codes, which a hand-written decoder would have to repeat).
final class HTTP2HPACKDecoder {
    private var inflater: OpaquePointer?

    init() { nghttp2_hd_inflate_new(&inflater) }
    deinit { nghttp2_hd_inflate_del(inflater) }

    func decode(_ block: [UInt8]) -> [(name: String, value: String)]? {
        var fields: [(name: String, value: String)] = []
        let ok = block.withUnsafeBufferPointer { buffer -> Bool in
            var input = buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!
            var remaining = buffer.count
            for _ in 0..<10_000 {
                var nv = nghttp2_nv()
                var flags: Int32 = 0
                let used = nghttp2_hd_inflate_hd2(inflater, &nv, &flags, input, remaining, 1)
                if used < 0 { return false }
                input += used
                remaining -= used
                if flags & Int32(NGHTTP2_HD_INFLATE_EMIT.rawValue) != 0 {
                    fields.append(
                        (
                            String(decoding: UnsafeBufferPointer(start: nv.name, count: nv.namelen), as: UTF8.self),
                            String(decoding: UnsafeBufferPointer(start: nv.value, count: nv.valuelen), as: UTF8.self)
                        )
                    )
                }
                if flags & Int32(NGHTTP2_HD_INFLATE_FINAL.rawValue) != 0 {
                    nghttp2_hd_inflate_end_headers(inflater)
                    return true
                }
                if flags & Int32(NGHTTP2_HD_INFLATE_EMIT.rawValue) == 0, remaining == 0 { return true }
            }
            return false
        }
        return ok ? fields : nil
    }
}

/// Answers every request with 200 and a body describing it; remembers the requests.
final class HTTP2RecordingResponder: Responder {
    let requests = Mutex<[HTTPRequest]>([])
    let responseBody: [UInt8]?

    init(responseBody: [UInt8]? = nil) { self.responseBody = responseBody }

    func respond(to request: HTTPRequest) -> HTTPResponse {
        requests.withLock { $0.append(request) }
        let body = responseBody ?? Array("\(request.method) \(request.path) \(request.query) ".utf8) + request.body
        return HTTPResponse(status: 200, headers: [("content-type", "text/plain")], body: body)
    }

    var recorded: [HTTPRequest] { requests.withLock { $0 } }
}

/// A client for an ``HTTP2Session``, with an explicit clock: writes frames in, parses frames out.
final class HTTP2TestClient {
    typealias Frames = HTTP2FrameBuilder
    let session: HTTP2Session
    let responder: HTTP2RecordingResponder
    let metrics = HTTP2Metrics()
    var now: ContinuousClock.Instant
    private let decoder = HTTP2HPACKDecoder()
    private var unparsed: [UInt8] = []
    private(set) var frames: [HTTP2ReceivedFrame] = []
    private(set) var responses: [UInt32: HTTP2ReceivedResponse] = [:]
    /// Bytes handed out per `produceOutput` call, to check the limit.
    private(set) var outputChunkSizes: [Int] = []
    /// Per non-empty `produceOutput` call, the streams whose response HEADERS it carried.
    private(set) var responseHeadersPerOutput: [[UInt32]] = []
    var outputLimit = 16 * 1024

    /// - Parameter custom: A responder to use instead of ``responder`` (which then records nothing).
    init(
        configuration: HTTP2Configuration = .init(),
        responder: HTTP2RecordingResponder = HTTP2RecordingResponder(),
        custom: (any Responder)? = nil,
        peer: PeerIdentity? = PeerIdentity(commonName: "system:kube-apiserver")
    ) {
        self.responder = responder
        self.now = ContinuousClock.now
        self.session = HTTP2Session(
            responder: custom ?? responder,
            peer: peer,
            configuration: configuration,
            metrics: metrics,
            now: now
        )
    }

    // MARK: - Input

    func send(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { session.receive($0, now: now) }
    }

    /// Preface, SETTINGS (with `settings`), then reads the server's SETTINGS and acknowledges them.
    func handshake(settings: [(id: UInt16, value: UInt32)] = []) {
        send(Frames.clientPreface + Frames.settings(settings))
        pump()
        send(Frames.settings(ack: true))
        pump()
    }

    static func requestBlock(
        method: String = "GET",
        path: String = "/authorize",
        extra: [(name: String, value: String)] = []
    ) -> [UInt8] {
        Frames.headerBlock(
            [(":method", method), (":scheme", "https"), (":path", path), (":authority", "arbiter.local")] + extra
        )
    }

    /// One request: HEADERS (+ DATA when `body` is given), optionally left open.
    func request(
        streamID: UInt32,
        method: String = "GET",
        path: String = "/authorize",
        body: [UInt8]? = nil,
        extra: [(name: String, value: String)] = []
    ) -> [UInt8] {
        let block = Self.requestBlock(method: method, path: path, extra: extra)
        guard let body else { return Frames.headers(streamID: streamID, block: block, endStream: true) }
        return Frames.headers(streamID: streamID, block: block, endStream: false)
            + Frames.data(streamID: streamID, body, endStream: true)
    }

    // MARK: - Output

    /// Drains the server's output (bounded) and parses it; returns the new frames.
    @discardableResult
    func pump() -> [HTTP2ReceivedFrame] {
        let firstNew = frames.count
        for _ in 0..<100_000 {
            guard session.hasPendingOutput else { break }
            var output: [UInt8] = []
            session.produceOutput(into: &output, limit: outputLimit)
            outputChunkSizes.append(output.count)
            if output.isEmpty { break }
            unparsed += output
            let before = frames.count
            parse()
            let headers = frames[before...].filter { $0.kind == .headers }.map(\.streamID)
            if !headers.isEmpty { responseHeadersPerOutput.append(headers) }
        }
        return Array(frames[firstNew...])
    }

    private func parse() {
        while unparsed.count >= 9 {
            let length = Int(unparsed[0]) << 16 | Int(unparsed[1]) << 8 | Int(unparsed[2])
            guard unparsed.count >= 9 + length else { return }
            let streamID = unparsed[5..<9].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } & 0x7fff_ffff
            let frame = HTTP2ReceivedFrame(
                type: unparsed[3],
                flags: unparsed[4],
                streamID: streamID,
                payload: Array(unparsed[9..<(9 + length)])
            )
            unparsed.removeFirst(9 + length)
            frames.append(frame)
            record(frame)
        }
    }

    private func record(_ frame: HTTP2ReceivedFrame) {
        switch frame.kind {
        case .headers:
            // The server sends neither padding nor priority, and its header blocks fit one frame.
            let fields = decoder.decode(frame.payload)
            #expect(fields != nil, "undecodable header block")
            responses[frame.streamID, default: .init()].headers += fields ?? []
            if frame.endStream { responses[frame.streamID, default: .init()].ended = true }
        case .data:
            responses[frame.streamID, default: .init()].body += frame.payload
            if frame.endStream { responses[frame.streamID, default: .init()].ended = true }
        case .rstStream:
            responses[frame.streamID, default: .init()].resetCode = frame.word(at: 0)
        default:
            break
        }
    }

    // MARK: - Time

    /// Advances the clock to `instant`, firing every deadline due on the way (bounded).
    func runTimers(until instant: ContinuousClock.Instant) {
        for _ in 0..<1_000 {
            guard let deadline = session.nextDeadline, deadline <= instant else { break }
            now = max(now, deadline)
            session.deadlineReached(now: now)
            pump()
        }
        now = max(now, instant)
    }

    func advance(by duration: Duration) { runTimers(until: now + duration) }

    // MARK: - Queries

    var goAways: [(lastStreamID: UInt32, errorCode: UInt32)] {
        frames.filter { $0.kind == .goAway }.map { ($0.word(at: 0) & 0x7fff_ffff, $0.word(at: 4)) }
    }

    func response(_ streamID: UInt32) -> HTTP2ReceivedResponse? { responses[streamID] }
}

/// HTTP/2 error codes (RFC 9113 §7).
enum HTTP2ErrorCode {
    static let noError: UInt32 = 0x0
    static let protocolError: UInt32 = 0x1
    static let cancel: UInt32 = 0x8
    static let refusedStream: UInt32 = 0x7
    static let enhanceYourCalm: UInt32 = 0xb
}

/// SETTINGS identifiers (RFC 9113 §6.5.2).
enum HTTP2SettingID {
    static let initialWindowSize: UInt16 = 0x4
    static let maxConcurrentStreams: UInt16 = 0x3
    static let maxHeaderListSize: UInt16 = 0x6
}
