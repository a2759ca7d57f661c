import Glibc

/// Turns the bytes of a complete request head into a validated ``HTTP1RequestHead``.
///
/// Syntax first (request line, field lines), then the framing semantics of RFC 9112 §6 with every
/// ambiguity rejected rather than resolved.
///
/// One pass over the field lines: each byte of a name is checked as a token byte and each byte of a
/// value as a field-value byte, and only the fields that decide framing (`host`, `content-length`,
/// `transfer-encoding`, `connection`, `expect`) are read, from the bytes. No field becomes a
/// `String` here: the head keeps the validated lines as one ``HTTP1FieldBlock``.
enum HTTP1HeadValidator {
    /// Validates a head: request line and field lines, each ending in CRLF (the parser has already
    /// checked that every LF follows a CR and that the size limits hold).
    static func validate(
        _ bytes: UnsafeRawBufferPointer, configuration: HTTP1Configuration
    ) -> Result<HTTP1RequestHead, HTTP1ParseError> {
        var strings = FieldStringCache()
        return self.validate(bytes, configuration: configuration, strings: &strings)
    }

    /// ``validate(_:configuration:)`` reusing the method and target strings of the connection's
    /// previous heads.
    static func validate(
        _ bytes: UnsafeRawBufferPointer, configuration: HTTP1Configuration, strings: inout FieldStringCache
    ) -> Result<HTTP1RequestHead, HTTP1ParseError> {
        guard let firstLF = ASCII.firstLF(bytes, from: 0), firstLF > 0 else {
            return .failure(.init(.badRequest, "empty request head"))
        }
        let line: RequestLine
        switch self.parseRequestLine(
            UnsafeRawBufferPointer(rebasing: bytes[..<(firstLF - 1)]), configuration: configuration, strings: &strings)
        {
        case .failure(let error): return .failure(error)
        case .success(let parsed): line = parsed
        }
        let fieldBytes = UnsafeRawBufferPointer(rebasing: bytes[(firstLF + 1)...])
        var framing = FramingFields()
        var start = 0
        while start < fieldBytes.count {
            switch self.scanField(fieldBytes, from: start) {
            case .failure(let error):
                return .failure(error)
            case .success(let field):
                if let error = framing.record(field, in: fieldBytes) { return .failure(error) }
                start = field.next
            }
        }
        return framing.interpret(
            line,
            fields: fieldBytes.isEmpty ? .empty : HTTP1FieldBlock(bytes: Array(fieldBytes)),
            configuration: configuration)
    }

    /// The ``FieldStringCache`` slots of the method, the target, and the path and query when the
    /// target has a query.
    static let methodSlot = 0
    static let targetSlot = 1
    static let pathSlot = 2
    static let querySlot = 3

    /// `HTTP/1.1` and `HTTP/1.0` as the 64-bit words their eight bytes load as (`HTTP1ParserTests`
    /// checks them against the strings).
    static let http11Word = UInt64(littleEndian: 0x312e_312f_5054_5448)
    static let http10Word = UInt64(littleEndian: 0x302e_312f_5054_5448)
    /// `HEAD` as the 32-bit word its four bytes load as.
    static let headWord = UInt32(littleEndian: 0x4441_4548)

    // MARK: - Syntax

    /// `method SP request-target SP HTTP-version`, single spaces, origin form (or `*` for OPTIONS).
    static func parseRequestLine(
        _ line: UnsafeRawBufferPointer, configuration: HTTP1Configuration
    ) -> Result<RequestLine, HTTP1ParseError> {
        var strings = FieldStringCache()
        return self.parseRequestLine(line, configuration: configuration, strings: &strings)
    }

