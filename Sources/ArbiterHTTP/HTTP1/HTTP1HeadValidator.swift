/// Turns the bytes of a complete request head into a validated ``HTTP1RequestHead``.
///
/// Syntax first (request line, field lines), then the framing semantics of RFC 9112 §6 with every
/// ambiguity rejected rather than resolved.
enum HTTP1HeadValidator {
    /// Validates a head: request line and field lines, each ending in CRLF (the parser has already
    /// checked that every LF follows a CR and that the size limits hold).
    static func validate(
        _ bytes: UnsafeRawBufferPointer, configuration: HTTP1Configuration
    ) -> Result<HTTP1RequestHead, HTTP1ParseError> {
        var strings = FieldStringCache()
        return self.validate(bytes, configuration: configuration, strings: &strings)
    }

    /// ``validate(_:configuration:)`` reusing the strings of the connection's previous heads.
    static func validate(
        _ bytes: UnsafeRawBufferPointer, configuration: HTTP1Configuration, strings: inout FieldStringCache
    ) -> Result<HTTP1RequestHead, HTTP1ParseError> {
        guard let firstLF = ASCII.firstLF(bytes, from: 0) else {
            return .failure(.init(.badRequest, "empty request head"))
        }
        let line: (method: String, target: String, isHTTP11: Bool)
        switch self.parseRequestLine(
            UnsafeRawBufferPointer(rebasing: bytes[..<(firstLF - 1)]), configuration: configuration, strings: &strings)
        {
        case .failure(let error): return .failure(error)
        case .success(let parsed): line = parsed
        }
        var fields: [HTTPField] = []
        fields.reserveCapacity(8)
        var start = firstLF + 1
        while let lf = ASCII.firstLF(bytes, from: start) {
            switch self.parseField(
                UnsafeRawBufferPointer(rebasing: bytes[start..<(lf - 1)]), strings: &strings, index: fields.count)
            {
            case .failure(let error): return .failure(error)
            case .success(let field): fields.append(field)
            }
            start = lf + 1
        }
        return self.interpret(method: line.method, target: line.target, isHTTP11: line.isHTTP11, fields: fields, configuration: configuration)
    }

    /// The ``FieldStringCache`` slots of the method, the target and each field's name and value.
    static let methodSlot = 0
    static let targetSlot = 1
    static func nameSlot(field index: Int) -> Int { 3 + 2 * index }
    static func valueSlot(field index: Int) -> Int { 4 + 2 * index }

    // MARK: - Syntax

    /// `method SP request-target SP HTTP-version`, single spaces, origin form (or `*` for OPTIONS).
    static func parseRequestLine(
        _ line: UnsafeRawBufferPointer, configuration: HTTP1Configuration
    ) -> Result<(method: String, target: String, isHTTP11: Bool), HTTP1ParseError> {
        var strings = FieldStringCache()
        return self.parseRequestLine(line, configuration: configuration, strings: &strings)
    }

    static func parseRequestLine(
        _ line: UnsafeRawBufferPointer, configuration: HTTP1Configuration, strings: inout FieldStringCache
    ) -> Result<(method: String, target: String, isHTTP11: Bool), HTTP1ParseError> {
        guard let firstSpace = line.firstIndex(of: ASCII.space), firstSpace > 0 else {
            return .failure(.init(.badRequest, "malformed request line"))
        }
        let method = UnsafeRawBufferPointer(rebasing: line[..<firstSpace])
        guard method.allSatisfy(ASCII.isTokenByte) else { return .failure(.init(.badRequest, "malformed method")) }
        let rest = UnsafeRawBufferPointer(rebasing: line[(firstSpace + 1)...])
        guard let secondSpace = rest.firstIndex(of: ASCII.space), secondSpace > 0 else {
            return .failure(.init(.badRequest, "malformed request line"))
        }
        let target = UnsafeRawBufferPointer(rebasing: rest[..<secondSpace])
        let version = UnsafeRawBufferPointer(rebasing: rest[(secondSpace + 1)...])
        guard target.count <= configuration.maxURIBytes else { return .failure(.init(.uriTooLong, "request target too long")) }
        guard target.allSatisfy(ASCII.isTargetByte) else { return .failure(.init(.badRequest, "malformed request target")) }
        let methodText = strings.string(method, slot: Self.methodSlot)
        let isAsterisk = target.count == 1 && target[0] == UInt8(ascii: "*")
        guard target[0] == UInt8(ascii: "/") || (isAsterisk && methodText == "OPTIONS") else {
            return .failure(.init(.badRequest, "request target is not in origin form"))
        }
        let isHTTP11: Bool
        if version.elementsEqual("HTTP/1.1".utf8) {
            isHTTP11 = true
        } else if version.elementsEqual("HTTP/1.0".utf8) {
            isHTTP11 = false
        } else if version.count == 8 && version.starts(with: "HTTP/".utf8) && version[6] == UInt8(ascii: ".")
            && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(version[5])
            && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(version[7])
        {
            return .failure(.init(.versionNotSupported, "unsupported HTTP version"))
        } else {
            return .failure(.init(.badRequest, "malformed HTTP version"))
        }
        return .success((methodText, strings.string(target, slot: Self.targetSlot), isHTTP11))
    }

