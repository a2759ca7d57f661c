import CNGHTTP2

// MARK: - Answering requests

extension HTTP2Session {
    /// The request on `streamID` is complete (END_STREAM): queue it for the responder.
    ///
    /// Called from inside `mem_recv`; the responder runs later, from ``answerBurst()`` (called by
    /// ``produceOutput(into:limit:)``), so answers leave in bursts rather than only after every
    /// request a read delivered has been answered.
    func completeRequest(_ streamID: Int32) {
        guard let stream = lookUpStream(streamID), stream.state == .receiving else {
            return
        }
        if stream.headerListExceeded {
            reject(streamID, status: 431, reason: "request header list too large")
            return
        }
        stream.state = .ready
        readyStreams.append(streamID)
    }

    /// Answers one burst of queued requests, in the order they completed: at most
    /// ``HTTP2Configuration/responsesPerWrite``, and none after the burst has taken
    /// ``HTTP2Configuration/burstDuration`` (streams reset meanwhile are skipped, and count).
    ///
    /// The one place the session reads the clock itself: the budget measures our own work, not
    /// the peer's timing, so it does not come from the connection's `now`.
    func answerBurst() {
        var taken = 0
        let limit = max(1, configuration.responsesPerWrite)
        let started = ContinuousClock.now
        while taken < limit, readyHead < readyStreams.count, !terminated,
            unsentResponseBytes < configuration.maxUnsentResponseBytes
        {
            let streamID = readyStreams[readyHead]
            readyHead += 1
            taken += 1
            answer(streamID)
            if readyHead < readyStreams.count, ContinuousClock.now - started >= configuration.burstDuration { break }
        }
        if readyHead == readyStreams.count {
            readyStreams.removeAll(keepingCapacity: true)
            readyHead = 0
        }
    }

    /// True while completed requests wait for the responder.
    var hasReadyRequests: Bool { readyHead < readyStreams.count }

    /// True while completed requests wait and the responses already answered leave room for more
    /// (``HTTP2Configuration/maxUnsentResponseBytes``).
    var canAnswer: Bool {
        hasReadyRequests && unsentResponseBytes < configuration.maxUnsentResponseBytes
    }

    /// Builds the request of a ``HTTP2Stream/State/ready`` stream, asks the responder, submits the
    /// answer.
    private func answer(_ streamID: Int32) {
        // Gone (reset by the peer, refused, or the session ended) since it was queued: nothing to do.
        guard let stream = lookUpStream(streamID), stream.state == .ready else {
            return
        }
        let body = stream.body
        stream.body = []
        bufferedBodyBytes -= body.count
        // libnghttp2's HTTP messaging checks already reset requests without these; this is the
        // second line of defence.
        guard let method = stream.method, let target = stream.path, !target.isEmpty else {
            resetStream(streamID, errorCode: NGHTTP2_PROTOCOL_ERROR.rawValue)
            return
        }
        // Moved out, not copied: `host` from :authority is already in place (see `header`).
        let headers = stream.headers
        stream.headers = []
        let path: String
        let query: String
        if let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) {
            path = String(target[..<mark])
            query = String(target[target.index(after: mark)...])
        } else {
            path = target
            query = ""
        }
        let request = HTTPRequest(
            method: method,
            path: path,
            query: query,
            headers: headers,
            body: body,
            peer: peer,
            protocolVersion: .http2
        )
        let response = responder.respond(to: request)
        metrics.requestCompleted()
        submitResponse(streamID, response, headOnly: method == "HEAD")
    }

    /// Answers early (431, 413) with the responder's ``Responder/transportError(status:reason:)``
    /// and drops the rest of the request.
    func reject(_ streamID: Int32, status: Int, reason: String) {
        guard let stream = lookUpStream(streamID) else { return }
        noteServerForcedError()
        bufferedBodyBytes -= stream.body.count
        stream.body = []
        stream.headers = []
        // A HEAD answer carries no body (`:method` is kept even past the header-list limit).
        submitResponse(streamID, responder.transportError(status: status, reason: reason), headOnly: stream.method == "HEAD")
        stream.state = .answeredEarly
    }

    /// Sends RST_STREAM and drops what the stream holds.
    func resetStream(_ streamID: Int32, errorCode: UInt32) {
        if let stream = lookUpStream(streamID) {
            bufferedBodyBytes -= stream.body.count
            stream.body = []
            stream.headers = []
            if stream.responseUnsent {
                stream.responseUnsent = false
                unsentResponses -= 1
                unsentResponseBytes -= stream.responseBody.count - stream.responseOffset
                stream.responseBody = []
            }
            stream.state = .reset
        }
        guard let session else { return }
        _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, errorCode)
    }

    /// Submits `:status`, the responder's headers (sanitised), `content-length`, and the body.
    func submitResponse(_ streamID: Int32, _ response: HTTPResponse, headOnly: Bool) {
        guard let session, let stream = lookUpStream(streamID) else { return }
        // A responder bug must not become a protocol error: anything but a final status is a 500.
        let status = (200...599).contains(response.status) ? response.status : 500
        // Borrow the reused buffers as a local; returned below.
        var fields = HTTP2NameValueBuffer.empty
        swap(&fields, &nameValues)
        defer { swap(&fields, &nameValues) }
        fields.removeAll()
        fields.append(name: ":status", decimal: status)
        for field in response.headers where Self.isSendableHeader(name: field.name, value: field.value) {
            fields.append(name: field.name, value: field.value)
        }
        // 204 and 304 never carry content (RFC 9110 §15.3.5, §15.4.5), and a length would
        // describe a representation we do not have: send neither.
        let contentless = status == 204 || status == 304
        if !contentless {
            fields.append(name: "content-length", decimal: response.body.count)
        }

        let hasBody = !headOnly && !contentless && !response.body.isEmpty
        if hasBody {
            stream.responseBody = response.body
            stream.responseOffset = 0
            stream.responseUnsent = true
            stream.responseSubmittedAt = lastNow
            unsentResponses += 1
            unsentResponseBytes += response.body.count
        }
        stream.state = .responding

        var provider = nghttp2_data_provider()
        provider.read_callback = arbiterHTTP2ReadResponseBody
        let rv = fields.withNameValues { nva, count in
            if hasBody {
                nghttp2_submit_response(session, streamID, nva, count, &provider)
            } else {
                nghttp2_submit_response(session, streamID, nva, count, nil)
            }
        }
        if rv != 0 {
            resetStream(streamID, errorCode: NGHTTP2_INTERNAL_ERROR.rawValue)
        }
        sendBlocked = false
    }

    /// The data provider: copies the next piece of the response body into libnghttp2's buffer.
    func readResponseBody(
        streamID: Int32,
        into buffer: UnsafeMutableBufferPointer<UInt8>,
        flags: UnsafeMutablePointer<UInt32>
    ) -> Int {
        guard let stream = lookUpStream(streamID), stream.responseUnsent else {
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        let offset = stream.responseOffset
        let count = min(buffer.count, stream.responseBody.count - offset)
        stream.responseBody.withUnsafeBufferPointer { body in
            _ = buffer.initialize(from: body[offset..<(offset + count)])
        }
        stream.responseOffset += count
        unsentResponseBytes -= count
        // A waiting response moved: write progress (see ``produceOutput(into:limit:)``).
        if count > 0 { writeProgressPending = true }
        if stream.responseOffset == stream.responseBody.count {
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            stream.responseBody = []
            stream.responseOffset = 0
            stream.responseUnsent = false
            unsentResponses -= 1
        }
        return count
    }

    // MARK: - Helpers

    /// True for a `tchar` byte (RFC 9110 §5.6.2) that is not an upper-case letter.
    @inline(__always)
    static func isLowerCaseTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// True for a lower-case token name that HTTP/2 allows in a response and a value without
    /// CR, LF or NUL; framing headers are ours to set.
    static func isSendableHeader(name: String, value: String) -> Bool {
        guard !name.isEmpty, name.utf8.allSatisfy({ isLowerCaseTokenByte($0) }) else { return false }
        // Compared as bytes, by length first: `String ==` is Unicode-aware and slow here.
        let bytes = name.utf8
        func matches(_ literal: StaticString) -> Bool {
            literal.withUTF8Buffer { bytes.elementsEqual($0) }
        }
        let isFraming: Bool
        switch bytes.count {
        case 7: isFraming = matches("upgrade")
        case 10: isFraming = matches("connection") || matches("keep-alive")
        case 14: isFraming = matches("content-length")
        case 16: isFraming = matches("proxy-connection")
        case 17: isFraming = matches("transfer-encoding")
        default: isFraming = false
        }
        if isFraming { return false }
        return !value.utf8.contains { $0 == 0 || $0 == 0x0A || $0 == 0x0D }
    }
}

