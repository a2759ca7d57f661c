// MARK: - Strings: scanning, UTF-8 validation, unescaping

extension JSONReader {
    /// Scans the string whose opening quote is at ``index`` and moves past its closing quote.
    ///
    /// - Returns: the unescaped content, which points into the input when the string has no
    ///   escapes (`escaped == false`) and into the scratch buffer otherwise; valid until the next
    ///   string is read.
    @inline(__always)
    mutating func scanString() throws(ReviewDecodingError) -> (UnsafePointer<UInt8>, Int, escaped: Bool) {
        let quote = index
        let start = quote + 1
        let limit = stringLimit(start)
        var position = start
        // The fast path: printable ASCII, eight bytes at a time, straight to the first byte that
        // needs a look (quote, backslash, control character or non-ASCII).
        while true {
            if position &+ 8 <= limit {
                let special = Self.specialBytes(UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self))
                guard special != 0 else {
                    position &+= 8
                    continue
                }
                position &+= special.trailingZeroBitCount &>> 3
            } else if position >= limit {
                break
            }
            let byte = base[position]
            if byte == UInt8(ascii: "\"") {
                index = position &+ 1
                return (base + start, position &- start, false)
            }
            if byte == UInt8(ascii: "\\") {
                return try scanEscapedString(quote: quote, firstEscape: position, limit: limit)
            }
            if byte < 0x20 { throw controlCharacter(at: position) }
            if byte < 0x80 {
                position &+= 1
            } else {
                position = try skipUTF8Sequence(at: position)
            }
        }
        throw unterminatedString(quote: quote, limit: limit)
    }

    /// Marks the bytes of a word that need a look: `"`, `\\`, below 0x20 or above 0x7F.
    ///
    /// Sets the high bit of every such byte (in little-endian order), and possibly of bytes after
    /// one (SWAR "has zero" tests: a borrow only follows a real match). Zero when all eight bytes are plain ASCII; otherwise the lowest set
    /// bit marks the first byte that needs a look.
    @inline(__always)
    static func specialBytes(_ loaded: UInt64) -> UInt64 {
        let word = UInt64(littleEndian: loaded)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let control = (word &- ones &* 0x20) & ~word
        return (control | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | word) & high
    }

    /// One past the last byte a string starting at `start` may use (its content plus the closing
    /// quote), given ``maxStringBytes``.
    @inline(__always)
    private func stringLimit(_ start: Int) -> Int {
        end - start > maxStringBytes ? start + maxStringBytes + 1 : end
    }

    /// The slow path of ``scanString()``: unescapes into the scratch buffer.
    private mutating func scanEscapedString(
        quote: Int,
        firstEscape: Int,
        limit: Int
    ) throws(ReviewDecodingError) -> (UnsafePointer<UInt8>, Int, escaped: Bool) {
        let start = quote + 1
        let output: UnsafeMutablePointer<UInt8>
        if let scratch {
            output = scratch
        } else {
            output = .allocate(capacity: end)
            scratch = output
        }
        var written = firstEscape - start
        output.update(from: base + start, count: written)
        var position = firstEscape
        while position < limit {
            let byte = base[position]
            if byte == UInt8(ascii: "\"") {
                index = position + 1
                return (UnsafePointer(output), written, true)
            }
            if byte == UInt8(ascii: "\\") {
                guard position + 1 < end else { break }
                let decoded: UInt8
                switch base[position + 1] {
                case UInt8(ascii: "\""): decoded = 0x22
                case UInt8(ascii: "\\"): decoded = 0x5C
                case UInt8(ascii: "/"): decoded = 0x2F
                case UInt8(ascii: "b"): decoded = 0x08
                case UInt8(ascii: "f"): decoded = 0x0C
                case UInt8(ascii: "n"): decoded = 0x0A
                case UInt8(ascii: "r"): decoded = 0x0D
                case UInt8(ascii: "t"): decoded = 0x09
                case UInt8(ascii: "u"):
                    let (scalar, next) = try readUnicodeEscape(at: position)
                    written += encodeUTF8(scalar, into: output + written)
                    position = next
                    continue
                default:
                    throw invalidEscape(at: position)
                }
                output[written] = decoded
                written += 1
                position += 2
            } else if byte < 0x20 {
                throw controlCharacter(at: position)
            } else if byte < 0x80 {
                output[written] = byte
                written += 1
                position += 1
            } else {
                let next = try skipUTF8Sequence(at: position)
                (output + written).update(from: base + position, count: next - position)
                written += next - position
                position = next
            }
        }
        throw unterminatedString(quote: quote, limit: limit)
    }

    /// Reads `\uXXXX` (and its low surrogate `\uXXXX` when the first is a high surrogate) at
    /// `position`, the backslash.
    ///
    /// - Returns: the Unicode scalar value and the offset after the escape(s).
    private func readUnicodeEscape(at position: Int) throws(ReviewDecodingError) -> (UInt32, Int) {
        let unit = try hexQuad(at: position + 2, escape: position)
        switch unit {
        case 0xD800...0xDBFF:
            guard position + 7 < end, base[position + 6] == UInt8(ascii: "\\"), base[position + 7] == UInt8(ascii: "u")
            else {
                throw error(
                    .unpairedSurrogate,
                    at: position,
                    "high surrogate escape not followed by a low surrogate escape in a string"
                )
            }
            let low = try hexQuad(at: position + 8, escape: position + 6)
            guard (0xDC00...0xDFFF).contains(low) else {
                throw error(
                    .unpairedSurrogate,
                    at: position,
                    "high surrogate escape not followed by a low surrogate escape in a string"
                )
            }
            return (0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00), position + 12)
        case 0xDC00...0xDFFF:
            throw error(.unpairedSurrogate, at: position, "low surrogate escape without a high surrogate in a string")
        default:
            return (unit, position + 6)
        }
    }

    /// Four hexadecimal digits at `position`.
    private func hexQuad(at position: Int, escape: Int) throws(ReviewDecodingError) -> UInt32 {
        guard position + 4 <= end else {
            throw error(.unexpectedEndOfInput, at: escape, "unexpected end of body inside a `\\u` escape")
        }
        var value: UInt32 = 0
        for offset in 0..<4 {
            let byte = base[position + offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default:
                throw error(
                    .invalidEscape,
                    at: escape,
                    "invalid `\\u` escape (expected four hexadecimal digits) in a string"
                )
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// Writes `scalar` (not a surrogate, at most U+10FFFF) as UTF-8; returns the byte count.
    private func encodeUTF8(_ scalar: UInt32, into output: UnsafeMutablePointer<UInt8>) -> Int {
        switch scalar {
        case 0..<0x80:
            output[0] = UInt8(scalar)
            return 1
        case 0x80..<0x800:
            output[0] = UInt8(0xC0 | scalar >> 6)
            output[1] = UInt8(0x80 | scalar & 0x3F)
            return 2
        case 0x800..<0x10000:
            output[0] = UInt8(0xE0 | scalar >> 12)
            output[1] = UInt8(0x80 | scalar >> 6 & 0x3F)
            output[2] = UInt8(0x80 | scalar & 0x3F)
            return 3
        default:
            output[0] = UInt8(0xF0 | scalar >> 18)
            output[1] = UInt8(0x80 | scalar >> 12 & 0x3F)
            output[2] = UInt8(0x80 | scalar >> 6 & 0x3F)
            output[3] = UInt8(0x80 | scalar & 0x3F)
            return 4
        }
    }

    /// Validates the multi-byte UTF-8 sequence whose lead byte is at `position` (RFC 3629 table 3:
    /// no overlong forms, no surrogates, nothing above U+10FFFF).
    ///
    /// - Returns: the offset after the sequence.
    @inline(__always)
    func skipUTF8Sequence(at position: Int) throws(ReviewDecodingError) -> Int {
        let lead = base[position]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default:
            throw invalidLeadByte(at: position)
        }
        guard position + length <= end else {
            throw truncatedSequence(at: position)
        }
        let second = base[position + 1]
        guard second >= low, second <= high else { throw invalidSequence(at: position) }
        for offset in 2..<max(length, 2) where base[position + offset] & 0xC0 != 0x80 {
            throw invalidSequence(at: position)
        }
        return position + length
    }

    @inline(never)
    private func invalidEscape(at position: Int) -> ReviewDecodingError {
        error(.invalidEscape, at: position, "invalid escape \(describeByte(at: position + 1)) after `\\` in a string")
    }

    @inline(never)
    private func invalidLeadByte(at position: Int) -> ReviewDecodingError {
        error(.invalidUTF8, at: position, "invalid UTF-8 byte 0x\(hex(base[position])) in a string")
    }

    @inline(never)
    private func truncatedSequence(at position: Int) -> ReviewDecodingError {
        error(.invalidUTF8, at: position, "truncated UTF-8 sequence in a string")
    }

    @inline(never)
    private func invalidSequence(at position: Int) -> ReviewDecodingError {
        error(.invalidUTF8, at: position, "invalid UTF-8 sequence (overlong, surrogate or malformed) in a string")
    }

    @inline(never)
    private func controlCharacter(at position: Int) -> ReviewDecodingError {
        error(
            .controlCharacterInString,
            at: position,
            "unescaped control character 0x\(hex(base[position])) in a string"
        )
    }

    @inline(never)
    private func unterminatedString(quote: Int, limit: Int) -> ReviewDecodingError {
        if limit < end {
            return error(.stringTooLong, at: quote, "string longer than \(maxStringBytes) bytes")
        }
        return error(.unexpectedEndOfInput, at: quote, "unterminated string")
    }

    // MARK: - Creating strings

    /// Makes a `String` of validated UTF-8, sharing an immortal literal for common values.
    @inline(__always)
    func makeString(_ pointer: UnsafePointer<UInt8>, _ count: Int) -> String {
        if count > 15, let known = internedString(pointer, count) { return known }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }
}

/// The literal for values every review repeats and that are too long for Swift's inline small
/// strings (15 bytes), so decoding them allocates nothing; `nil` for anything else.
private func internedString(_ pointer: UnsafePointer<UInt8>, _ count: Int) -> String? {
    switch count {
    case 16:
        if bytesEqual(pointer, count, "system:anonymous") { return "system:anonymous" }
    case 19:
        if bytesEqual(pointer, count, "SubjectAccessReview") { return "SubjectAccessReview" }
    case 20:
        if bytesEqual(pointer, count, "system:authenticated") { return "system:authenticated" }
    case 22:
        if bytesEqual(pointer, count, "system:serviceaccounts") { return "system:serviceaccounts" }
        if bytesEqual(pointer, count, "system:unauthenticated") { return "system:unauthenticated" }
        if bytesEqual(pointer, count, "SelfSubjectRulesReview") { return "SelfSubjectRulesReview" }
    case 23:
        if bytesEqual(pointer, count, "authorization.k8s.io/v1") { return "authorization.k8s.io/v1" }
        if bytesEqual(pointer, count, "SelfSubjectAccessReview") { return "SelfSubjectAccessReview" }
    case 24:
        if bytesEqual(pointer, count, "LocalSubjectAccessReview") { return "LocalSubjectAccessReview" }
    case 28:
        if bytesEqual(pointer, count, "authorization.k8s.io/v1beta1") { return "authorization.k8s.io/v1beta1" }
    case 42:
        if bytesEqual(pointer, count, "authentication.kubernetes.io/credential-id") {
            return "authentication.kubernetes.io/credential-id"
        }
    default:
        break
    }
    return nil
}
