// MARK: - Building errors

extension JSONReader {
    /// An error at `offset`; the message gets ` at byte N` appended unless it already names the
    /// offset.
    func error(
        _ code: ReviewDecodingError.Code,
        at offset: Int,
        _ message: String,
        offsetInMessage: Bool = true
    ) -> ReviewDecodingError {
        ReviewDecodingError(code, offset: offset, message: offsetInMessage ? "\(message) at byte \(offset)" : message)
    }

    /// The body ends where `context` needs more.
    @inline(never)
    func unexpectedEnd(_ context: JSONContext) -> ReviewDecodingError {
        error(.unexpectedEndOfInput, at: index, "unexpected end of body \(context.inPhrase(self))")
    }

    /// The byte at ``index`` is not what the grammar allows here.
    @inline(never)
    func unexpectedCharacter(expected: StaticString, _ context: JSONContext) -> ReviewDecodingError {
        error(
            .unexpectedCharacter,
            at: index,
            "expected \(expected) \(context.inPhrase(self)), found \(describeByte(at: index))"
        )
    }

    /// No `:` after a key.
    @inline(never)
    func missingColon(after key: JSONKey, _ context: JSONContext) -> ReviewDecodingError {
        error(
            .unexpectedCharacter,
            at: index,
            "expected `:` after key \(quoted(key)) \(context.inPhrase(self)), found \(describeByte(at: index))"
        )
    }

    /// One `{` or `[` too many.
    @inline(never)
    func nestingTooDeep(_ context: JSONContext) -> ReviewDecodingError {
        error(.nestingTooDeep, at: index, "nesting deeper than \(maxDepth) levels \(context.inPhrase(self))")
    }

    /// A value of the wrong JSON type at ``index``.
    @inline(never)
    func typeMismatch(expected: String, _ context: JSONContext) -> ReviewDecodingError {
        let found: String
        switch index < end ? base[index] : 0 {
        case UInt8(ascii: "{"): found = "an object"
        case UInt8(ascii: "["): found = "an array"
        case UInt8(ascii: "\""): found = "a string"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): found = "a boolean"
        case UInt8(ascii: "n"): found = "null"
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): found = "a number"
        default:
            return error(
                .unexpectedCharacter,
                at: index,
                "expected a value \(context.inPhrase(self)), found \(describeByte(at: index))"
            )
        }
        return error(.typeMismatch, at: index, "expected \(expected) \(context.forPhrase(self)), found \(found)")
    }

    /// The second occurrence of a key.
    @inline(never)
    func duplicateKey(_ key: JSONKey, _ context: JSONContext) -> ReviewDecodingError {
        error(.duplicateKey, at: key.offset, "duplicate key \(quoted(key)) \(context.inPhrase(self))")
    }

    /// The key as sent (escapes not decoded), in backticks, cut after 64 bytes.
    func quoted(_ key: JSONKey) -> String {
        quotedRaw(from: key.offset + 1, to: key.rawEnd - 1)
    }

    /// Input bytes `from..<to` in backticks, cut after 64 bytes; the reader has validated them as
    /// UTF-8 (a cut may leave a replacement character).
    func quotedRaw(from start: Int, to stop: Int) -> String {
        let count = min(max(stop - start, 0), 64)
        let text = String(decoding: UnsafeBufferPointer(start: base + start, count: count), as: UTF8.self)
        return "`\(text)\(stop - start > 64 ? "…" : "")`"
    }

    /// The byte at `offset` for a message: `` `x` `` for printable ASCII, `byte 0xNN` otherwise.
    func describeByte(at offset: Int) -> String {
        guard offset < end else { return "the end of the body" }
        let byte = base[offset]
        if byte > 0x20, byte < 0x7F, byte != UInt8(ascii: "`") {
            return "`\(Character(Unicode.Scalar(byte)))`"
        }
        return "byte 0x\(hex(byte))"
    }
}

/// Two upper-case hexadecimal digits.
func hex(_ byte: UInt8) -> String {
    let digits: StaticString = "0123456789ABCDEF"
    let high = Character(Unicode.Scalar(digits.utf8Start[Int(byte >> 4)]))
    let low = Character(Unicode.Scalar(digits.utf8Start[Int(byte & 0xF)]))
    return "\(high)\(low)"
}