/// Reused buffers for the `nghttp2_nv` array of one response: names and values are copied into one
/// flat byte buffer (libnghttp2 copies them again during submit, so it may be reused right after).
///
/// A struct used as a local variable while a response is built (the session lends it out with
/// `swap`), so appends are checked for exclusivity statically rather than at run time.
struct HTTP2NameValueBuffer {
    private var bytes: [UInt8] = []
    private var spans: [(name: Int, nameCount: Int, value: Int, valueCount: Int)] = []
    private var nameValues: [nghttp2_nv] = []

    /// A buffer without storage, to swap with the session's.
    static var empty: HTTP2NameValueBuffer { HTTP2NameValueBuffer(capacity: 0) }

    init(capacity: Int = 256) {
        guard capacity > 0 else { return }
        bytes.reserveCapacity(capacity)
        spans.reserveCapacity(8)
        nameValues.reserveCapacity(8)
    }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        spans.removeAll(keepingCapacity: true)
    }

    mutating func append(name: String, value: String) {
        let nameStart = bytes.count
        bytes.append(contentsOf: name.utf8)
        let valueStart = bytes.count
        bytes.append(contentsOf: value.utf8)
        spans.append((nameStart, valueStart - nameStart, valueStart, bytes.count - valueStart))
    }

    /// Appends a field whose value is a non-negative integer in decimal, without a `String`.
    mutating func append(name: StaticString, decimal: Int) {
        let nameStart = bytes.count
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        let valueStart = bytes.count
        let value = max(0, decimal)
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
        spans.append((nameStart, valueStart - nameStart, valueStart, bytes.count - valueStart))
    }

    /// Calls `body` with the `nghttp2_nv` array, valid only during the call.
    mutating func withNameValues(_ body: (UnsafePointer<nghttp2_nv>, Int) -> Int32) -> Int32 {
        nameValues.removeAll(keepingCapacity: true)
        if bytes.isEmpty { bytes.append(0) }  // a base address even for empty fields
        return bytes.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            for span in spans {
                nameValues.append(
                    nghttp2_nv(
                        name: base + span.name,
                        value: base + span.value,
                        namelen: span.nameCount,
                        valuelen: span.valueCount,
                        flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)
                    )
                )
            }
            return nameValues.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
        }
    }
}