    /// `field-name ":" OWS field-value OWS`; no obs-fold, no whitespace before the colon.
    static func parseField(_ line: UnsafeRawBufferPointer) -> Result<HTTPField, HTTP1ParseError> {
        var strings = FieldStringCache()
        return self.parseField(line, strings: &strings, index: 0)
    }

    /// ``parseField(_:)`` for the `index`th field of a head, reusing the connection's strings.
    static func parseField(
        _ line: UnsafeRawBufferPointer, strings: inout FieldStringCache, index: Int
    ) -> Result<HTTPField, HTTP1ParseError> {
        guard let first = line.first, !ASCII.isWhitespace(first) else {
            return .failure(.init(.badRequest, "obsolete line folding"))
        }
        guard let colon = line.firstIndex(of: ASCII.colon), colon > 0 else {
            return .failure(.init(.badRequest, "malformed header field"))
        }
        let name = UnsafeRawBufferPointer(rebasing: line[..<colon])
        guard name.allSatisfy(ASCII.isTokenByte) else {
            return .failure(.init(.badRequest, "malformed header field name"))
        }
        let value = ASCII.trimmed(UnsafeRawBufferPointer(rebasing: line[(colon + 1)...]))
        guard value.allSatisfy(ASCII.isFieldValueByte) else {
            return .failure(.init(.badRequest, "invalid byte in header field value"))
        }
        return .success(
            HTTPField(
                name: strings.lowercasedString(name, slot: Self.nameSlot(field: index)),
                value: strings.string(value, slot: Self.valueSlot(field: index))))
    }

    // MARK: - Semantics

    private static func interpret(
        method: String, target: String, isHTTP11: Bool, fields: [HTTPField], configuration: HTTP1Configuration
    ) -> Result<HTTP1RequestHead, HTTP1ParseError> {
        var hostCount = 0
        var contentLength: Int?
        var transferEncodings: [String] = []
        var connectionClose = false
        var connectionKeepAlive = false
        var expectsContinue = false
        var unsupportedExpectation = false
        for field in fields {
            switch self.framingField(field.name) {
            case .host:
                hostCount += 1
            case .contentLength:
                // One field with one decimal value (security checklist 8): a second field or a
                // list is refused even when the values agree, which RFC 9112 §6.3 permits; an
                // intermediary that reads it differently cannot be made to disagree with us.
                guard contentLength == nil else {
                    return .failure(.init(.badRequest, "duplicate content-length"))
                }
                var value = field.value
                let length: Int? = value.withUTF8 { bytes in
                    bytes.contains(ASCII.comma) ? nil : self.parseContentLength(UnsafeRawBufferPointer(bytes))
                }
                guard let length else {
                    return .failure(.init(.badRequest, "malformed content-length"))
                }
                contentLength = length
            case .transferEncoding:
                transferEncodings.append(field.value)
            case .connection:
                for token in self.tokens(field.value) {
                    if token == "close" { connectionClose = true }
                    if token == "keep-alive" { connectionKeepAlive = true }
                }
            case .expect:
                if field.value.lowercased() == "100-continue" { expectsContinue = true } else { unsupportedExpectation = true }
            case .other:
                break
            }
        }
        guard hostCount == 1 || (!isHTTP11 && hostCount == 0) else {
            return .failure(.init(.badRequest, hostCount == 0 ? "missing host" : "duplicate host"))
        }
        var framing = HTTP1RequestHead.Framing.none
        if !transferEncodings.isEmpty {
            guard isHTTP11 else { return .failure(.init(.badRequest, "transfer-encoding in an HTTP/1.0 request")) }
            guard contentLength == nil else {
                return .failure(.init(.badRequest, "both content-length and transfer-encoding"))
            }
            if case .failure(let error) = self.validateTransferEncoding(transferEncodings) { return .failure(error) }
            framing = .chunked
        } else if let contentLength {
            guard contentLength <= configuration.maxBodyBytes else {
                return .failure(.init(.contentTooLarge, "request body too large"))
            }
            framing = contentLength > 0 ? .contentLength(contentLength) : .none
        }
        let keepAlive = !connectionClose && (isHTTP11 || connectionKeepAlive)
        return .success(HTTP1RequestHead(
            method: method, target: target, isHTTP11: isHTTP11, headers: fields, framing: framing,
            keepAlive: keepAlive, expectsContinue: expectsContinue && framing != .none,
            hasUnsupportedExpectation: unsupportedExpectation))
    }