    static func parseRequestLine(
        _ line: UnsafeRawBufferPointer, configuration: HTTP1Configuration, strings: inout FieldStringCache
    ) -> Result<RequestLine, HTTP1ParseError> {
        // Method: token bytes up to the first space.
        var index = 0
        while index < line.count && ASCII.isTokenByte(line[index]) { index += 1 }
        guard index > 0, index < line.count, line[index] == ASCII.space else {
            return .failure(.init(.badRequest, index > 0 && index < line.count ? "malformed method" : "malformed request line"))
        }
        let method = UnsafeRawBufferPointer(rebasing: line[..<index])
        // Target: visible ASCII up to the second space.
        let targetStart = index + 1
        index = targetStart
        while index < line.count && ASCII.isTargetByte(line[index]) { index += 1 }
        guard index < line.count, line[index] == ASCII.space, index > targetStart else {
            // The target runs to the next space; a long one is 414 even when it holds a bad byte.
            var space = index
            while space < line.count && line[space] != ASCII.space { space += 1 }
            guard space < line.count, space > targetStart else { return .failure(.init(.badRequest, "malformed request line")) }
            if space - targetStart > configuration.maxURIBytes { return .failure(.init(.uriTooLong, "request target too long")) }
            return .failure(.init(.badRequest, "malformed request target"))
        }
        let target = UnsafeRawBufferPointer(rebasing: line[targetStart..<index])
        let version = UnsafeRawBufferPointer(rebasing: line[(index + 1)...])
        guard target.count <= configuration.maxURIBytes else { return .failure(.init(.uriTooLong, "request target too long")) }
        let isAsterisk = target.count == 1 && target[0] == UInt8(ascii: "*")
        guard target[0] == UInt8(ascii: "/") || (isAsterisk && method.elementsEqual("OPTIONS".utf8)) else {
            return .failure(.init(.badRequest, "request target is not in origin form"))
        }
        let isHTTP11: Bool
        let versionWord = version.count == 8 ? version.loadUnaligned(as: UInt64.self) : 0
        if versionWord == Self.http11Word {
            isHTTP11 = true
        } else if versionWord == Self.http10Word {
            isHTTP11 = false
        } else if version.count == 8 && version.starts(with: "HTTP/".utf8) && version[6] == UInt8(ascii: ".")
            && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(version[5])
            && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(version[7])
        {
            return .failure(.init(.versionNotSupported, "unsupported HTTP version"))
        } else {
            return .failure(.init(.badRequest, "malformed HTTP version"))
        }
        let targetText = strings.string(target, slot: Self.targetSlot)
        var path = targetText
        var query = ""
        if let mark = target.firstIndex(of: UInt8(ascii: "?")) {
            path = strings.string(UnsafeRawBufferPointer(rebasing: target[..<mark]), slot: Self.pathSlot)
            query = strings.string(UnsafeRawBufferPointer(rebasing: target[(mark + 1)...]), slot: Self.querySlot)
        }
        return .success(
            RequestLine(
                method: strings.string(method, slot: Self.methodSlot), target: targetText, path: path, query: query,
                isHTTP11: isHTTP11,
                isHEAD: method.count == 4 && method.loadUnaligned(as: UInt32.self) == Self.headWord))
    }

    /// The parts of a valid request line.
    struct RequestLine {
        var method: String
        var target: String
        /// The target up to `?`, and what follows it (or `""`).
        var path: String
        var query: String
        var isHTTP11: Bool
        var isHEAD: Bool
    }

    /// Where one field line's parts are, as offsets into the bytes it was scanned in.
    struct ScannedField {
        var nameStart: Int
        var nameEnd: Int
        /// The value without leading and trailing OWS.
        var valueStart: Int
        var valueEnd: Int
        /// The start of the next line (after this line's CRLF).
        var next: Int
    }

