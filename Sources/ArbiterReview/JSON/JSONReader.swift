/// A strict RFC 8259 pull reader over borrowed bytes, for the review decoders.
///
/// The reader never builds a document tree: the decoders of the wire types ask for exactly the
/// value they expect next (``readString(_:)``, ``beginObject(_:)``, ``nextKey(_:_:)``, ...) and
/// everything they do not know is validated and skipped by ``skipValue(_:)``. Strings become Swift
/// `String`s once, straight from the input bytes when they hold no escapes, or from a scratch
/// buffer the reader unescapes into otherwise.
///
/// Strictness (all of it checked, also inside skipped values): well-formed UTF-8 only, no raw
/// control characters in strings, `\u` surrogates only in pairs, RFC 8259 numbers (no leading
/// zeros), only `true`/`false`/`null` literals, whitespace limited to space, tab, LF and CR, no
/// duplicate keys (compared as unescaped bytes), nothing after the top-level value, plus the
/// limits of ``ReviewDecodingLimits``.
///
/// Memory safety: the reader holds a pointer into the caller's buffer and must not outlive the
/// `withUnsafeBytes` call that produced it; ``releaseScratch()`` must be called when done.
struct JSONReader {
    /// The input; valid for the reader's whole life.
    let base: UnsafePointer<UInt8>
    /// The number of input bytes.
    let end: Int
    /// The offset of the next byte to read.
    var index: Int = 0
    /// The number of objects and arrays currently open.
    var depth: Int = 0
    let maxDepth: Int
    let maxStringBytes: Int
    /// Unescaped string bytes, allocated on the first escape; `end` bytes are always enough
    /// because an escape never decodes to more bytes than it takes.
    var scratch: UnsafeMutablePointer<UInt8>? = nil

    /// The deepest nesting any limits can allow (a few hundred bytes of stack per level).
    static let depthCeiling = 512

    /// Creates a reader over a non-empty buffer.
    init(_ base: UnsafePointer<UInt8>, count: Int, limits: ReviewDecodingLimits) {
        self.base = base
        self.end = count
        // The reader recurses once per level of nesting: keep the stack bounded whatever the
        // caller asks for.
        self.maxDepth = min(limits.maxDepth, JSONReader.depthCeiling)
        self.maxStringBytes = limits.maxStringBytes
    }