    /// The fields whose meaning the framing depends on (names are lower-case tokens, so byte
    /// equality is `String` equality).
    private enum FramingField {
        case host, contentLength, transferEncoding, connection, expect, other
    }

    private static func framingField(_ name: String) -> FramingField {
        let utf8 = name.utf8
        switch utf8.count {
        case 4: return utf8.elementsEqual("host".utf8) ? .host : .other
        case 6: return utf8.elementsEqual("expect".utf8) ? .expect : .other
        case 10: return utf8.elementsEqual("connection".utf8) ? .connection : .other
        case 14: return utf8.elementsEqual("content-length".utf8) ? .contentLength : .other
        case 17: return utf8.elementsEqual("transfer-encoding".utf8) ? .transferEncoding : .other
        default: return .other
        }
    }

    /// `1*DIGIT` with optional surrounding OWS, at most 18 digits; `nil` otherwise.
    private static func parseContentLength(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let digits = ASCII.trimmed(bytes)
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var value = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0") && digit <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return value
    }

    /// Accepts exactly one `Transfer-Encoding` field whose only coding is `chunked`.
    ///
    /// Malformed lists, repeated fields and `chunked` anywhere but alone are 400; a well-formed
    /// coding we do not implement (`gzip, chunked`) is 501.
    private static func validateTransferEncoding(_ values: [String]) -> Result<Void, HTTP1ParseError> {
        guard values.count == 1 else { return .failure(.init(.badRequest, "repeated transfer-encoding")) }
        var codings: [String] = []
        for element in values[0].utf8.split(separator: ASCII.comma, omittingEmptySubsequences: false) {
            let coding = Array(element).withUnsafeBytes { Array(ASCII.trimmed($0)) }
            guard !coding.isEmpty, coding.allSatisfy(ASCII.isTokenByte) else {
                return .failure(.init(.badRequest, "malformed transfer-encoding"))
            }
            codings.append(String(decoding: coding.map(ASCII.lowercased), as: UTF8.self))
        }
        let chunkedCount = codings.count { $0 == "chunked" }
        if chunkedCount > 1 || (chunkedCount == 1 && codings.last != "chunked") {
            return .failure(.init(.badRequest, "chunked is not the final transfer coding"))
        }
        guard codings == ["chunked"] else {
            return .failure(.init(.notImplemented, "unsupported transfer coding"))
        }
        return .success(())
    }

    /// Comma-separated tokens, trimmed and lower-cased.
    private static func tokens(_ value: String) -> [String] {
        value.utf8.split(separator: ASCII.comma).map { element in
            let trimmed = Array(element).withUnsafeBytes { Array(ASCII.trimmed($0)) }
            return String(decoding: trimmed.map(ASCII.lowercased), as: UTF8.self)
        }
    }
}
