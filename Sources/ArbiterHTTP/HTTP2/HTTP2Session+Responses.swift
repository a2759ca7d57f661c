import CNGHTTP2

// MARK: - Answering requests

extension HTTP2Session {
    /// The request on `streamID` is complete (END_STREAM): build it, ask the responder, answer.
    func completeRequest(_ streamID: Int32) {
        guard let index = streams.index(forKey: streamID), streams.values[index].state == .receiving else {
            return
        }
        if streams.values[index].headerListExceeded {
            reject(streamID, status: 431)
            return
        }
        let body = streams.values[index].body
        streams.values[index].body = []
        bufferedBodyBytes -= body.count
        let stream = streams.values[index]
        // libnghttp2's HTTP messaging checks already reset requests without these; this is the
        // second line of defence.
        guard let method = stream.method, let target = stream.path, !target.isEmpty else {
            resetStream(streamID, errorCode: NGHTTP2_PROTOCOL_ERROR.rawValue)
            return
        }
        var headers = stream.headers
        if let authority = stream.authority, !headers.contains(where: { $0.name == "host" }) {
            headers.insert((name: "host", value: authority), at: 0)
        }
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
            method: method, path: path, query: query, headers: headers, body: body, peer: peer,
            protocolVersion: .http2)
        let response = responder.respond(to: request)
        metrics.requestCompleted()
        submitResponse(streamID, response, headOnly: method == "HEAD")
    }

    /// Answers early with an empty response (431, 413) and drops the rest of the request.
    func reject(_ streamID: Int32, status: Int) {
        guard let index = streams.index(forKey: streamID) else { return }
        bufferedBodyBytes -= streams.values[index].body.count
        streams.values[index].body = []
        streams.values[index].headers = []
        submitResponse(streamID, HTTPResponse(status: status), headOnly: false)
        streams.values[index].state = .answeredEarly
    }

    /// Sends RST_STREAM and drops what the stream holds.
    func resetStream(_ streamID: Int32, errorCode: UInt32) {
        if let index = streams.index(forKey: streamID) {
            bufferedBodyBytes -= streams.values[index].body.count
            streams.values[index].body = []
            streams.values[index].headers = []
            if streams.values[index].responseUnsent {
                streams.values[index].responseUnsent = false
                unsentResponses -= 1
            }
            streams.values[index].state = .reset
        }
        guard let session else { return }
        _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, errorCode)
    }

    /// Submits `:status`, the responder's headers (sanitised), `content-length`, and the body.
    func submitResponse(_ streamID: Int32, _ response: HTTPResponse, headOnly: Bool) {
        guard let session, let index = streams.index(forKey: streamID) else { return }
        // A responder bug must not become a protocol error: anything but a final status is a 500.
        let status = (200...599).contains(response.status) ? response.status : 500
        var fields: [(name: [UInt8], value: [UInt8])] = [(Array(":status".utf8), Array(String(status).utf8))]
        for field in response.headers where Self.isSendableHeader(name: field.name, value: field.value) {
            fields.append((Array(field.name.utf8), Array(field.value.utf8)))
        }
        fields.append((Array("content-length".utf8), Array(String(response.body.count).utf8)))

        let hasBody = !headOnly && !response.body.isEmpty
        if hasBody {
            streams.values[index].responseBody = response.body
            streams.values[index].responseOffset = 0
            streams.values[index].responseUnsent = true
            unsentResponses += 1
        }
        streams.values[index].state = .responding

        var provider = nghttp2_data_provider()
        provider.read_callback = arbiterHTTP2ReadResponseBody
        let rv = Self.withNameValues(fields) { nva, count in
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
        streamID: Int32, into buffer: UnsafeMutableBufferPointer<UInt8>, flags: UnsafeMutablePointer<UInt32>
    ) -> Int {
        guard let index = streams.index(forKey: streamID), streams.values[index].responseUnsent else {
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        let offset = streams.values[index].responseOffset
        let count = min(buffer.count, streams.values[index].responseBody.count - offset)
        streams.values[index].responseBody.withUnsafeBufferPointer { body in
            _ = buffer.initialize(from: body[offset..<(offset + count)])
        }
        streams.values[index].responseOffset += count
        if streams.values[index].responseOffset == streams.values[index].responseBody.count {
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            streams.values[index].responseBody = []
            streams.values[index].responseOffset = 0
            streams.values[index].responseUnsent = false
            unsentResponses -= 1
        }
        return count
    }

    // MARK: - Helpers

    /// True for a lower-case token name that HTTP/2 allows in a response and a value without
    /// CR, LF or NUL; framing headers are ours to set.
    static func isSendableHeader(name: String, value: String) -> Bool {
        guard !name.isEmpty else { return false }
        for byte in name.utf8 {
            let allowed =
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || "!#$%&'*+-.^_`|~".utf8.contains(byte)
            if !allowed { return false }
        }
        switch name {
        case "content-length", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
            return false
        default:
            break
        }
        return !value.utf8.contains { $0 == 0 || $0 == 0x0A || $0 == 0x0D }
    }

    /// Calls `body` with an `nghttp2_nv` array pointing into one flat copy of `fields`.
    /// libnghttp2 copies names and values during submit, so the storage may go afterwards.
    static func withNameValues(
        _ fields: [(name: [UInt8], value: [UInt8])],
        _ body: (UnsafePointer<nghttp2_nv>, Int) -> Int32
    ) -> Int32 {
        var storage: [UInt8] = []
        storage.reserveCapacity(fields.reduce(0) { $0 + $1.name.count + $1.value.count })
        var ranges: [(name: Range<Int>, value: Range<Int>)] = []
        ranges.reserveCapacity(fields.count)
        for field in fields {
            let nameStart = storage.count
            storage.append(contentsOf: field.name)
            let valueStart = storage.count
            storage.append(contentsOf: field.value)
            ranges.append((nameStart..<valueStart, valueStart..<storage.count))
        }
        return storage.withUnsafeMutableBufferPointer { bytes in
            let base = bytes.baseAddress!
            let nva = ranges.map { range in
                nghttp2_nv(
                    name: base + range.name.lowerBound, value: base + range.value.lowerBound,
                    namelen: range.name.count, valuelen: range.value.count,
                    flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
            }
            return nva.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
        }
    }
}
