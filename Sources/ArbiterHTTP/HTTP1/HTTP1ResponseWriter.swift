/// Serializes responses to HTTP/1.1 bytes.
///
/// The transport owns framing: `content-length` and `connection` from the responder are dropped and
/// written here. Fields with bytes that could split the response (CR, LF, NUL) or with an invalid
/// name are dropped as well, so a responder can never inject a header or a second response.
enum HTTP1ResponseWriter {
    static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// Appends `response` to `output`.
    ///
    /// - Parameters:
    ///   - close: adds `connection: close`.
    ///   - omitBody: for `HEAD`: send the headers (with the body's length) but not the body.
    ///   - http10KeepAlive: adds `connection: keep-alive` (an HTTP/1.0 client asked for it).
    static func write(
        _ response: HTTPResponse, close: Bool, omitBody: Bool, http10KeepAlive: Bool = false, into output: inout [UInt8]
    ) {
        let status = (100...999).contains(response.status) ? response.status : 500
        output.append(contentsOf: "HTTP/1.1 ".utf8)
        Self.appendDecimal(status, to: &output)
        output.append(ASCII.space)
        output.append(contentsOf: Self.reasonPhrase(status).utf8)
        output.append(contentsOf: "\r\n".utf8)
        for field in response.headers where Self.isSafe(field) && !Self.isFramingField(field.name) {
            output.append(contentsOf: field.name.utf8)
            output.append(contentsOf: ": ".utf8)
            output.append(contentsOf: field.value.utf8)
            output.append(contentsOf: "\r\n".utf8)
        }
        let bodyAllowed = status != 204 && status != 304
        if bodyAllowed {
            output.append(contentsOf: "content-length: ".utf8)
            Self.appendDecimal(response.body.count, to: &output)
            output.append(contentsOf: "\r\n".utf8)
        }
        if close {
            output.append(contentsOf: "connection: close\r\n".utf8)
        } else if http10KeepAlive {
            output.append(contentsOf: "connection: keep-alive\r\n".utf8)
        }
        output.append(contentsOf: "\r\n".utf8)
        if bodyAllowed && !omitBody {
            output.append(contentsOf: response.body)
        }
    }

    /// Appends a non-negative integer in decimal without going through `String`.
    private static func appendDecimal(_ value: Int, to output: inout [UInt8]) {
        let value = max(0, value)
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        while divisor > 0 {
            output.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }

    /// `content-length`, `connection` and `transfer-encoding`, in any case: owned by the transport.
    private static func isFramingField(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            return ASCII.equalsLowercased(raw, "content-length") || ASCII.equalsLowercased(raw, "connection")
                || ASCII.equalsLowercased(raw, "transfer-encoding")
        }
    }

    /// A short plain-text error response (parser errors, timeouts, overload); always closes unless
    /// `close` is false.
    static func writeError(status: Int, reason: String, close: Bool = true, into output: inout [UInt8]) {
        let response = HTTPResponse(
            status: status, headers: [(name: "content-type", value: "text/plain; charset=utf-8")],
            body: Array("\(reason)\n".utf8))
        self.write(response, close: close, omitBody: false, into: &output)
    }

    private static func isSafe(_ field: (name: String, value: String)) -> Bool {
        !field.name.isEmpty && field.name.utf8.allSatisfy(ASCII.isTokenByte)
            && field.value.utf8.allSatisfy { $0 == ASCII.tab || ($0 >= 0x20 && $0 != 0x7f) }
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 417: "Expectation Failed"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Status"
        }
    }
}
