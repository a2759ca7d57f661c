/// Writes compact JSON into a growable byte buffer, without Foundation and without appending to
/// Swift strings byte by byte.
///
/// Strings are written exactly as their UTF-8 bytes, with only what RFC 8259 requires escaped:
/// `"`, `\` and the control characters below U+0020 (as `\n`, `\t`, ... or `\u00XX`). Nothing is
/// normalised: a Kelvin sign stays a Kelvin sign.
///
/// The writer starts in storage it borrows (usually the result array's, see ``makeBytes(capacity:_:)``)
/// and moves to a buffer it owns when that is full; it frees what it owns in ``finish()`` or when
/// dropped, which is why it is not copyable.
struct JSONWriter: ~Copyable {
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0
    /// Whether ``buffer`` was allocated by the writer (and must be freed by it).
    private var ownsBuffer: Bool

    /// Creates a writer with a buffer of its own, with room for `capacity` bytes before it grows.
    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        self.buffer = .allocate(capacity: self.capacity)
        self.ownsBuffer = true
    }

    /// Creates a writer that writes into `storage` until it is full.
    private init(borrowing storage: UnsafeMutableBufferPointer<UInt8>) {
        self.capacity = storage.count
        self.buffer = storage.baseAddress!
        self.ownsBuffer = false
    }

    deinit {
        if ownsBuffer { buffer.deallocate() }
    }

    /// Runs `body` with a writer over the storage of a new array of `capacity` bytes and returns
    /// that array: one allocation and no copy when the output fits, as typical responses do.
    static func makeBytes(capacity: Int, _ body: (inout JSONWriter) -> Void) -> [UInt8] {
        var spilled: [UInt8]? = nil
        let bytes = [UInt8](unsafeUninitializedCapacity: max(capacity, 64)) { storage, initialized in
            var writer = JSONWriter(borrowing: storage)
            body(&writer)
            if writer.ownsBuffer {
                spilled = writer.finish()
                initialized = 0
            } else {
                initialized = writer.count
            }
        }
        return spilled ?? bytes
    }

    /// Returns the bytes written and frees the buffer.
    consuming func finish() -> [UInt8] {
        let count = self.count
        let buffer = self.buffer
        let result = [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
            output.baseAddress!.update(from: buffer, count: count)
            initialized = count
        }
        if ownsBuffer { buffer.deallocate() }
        discard self
        return result
    }

    /// Makes room for `additional` more bytes.
    @inline(__always)
    private mutating func reserve(_ additional: Int) {
        guard count + additional > capacity else { return }
        grow(count + additional)
    }

    private mutating func grow(_ needed: Int) {
        let newCapacity = max(capacity * 2, needed)
        let newBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBuffer.update(from: buffer, count: count)
        if ownsBuffer { buffer.deallocate() }
        buffer = newBuffer
        capacity = newCapacity
        ownsBuffer = true
    }

    // MARK: - Appending

    /// Appends raw JSON text (punctuation, keys, literals) as is.
    @inline(__always)
    mutating func append(_ text: StaticString) {
        let length = text.utf8CodeUnitCount
        reserve(length)
        copyBytes(buffer + count, text.utf8Start, length)
        count += length
    }

    /// Appends `true` or `false`.
    mutating func appendBool(_ value: Bool) {
        if value { append("true") } else { append("false") }
    }

    /// Appends `value` as a quoted, escaped JSON string.
    mutating func appendString(_ value: String) {
        var value = value
        value.withUTF8 { bytes in appendEscaped(bytes) }
    }

    /// Appends UTF-8 `bytes` as a quoted, escaped JSON string.
    mutating func appendString(_ bytes: UnsafeBufferPointer<UInt8>) {
        appendEscaped(bytes)
    }

    /// Appends `["a","b"]`.
    mutating func appendStringArray(_ values: [String]) {
        append("[")
        for (position, value) in values.enumerated() {
            if position > 0 { append(",") }
            appendString(value)
        }
        append("]")
    }

    /// Appends `key` (`"name":`) and the string, when `value` is not empty (Go's `omitempty`).
    mutating func appendField(_ key: StaticString, _ value: String, comma: inout Bool) {
        guard !value.isEmpty else { return }
        appendKey(key, comma: &comma)
        appendString(value)
    }

    /// Appends `key` (`"name":`) and the array, when `values` is not empty (Go's `omitempty`).
    mutating func appendField(_ key: StaticString, _ values: [String], comma: inout Bool) {
        guard !values.isEmpty else { return }
        appendKey(key, comma: &comma)
        appendStringArray(values)
    }

    /// Appends a comma unless this is the first member, then `key`, which is written with its
    /// quotes and colon (`"name":`).
    @inline(__always)
    mutating func appendKey(_ key: StaticString, comma: inout Bool) {
        if comma { append(",") }
        comma = true
        append(key)
    }

    /// Appends a quoted string from UTF-8 bytes, escaping what RFC 8259 requires.
    private mutating func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        let length = bytes.count
        // Room for the common case (nothing to escape); each escape reserves its own extra room.
        reserve(length &+ 2)
        buffer[count] = UInt8(ascii: "\"")
        count &+= 1
        guard let source = bytes.baseAddress, length > 0 else {
            buffer[count] = UInt8(ascii: "\"")
            count &+= 1
            return
        }
        var runStart = 0
        var position = 0
        while true {
            // Skip clean bytes: eight at a time, then the rest (as one overlapping word when the
            // string is long enough).
            var found = false
            while position &+ 8 <= length {
                let special = Self.escapedBytes(Self.word(source + position))
                if special != 0 {
                    position &+= special.trailingZeroBitCount &>> 3
                    found = true
                    break
                }
                position &+= 8
            }
            if !found {
                if length >= 8, Self.escapedBytes(Self.word(source + length - 8)) == 0 {
                    position = length
                } else {
                    while position < length, !Self.needsEscape(source[position]) { position &+= 1 }
                }
            }
            guard position < length else { break }
            // This escape (at most six bytes), the rest unescaped, and the closing quote.
            reserve((position &- runStart) &+ 6 &+ (length &- position) &+ 1)
            copyBytes(buffer + count, source + runStart, position &- runStart)
            count &+= position &- runStart
            writeEscape(source[position], to: buffer + count)
            count &+=
                source[position] == 0x22 || source[position] == 0x5C || Self.hasShortEscape(source[position]) ? 2 : 6
            position &+= 1
            runStart = position
        }
        copyBytes(buffer + count, source + runStart, length &- runStart)
        count &+= length &- runStart
        buffer[count] = UInt8(ascii: "\"")
        count &+= 1
    }

    @inline(__always)
    private static func word(_ pointer: UnsafePointer<UInt8>) -> UInt64 {
        UnsafeRawPointer(pointer).loadUnaligned(as: UInt64.self)
    }

    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// `\n`, `\r`, `\t`, `\b`, `\f`.
    @inline(__always)
    private static func hasShortEscape(_ byte: UInt8) -> Bool {
        byte == 0x0A || byte == 0x0D || byte == 0x09 || byte == 0x08 || byte == 0x0C
    }

    /// Writes the escape for `byte` (which needs one): two bytes, or six for `\u00XX`.
    private func writeEscape(_ byte: UInt8, to output: UnsafeMutablePointer<UInt8>) {
        output[0] = UInt8(ascii: "\\")
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): output[1] = byte
        case 0x0A: output[1] = UInt8(ascii: "n")
        case 0x0D: output[1] = UInt8(ascii: "r")
        case 0x09: output[1] = UInt8(ascii: "t")
        case 0x08: output[1] = UInt8(ascii: "b")
        case 0x0C: output[1] = UInt8(ascii: "f")
        default:
            let digits: StaticString = "0123456789abcdef"
            output[1] = UInt8(ascii: "u")
            output[2] = UInt8(ascii: "0")
            output[3] = UInt8(ascii: "0")
            output[4] = digits.utf8Start[Int(byte >> 4)]
            output[5] = digits.utf8Start[Int(byte & 0xF)]
        }
    }

    /// Marks the bytes of a word that must be escaped: `"`, `\\` or below 0x20.
    ///
    /// Sets the high bit of every such byte (in little-endian order), and possibly of bytes after
    /// one (SWAR "has zero" tests; bytes of 0x80 and above never match). Zero when nothing needs escaping; otherwise the lowest set bit marks the first byte
    /// that does.
    @inline(__always)
    static func escapedBytes(_ loaded: UInt64) -> UInt64 {
        let word = UInt64(littleEndian: loaded)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let control = (word &- ones &* 0x20) & ~word
        return (control | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)) & high
    }
}

/// Copies `count` bytes; short copies (keys, punctuation, small strings) avoid a `memmove` call.
@inline(__always)
func copyBytes(_ destination: UnsafeMutablePointer<UInt8>, _ source: UnsafePointer<UInt8>, _ count: Int) {
    guard count <= 32 else {
        destination.update(from: source, count: count)
        return
    }
    var offset = 0
    while offset + 8 <= count {
        UnsafeMutableRawPointer(destination + offset).storeBytes(
            of: UnsafeRawPointer(source + offset).loadUnaligned(as: UInt64.self),
            as: UInt64.self
        )
        offset += 8
    }
    while offset < count {
        destination[offset] = source[offset]
        offset += 1
    }
}
