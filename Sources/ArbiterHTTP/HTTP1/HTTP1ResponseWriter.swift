/// Serializes responses to HTTP/1.1 bytes.
///
/// The transport owns framing: `content-length` and `connection` from the responder are dropped and
/// written here. Fields with bytes that could split the response (CR, LF, NUL) or with an invalid
/// name are dropped as well, so a responder can never inject a header or a second response.
enum HTTP1ResponseWriter {
    static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// Appends `response` to `output`: the status line and header section are assembled in one
    /// scratch buffer and appended with the body, so a response is two copies whatever its number
    /// of fields (and the connection hands the whole buffer to one `SSL_write`).
    ///
    /// - Parameters:
    ///   - close: adds `connection: close`.
    ///   - omitBody: for `HEAD`: send the headers (with the body's length) but not the body.
    ///   - http10KeepAlive: adds `connection: keep-alive` (an HTTP/1.0 client asked for it).
    static func write(
        _ response: HTTPResponse, close: Bool, omitBody: Bool, http10KeepAlive: Bool = false, into output: inout [UInt8]
    ) {
        let status = (100...999).contains(response.status) ? response.status : 500
        let reason = Self.reasonPhrase(status)
        let bodyAllowed = status != 204 && status != 304
        let connection: StaticString? =
            close ? "connection: close\r\n" : (http10KeepAlive ? "connection: keep-alive\r\n" : nil)
        // First pass: which fields are written, and how many bytes the head takes. Fields past the
        // 64th (never seen in practice) are checked again in the second pass instead of remembered.
        var written: UInt64 = 0
        var size = "HTTP/1.1 000 \r\n".utf8.count + reason.utf8CodeUnitCount + 2
        response.headers.withUnsafeBufferPointer { fields in
            for index in fields.indices where Self.isWritten(fields[index]) {
                if index < 64 { written |= 1 << UInt64(index) }
                size += fields[index].name.utf8.count + 2 + fields[index].value.utf8.count + 2
            }
        }
        if bodyAllowed { size += "content-length: \r\n".utf8.count + Self.decimalDigits(response.body.count) }
        if let connection { size += connection.utf8CodeUnitCount }
        withUnsafeTemporaryAllocation(byteCount: size, alignment: 1) { head in
            var writer = ByteWriter(head)
            writer.append("HTTP/1.1 ")
            writer.appendDecimal(status)
            writer.append(ASCII.space)
            writer.append(reason)
            writer.append("\r\n")
            response.headers.withUnsafeBufferPointer { fields in
                for index in fields.indices
                where index < 64 ? written & (1 << UInt64(index)) != 0 : Self.isWritten(fields[index]) {
                    writer.append(fields[index].name)
                    writer.append(": ")
                    writer.append(fields[index].value)
                    writer.append("\r\n")
                }
            }
            if bodyAllowed {
                writer.append("content-length: ")
                writer.appendDecimal(response.body.count)
                writer.append("\r\n")
            }
            if let connection { writer.append(connection) }
            writer.append("\r\n")
            precondition(writer.count == size, "HTTP/1.1 response head size mismatch")
            let sendBody = bodyAllowed && !omitBody
            output.reserveCapacity(output.count + size + (sendBody ? response.body.count : 0))
            output.append(contentsOf: UnsafeRawBufferPointer(head))
            if sendBody { output.append(contentsOf: response.body) }
        }
    }

    /// True when `field` is sent: a safe field that is not one of the framing fields.
    private static func isWritten(_ field: (name: String, value: String)) -> Bool {
        Self.isSafe(field) && !Self.isFramingField(field.name)
    }

    /// The number of decimal digits of a non-negative integer.
    private static func decimalDigits(_ value: Int) -> Int {
        var digits = 1
        var rest = max(0, value)
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        return digits
    }

    /// `content-length`, `connection` and `transfer-encoding`, in any case: owned by the transport.
    private static func isFramingField(_ name: String) -> Bool {
        Self.withUTF8(name) { raw in
            switch raw.count {
            case 10: return ASCII.equalsLowercased(raw, "connection")
            case 14: return ASCII.equalsLowercased(raw, "content-length")
            case 17: return ASCII.equalsLowercased(raw, "transfer-encoding")
            default: return false
            }
        }
    }

    /// A name of token bytes and a value without CR, LF, NUL or other controls but HTAB.
    private static func isSafe(_ field: (name: String, value: String)) -> Bool {
        Self.withUTF8(field.name) { name in
            guard !name.isEmpty else { return false }
            for byte in name where !ASCII.isTokenByte(byte) { return false }
            return true
        }
            && Self.withUTF8(field.value) { value in
                for byte in value where byte < ASCII.space ? byte != ASCII.tab : byte == 0x7f { return false }
                return true
            }
    }

    /// Calls `body` with the UTF-8 of `text`, without copying when the string is native (always,
    /// in practice).
    @inline(__always)
    static func withUTF8<R>(_ text: String, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(text.utf8).withUnsafeBytes { body($0) }
    }

    static func reasonPhrase(_ status: Int) -> StaticString {
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
        case 422: "Unprocessable Content"
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

/// Writes bytes into a buffer whose size was computed beforehand (``HTTP1ResponseWriter``).
///
/// Every write is bounds-checked: writing past the end traps instead of corrupting memory.
struct ByteWriter {
    private let buffer: UnsafeMutableRawBufferPointer
    private(set) var count = 0

    init(_ buffer: UnsafeMutableRawBufferPointer) {
        self.buffer = buffer
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        precondition(self.count < self.buffer.count, "ByteWriter overflow")
        self.buffer[self.count] = byte
        self.count += 1
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        precondition(bytes.count <= self.buffer.count - self.count, "ByteWriter overflow")
        UnsafeMutableRawBufferPointer(rebasing: self.buffer[self.count...]).copyMemory(from: bytes)
        self.count += bytes.count
    }

    @inline(__always)
    mutating func append(_ text: StaticString) {
        self.append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    @inline(__always)
    mutating func append(_ text: String) {
        HTTP1ResponseWriter.withUTF8(text) { self.append($0) }
    }

    /// A non-negative integer in decimal, without going through `String`.
    mutating func appendDecimal(_ value: Int) {
        var rest = max(0, value)
        var digits = 1
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        precondition(digits <= self.buffer.count - self.count, "ByteWriter overflow")
        rest = max(0, value)
        var index = self.count + digits
        while index > self.count {
            index -= 1
            self.buffer[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
        self.count += digits
    }
}