    /// Checks the field line that starts at `start` (`field-name ":" OWS field-value OWS CRLF`; no
    /// obs-fold, no whitespace before the colon) in one pass over its bytes.
    ///
    /// With `terminatedByCRLF` (a head: the parser guarantees every line ends in CRLF) the line ends
    /// at the first CR, which must be followed by LF; without it (one trailer line, CRLF removed)
    /// the line is the rest of `bytes` and a CR anywhere is an invalid byte.
    static func scanField(
        _ bytes: UnsafeRawBufferPointer, from start: Int, terminatedByCRLF: Bool = true
    ) -> Result<ScannedField, HTTP1ParseError> {
        guard let base = bytes.baseAddress, start < bytes.count, !ASCII.isWhitespace(bytes[start]) else {
            return .failure(.init(.badRequest, "obsolete line folding"))
        }
        // The line ends at the first CR (a CR followed by anything but LF is an invalid byte).
        var end = bytes.count
        if terminatedByCRLF {
            guard let cr = memchr(base + start, Int32(ASCII.cr), end - start) else {
                return .failure(.init(.badRequest, "malformed header field"))
            }
            end = base.distance(to: UnsafeRawPointer(cr))
            guard end + 1 < bytes.count, bytes[end + 1] == ASCII.lf else {
                return .failure(.init(.badRequest, "invalid byte in header field value"))
            }
        }
        // The name: eight letters, digits or `-` at a time, other token bytes one by one.
        var index = start
        while index + 8 <= end && ASCII.nameBytes(ASCII.loadWord(base, index)) == ASCII.byteHighBits { index += 8 }
        while index < end && ASCII.isTokenByte(bytes[index]) { index += 1 }
        guard index < end, bytes[index] == ASCII.colon, index > start else {
            let noColon = index == start || index == end
            return .failure(.init(.badRequest, noColon ? "malformed header field" : "malformed header field name"))
        }
        let nameEnd = index
        index += 1
        while index < end && ASCII.isWhitespace(bytes[index]) { index += 1 }
        let valueStart = index
        // The value: every byte visible ASCII, obs-text, SP or HTAB; it ends after its last byte
        // that is not SP or HTAB (trailing OWS is not part of it). Eight bytes at a time; the last
        // word overlaps the one before it instead of reading past the line.
        var valueEnd = index
        while index < end {
            let offset = min(index, end - 8)
            guard offset >= valueStart else {
                // Fewer than eight value bytes in all: one by one.
                let byte = bytes[index]
                if byte > ASCII.space && byte != 0x7f {
                    valueEnd = index + 1
                } else if byte != ASCII.space && byte != ASCII.tab {
                    return .failure(.init(.badRequest, "invalid byte in header field value"))
                }
                index += 1
                continue
            }
            let word = ASCII.loadWord(base, offset)
            let visible = ASCII.visibleOrHighBytes(word)
            if visible == ASCII.byteHighBits {
                // The common word: eight visible bytes.
                valueEnd = offset + 8
                index = offset + 8
                continue
            }
            let whitespace = ASCII.bytesEqual(word, ASCII.space) | ASCII.bytesEqual(word, ASCII.tab)
            guard visible | whitespace == ASCII.byteHighBits else {
                return .failure(.init(.badRequest, "invalid byte in header field value"))
            }
            if visible != 0 {
                // The highest byte of the word that is not OWS.
                valueEnd = max(valueEnd, offset + (63 - visible.leadingZeroBitCount) / 8 + 1)
            }
            index = offset + 8
        }
        return .success(
            ScannedField(
                nameStart: start, nameEnd: nameEnd, valueStart: valueStart, valueEnd: valueEnd,
                next: terminatedByCRLF ? end + 2 : end))
    }

    /// Validates one field line given without its CRLF (a trailer field, which is then discarded).
    static func validateField(_ line: UnsafeRawBufferPointer) -> HTTP1ParseError? {
        if case .failure(let error) = self.scanField(line, from: 0, terminatedByCRLF: false) { return error }
        return nil
    }
}

// MARK: - Semantics

extension HTTP1HeadValidator {
    /// The fields whose meaning the framing depends on, read from the bytes as the lines are scanned.
    struct FramingFields {
        var hostCount = 0
        var contentLength: Int?
        /// The value range of the first `transfer-encoding` field, and how many there were.
        var transferEncoding: Range<Int>?
        var transferEncodingCount = 0
        var connectionClose = false
        var connectionKeepAlive = false
        var expectsContinue = false
        var unsupportedExpectation = false

        /// Takes note of one scanned field; returns the error it makes certain, if any.
        mutating func record(_ field: ScannedField, in bytes: UnsafeRawBufferPointer) -> HTTP1ParseError? {
            guard let base = bytes.baseAddress else { return nil }
            let name = base + field.nameStart
            let nameCount = field.nameEnd - field.nameStart
            let value = UnsafeRawBufferPointer(rebasing: bytes[field.valueStart..<field.valueEnd])
            switch nameCount {
            case 4 where ASCII.equalsLowercased(name, count: 4, "host"):
                self.hostCount += 1
            case 6 where ASCII.equalsLowercased(name, count: 6, "expect"):
                if ASCII.equalsLowercased(value, "100-continue") {
                    self.expectsContinue = true
                } else {
                    self.unsupportedExpectation = true
                }
            case 10 where ASCII.equalsLowercased(name, count: 10, "connection"):
                HTTP1HeadValidator.forEachListElement(value) { token in
                    if ASCII.equalsLowercased(token, "close") { self.connectionClose = true }
                    if ASCII.equalsLowercased(token, "keep-alive") { self.connectionKeepAlive = true }
                }
            case 14 where ASCII.equalsLowercased(name, count: 14, "content-length"):
                // One field with one decimal value (security checklist 8): a second field or a
                // list is refused even when the values agree, which RFC 9112 §6.3 permits; an
                // intermediary that reads it differently cannot be made to disagree with us.
                guard self.contentLength == nil else { return .init(.badRequest, "duplicate content-length") }
                guard let length = HTTP1HeadValidator.parseContentLength(value) else {
                    return .init(.badRequest, "malformed content-length")
                }
                self.contentLength = length
            case 17 where ASCII.equalsLowercased(name, count: 17, "transfer-encoding"):
                if self.transferEncoding == nil { self.transferEncoding = field.valueStart..<field.valueEnd }
                self.transferEncodingCount += 1
            default:
                break
            }
            return nil
        }