    /// Creates a reader over a whole review body after checking the body-level limits (size,
    /// non-empty); the caller must call ``releaseScratch()`` when done.
    init(body bytes: UnsafeRawBufferPointer, limits: ReviewDecodingLimits) throws(ReviewDecodingError) {
        guard bytes.count <= limits.maxBodyBytes else {
            throw .bodyTooLarge(bytes.count, limit: limits.maxBodyBytes)
        }
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            throw ReviewDecodingError(.unexpectedEndOfInput, offset: 0, message: "empty body")
        }
        self.init(base.assumingMemoryBound(to: UInt8.self), count: bytes.count, limits: limits)
    }

    /// Frees the unescaping buffer.
    mutating func releaseScratch() {
        scratch?.deallocate()
        scratch = nil
    }

    // MARK: - Whitespace and structure

    /// Skips JSON whitespace (space, tab, LF, CR).
    @inline(__always)
    mutating func skipWhitespace() {
        while index < end {
            let byte = base[index]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            index += 1
        }
    }

    /// Skips whitespace and returns the next byte without consuming it.
    @inline(__always)
    mutating func peekByte(_ context: JSONContext) throws(ReviewDecodingError) -> UInt8 {
        skipWhitespace()
        guard index < end else {
            throw unexpectedEnd(context)
        }
        return base[index]
    }

    /// Checks that only whitespace follows the top-level value.
    mutating func finish() throws(ReviewDecodingError) {
        skipWhitespace()
        guard index == end else {
            throw error(.trailingData, at: index, "unexpected \(describeByte(at: index)) after the top-level object")
        }
    }

    /// Opens an object, or returns `false` for `null`.
    ///
    /// - Throws: ``ReviewDecodingError/Code/typeMismatch`` for any other value,
    ///   ``ReviewDecodingError/Code/nestingTooDeep`` past the depth limit.
    @inline(__always)
    mutating func beginObject(_ context: JSONContext) throws(ReviewDecodingError) -> Bool {
        let byte = try peekByte(context)
        if byte == UInt8(ascii: "{") {
            try enterContainer(context)
            return true
        }
        if byte == UInt8(ascii: "n") {
            try skipLiteral("null")
            return false
        }
        throw typeMismatch(expected: "an object", context)
    }

    /// Opens an array, or returns `false` for `null`.
    @inline(__always)
    mutating func beginArray(_ context: JSONContext) throws(ReviewDecodingError) -> Bool {
        let byte = try peekByte(context)
        if byte == UInt8(ascii: "[") {
            try enterContainer(context)
            return true
        }
        if byte == UInt8(ascii: "n") {
            try skipLiteral("null")
            return false
        }
        throw typeMismatch(expected: "an array", context)
    }

    @inline(__always)
    private mutating func enterContainer(_ context: JSONContext) throws(ReviewDecodingError) {
        depth += 1
        guard depth <= maxDepth else {
            throw nestingTooDeep(context)
        }
        index += 1
    }

    /// Reads the next key of an open object and its `:`, or consumes the closing `}` and returns
    /// `nil`.
    ///
    /// The returned key points into the input or into the scratch buffer: use it before reading
    /// anything else.
    @inline(__always)
    mutating func nextKey(
        _ state: inout JSONObjectState,
        _ context: JSONContext
    ) throws(ReviewDecodingError) -> JSONKey? {
        var byte = try peekByte(context)
        if state.isFirst {
            state.isFirst = false
            if byte == UInt8(ascii: "}") {
                index += 1
                depth -= 1
                return nil
            }
        } else if byte == UInt8(ascii: ",") {
            index += 1
            byte = try peekByte(context)
        } else if byte == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return nil
        } else {
            throw unexpectedCharacter(expected: "`,` or `}`", context)
        }
        guard byte == UInt8(ascii: "\"") else {
            throw unexpectedCharacter(expected: "a key", context)
        }
        let start = index
        let (pointer, count, escaped) = try scanString()
        let key = JSONKey(pointer: pointer, count: count, offset: start, rawEnd: index, isEscaped: escaped)
        guard try peekByte(context) == UInt8(ascii: ":") else {
            throw missingColon(after: key, context)
        }
        index += 1
        return key
    }

    /// Moves to the next element of an open array, or consumes the closing `]` and returns
    /// `false`.
    @inline(__always)
    mutating func nextElement(_ isFirst: inout Bool, _ context: JSONContext) throws(ReviewDecodingError) -> Bool {
        let byte = try peekByte(context)
        if byte == UInt8(ascii: "]") {
            // `[1,]` is caught below: after a comma a value must follow.
            index += 1
            depth -= 1
            return false
        }
        if isFirst {
            isFirst = false
            return true
        }
        guard byte == UInt8(ascii: ",") else {
            throw unexpectedCharacter(expected: "`,` or `]`", context)
        }
        index += 1
        if try peekByte(context) == UInt8(ascii: "]") {
            throw unexpectedCharacter(expected: "a value after `,`", context)
        }
        return true
    }

    // MARK: - Keys

    /// Records a known key (bit `field` of the object's known-field mask); throws if it was
    /// already seen.
    @inline(__always)
    mutating func markKnown(
        _ field: Int,
        _ key: JSONKey,
        _ state: inout JSONObjectState,
        _ context: JSONContext
    ) throws(ReviewDecodingError) {
        let bit: UInt32 = 1 << UInt32(field)
        guard state.knownFields & bit == 0 else { throw duplicateKey(key, context) }
        state.knownFields |= bit
    }

    /// Records a key the decoder does not know (or a map key); throws if it was already seen.
    mutating func markOther(
        _ key: JSONKey,
        _ state: inout JSONObjectState,
        _ context: JSONContext
    ) throws(ReviewDecodingError) {
        guard state.otherKeys.insert(key, base: base) else { throw duplicateKey(key, context) }
    }

    /// Records an unknown key, then validates and skips its value.
    mutating func skipMember(
        _ key: JSONKey,
        _ state: inout JSONObjectState,
        _ context: JSONContext
    ) throws(ReviewDecodingError) {
        try markOther(key, &state, context)
        try skipValue(context.member(key))
    }

    // MARK: - Typed values

    /// Reads a string, or `nil` for `null`.
    @inline(__always)
    mutating func readString(_ context: JSONContext) throws(ReviewDecodingError) -> String? {
        let byte = try peekByte(context)
        if byte == UInt8(ascii: "\"") {
            let (pointer, count, _) = try scanString()
            return makeString(pointer, count)
        }
        if byte == UInt8(ascii: "n") {
            try skipLiteral("null")
            return nil
        }
        throw typeMismatch(expected: "a string", context)
    }

    /// Reads `apiVersion`: the string (`""` for `null`) and the supported version it names
    /// byte for byte, if any; the two versions come back as the enum's own literals.
    mutating func readAPIVersion(_ context: JSONContext) throws(ReviewDecodingError) -> (String, ReviewAPIVersion?) {
        let byte = try peekByte(context)
        if byte == UInt8(ascii: "\"") {
            let (pointer, count, _) = try scanString()
            if bytesEqual(pointer, count, "authorization.k8s.io/v1") {
                return (ReviewAPIVersion.v1.rawValue, .v1)
            }
            if bytesEqual(pointer, count, "authorization.k8s.io/v1beta1") {
                return (ReviewAPIVersion.v1beta1.rawValue, .v1beta1)
            }
            return (makeString(pointer, count), nil)
        }
        if byte == UInt8(ascii: "n") {
            try skipLiteral("null")
            return ("", nil)
        }
        throw typeMismatch(expected: "a string", context)
    }

    /// Reads `true` or `false`, or `nil` for `null`.
    mutating func readBool(_ context: JSONContext) throws(ReviewDecodingError) -> Bool? {
        switch try peekByte(context) {
        case UInt8(ascii: "t"):
            try skipLiteral("true")
            return true
        case UInt8(ascii: "f"):
            try skipLiteral("false")
            return false
        case UInt8(ascii: "n"):
            try skipLiteral("null")
            return nil
        default:
            throw typeMismatch(expected: "a boolean", context)
        }
    }

    /// Reads an array of strings, or `nil` for `null`; `null` elements are type mismatches.
    mutating func readStringArray(_ context: JSONContext) throws(ReviewDecodingError) -> [String]? {
        guard try beginArray(context) else { return nil }
        var result: [String] = []
        result.reserveCapacity(4)
        var isFirst = true
        while try nextElement(&isFirst, context) {
            guard try peekByte(context) == UInt8(ascii: "\"") else {
                throw typeMismatch(expected: "a string", context.element)
            }
            let (pointer, count, _) = try scanString()
            result.append(makeString(pointer, count))
        }
        return result
    }

    /// Checks an array of strings, or `null`, exactly as ``readStringArray(_:)`` reads it, without
    /// building the strings.
    mutating func skipStringArray(_ context: JSONContext) throws(ReviewDecodingError) {
        guard try beginArray(context) else { return }
        var isFirst = true
        while try nextElement(&isFirst, context) {
            guard try peekByte(context) == UInt8(ascii: "\"") else {
                throw typeMismatch(expected: "a string", context.element)
            }
            _ = try scanString()
        }
    }

    // MARK: - Skipping

    /// Validates and skips one value of any type.
    mutating func skipValue(_ context: JSONContext) throws(ReviewDecodingError) {
        switch try peekByte(context) {
        case UInt8(ascii: "{"):
            try enterContainer(context)
            var state = JSONObjectState()
            while let key = try nextKey(&state, context) {
                try markOther(key, &state, context)
                try skipValue(context)
            }
        case UInt8(ascii: "["):
            try enterContainer(context)
            var isFirst = true
            while try nextElement(&isFirst, context) {
                try skipValue(context)
            }
        case UInt8(ascii: "\""):
            _ = try scanString()
        case UInt8(ascii: "t"):
            try skipLiteral("true")
        case UInt8(ascii: "f"):
            try skipLiteral("false")
        case UInt8(ascii: "n"):
            try skipLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try skipNumber()
        default:
            throw unexpectedCharacter(expected: "a value", context)
        }
    }

    /// Skips `literal` (`true`, `false` or `null`), which must be spelled exactly.
    @inline(__always)
    mutating func skipLiteral(_ literal: StaticString) throws(ReviewDecodingError) {
        let count = literal.utf8CodeUnitCount
        // All three literals are four or five bytes: compare the first four as one word.
        if count >= 4, index &+ count <= end,
            UnsafeRawPointer(base + index).loadUnaligned(as: UInt32.self)
                == UnsafeRawPointer(literal.utf8Start).loadUnaligned(as: UInt32.self),
            count == 4 || bytesEqual(base + index + 4, literal.utf8Start + 4, count &- 4)
        {
            index &+= count
            return
        }
        throw invalidLiteral(literal)
    }

    /// Why the bytes at ``index`` are not `literal`: the body ends inside it, or a byte differs.
    @inline(never)
    private func invalidLiteral(_ literal: StaticString) -> ReviewDecodingError {
        let start = index
        for offset in 0..<literal.utf8CodeUnitCount {
            guard start + offset < end else {
                return error(.unexpectedEndOfInput, at: start + offset, "unexpected end of body inside `\(literal)`")
            }
            guard base[start + offset] == literal.utf8Start[offset] else { break }
        }
        return error(
            .unexpectedCharacter,
            at: start,
            "invalid literal (expected `\(literal)`) at byte \(start)",
            offsetInMessage: false
        )
    }

    /// Skips a number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    mutating func skipNumber() throws(ReviewDecodingError) {
        let start = index
        if base[index] == UInt8(ascii: "-") { index += 1 }
        guard index < end, isDigit(base[index]) else { throw invalidNumber(start) }
        if base[index] == UInt8(ascii: "0") {
            index += 1
            if index < end, isDigit(base[index]) {
                throw error(
                    .invalidNumber,
                    at: start,
                    "number with a leading zero at byte \(start)",
                    offsetInMessage: false
                )
            }
        } else {
            while index < end, isDigit(base[index]) { index += 1 }
        }
        if index < end, base[index] == UInt8(ascii: ".") {
            index += 1
            guard index < end, isDigit(base[index]) else { throw invalidNumber(start) }
            while index < end, isDigit(base[index]) { index += 1 }
        }
        if index < end, base[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < end, base[index] == UInt8(ascii: "+") || base[index] == UInt8(ascii: "-") { index += 1 }
            guard index < end, isDigit(base[index]) else { throw invalidNumber(start) }
            while index < end, isDigit(base[index]) { index += 1 }
        }
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    private func invalidNumber(_ start: Int) -> ReviewDecodingError {
        error(.invalidNumber, at: start, "invalid number at byte \(start)", offsetInMessage: false)
    }
}