        /// The framing decisions once every field has been seen.
        func interpret(
            _ line: RequestLine, fields: HTTP1FieldBlock, configuration: HTTP1Configuration
        ) -> Result<HTTP1RequestHead, HTTP1ParseError> {
            let isHTTP11 = line.isHTTP11
            guard self.hostCount == 1 || (!isHTTP11 && self.hostCount == 0) else {
                return .failure(.init(.badRequest, self.hostCount == 0 ? "missing host" : "duplicate host"))
            }
            var framing = HTTP1RequestHead.Framing.none
            if let transferEncoding = self.transferEncoding {
                guard isHTTP11 else { return .failure(.init(.badRequest, "transfer-encoding in an HTTP/1.0 request")) }
                guard self.contentLength == nil else {
                    return .failure(.init(.badRequest, "both content-length and transfer-encoding"))
                }
                guard self.transferEncodingCount == 1 else {
                    return .failure(.init(.badRequest, "repeated transfer-encoding"))
                }
                // The value's offsets are into the field lines, which the block holds unchanged.
                let error = fields.bytes.withUnsafeBytes { bytes in
                    HTTP1HeadValidator.validateTransferEncoding(UnsafeRawBufferPointer(rebasing: bytes[transferEncoding]))
                }
                if let error { return .failure(error) }
                framing = .chunked
            } else if let contentLength = self.contentLength {
                guard contentLength <= configuration.maxBodyBytes else {
                    return .failure(.init(.contentTooLarge, "request body too large"))
                }
                framing = contentLength > 0 ? .contentLength(contentLength) : .none
            }
            let keepAlive = !self.connectionClose && (isHTTP11 || self.connectionKeepAlive)
            return .success(
                HTTP1RequestHead(
                    method: line.method, target: line.target, path: line.path, query: line.query,
                    isHEAD: line.isHEAD, isHTTP11: isHTTP11, fieldBlock: fields, framing: framing,
                    keepAlive: keepAlive,
                    // RFC 9110 10.1.1: an HTTP/1.0 request's expectation is ignored (no 100).
                    expectsContinue: self.expectsContinue && framing != .none && isHTTP11,
                    hasUnsupportedExpectation: self.unsupportedExpectation))
        }
    }

    /// `1*DIGIT`, at most 18 digits (the value is already without surrounding OWS); `nil` otherwise,
    /// including for a list.
    static func parseContentLength(_ digits: UnsafeRawBufferPointer) -> Int? {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var value = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0") && digit <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return value
    }

    /// Calls `body` with each non-empty element of a comma-separated list, without surrounding OWS.
    static func forEachListElement(_ value: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var start = 0
        while start <= value.count {
            var end = start
            while end < value.count && value[end] != ASCII.comma { end += 1 }
            let element = ASCII.trimmed(UnsafeRawBufferPointer(rebasing: value[start..<end]))
            if !element.isEmpty { body(element) }
            start = end + 1
        }
    }

    /// Accepts a `Transfer-Encoding` value whose only coding is `chunked` (one field: the caller
    /// refuses repeated fields).
    ///
    /// Malformed lists and `chunked` anywhere but alone are 400; a well-formed coding we do not
    /// implement (`gzip, chunked`) is 501.
    static func validateTransferEncoding(_ value: UnsafeRawBufferPointer) -> HTTP1ParseError? {
        var codings = 0
        var chunkedCount = 0
        var lastIsChunked = false
        var start = 0
        while start <= value.count {
            var end = start
            while end < value.count && value[end] != ASCII.comma { end += 1 }
            let coding = ASCII.trimmed(UnsafeRawBufferPointer(rebasing: value[start..<end]))
            guard !coding.isEmpty, coding.allSatisfy(ASCII.isTokenByte) else {
                return .init(.badRequest, "malformed transfer-encoding")
            }
            codings += 1
            lastIsChunked = ASCII.equalsLowercased(coding, "chunked")
            if lastIsChunked { chunkedCount += 1 }
            start = end + 1
        }
        if chunkedCount > 1 || (chunkedCount == 1 && !lastIsChunked) {
            return .init(.badRequest, "chunked is not the final transfer coding")
        }
        guard codings == 1 && chunkedCount == 1 else {
            return .init(.notImplemented, "unsupported transfer coding")
        }
        return nil
    }
}
