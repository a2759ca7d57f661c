/// Writes compact JSON into a growable byte buffer, without Foundation and without appending to
/// Swift strings byte by byte.
///
/// Strings are written exactly as their UTF-8 bytes, with only what RFC 8259 requires escaped:
/// `"`, `\` and the control characters below U+0020 (as `\n`, `\t`, ... or `\u00XX`). Nothing is
/// normalised: a Kelvin sign stays a Kelvin sign.
///
/// The writer owns its buffer and frees it in ``finish()`` (or when dropped), which is why it is
/// not copyable.
struct JSONWriter: ~Copyable {
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0

    /// Creates a writer with room for `capacity` bytes before it grows.
    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        self.buffer = .allocate(capacity: self.capacity)
    }

    deinit {
        buffer.deallocate()
    }

    /// Returns the bytes written and frees the buffer.
    consuming func finish() -> [UInt8] {
        let count = self.count
        let buffer = self.buffer
        let result = [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
            output.baseAddress!.update(from: buffer, count: count)
            initialized = count
        }
        buffer.deallocate()
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
        buffer.deallocate()
        buffer = newBuffer
        capacity = newCapacity
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
        // Worst case: every byte becomes `\u00XX`.
        reserve(bytes.count * 6 + 2)
        let output = buffer
        var written = count
        output[written] = UInt8(ascii: "\"")
        written += 1
        var runStart = 0
        var position = 0
        let source = bytes.baseAddress
        while position < bytes.count {
            // Eight bytes at a time while none needs escaping.
            if position + 8 <= bytes.count,
                !JSONWriter.needsEscape(UnsafeRawPointer(source! + position).loadUnaligned(as: UInt64.self))
            {
                position += 8
                continue
            }
            let byte = bytes[position]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
                position += 1
                continue
            }
            let run = position - runStart
            copyBytes(output + written, source! + runStart, run)
            written += run
            runStart = position + 1
            position += 1
            output[written] = UInt8(ascii: "\\")
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                output[written + 1] = byte
                written += 2
            case 0x0A:
                output[written + 1] = UInt8(ascii: "n")
                written += 2
            case 0x0D:
                output[written + 1] = UInt8(ascii: "r")
                written += 2
            case 0x09:
                output[written + 1] = UInt8(ascii: "t")
                written += 2
            case 0x08:
                output[written + 1] = UInt8(ascii: "b")
                written += 2
            case 0x0C:
                output[written + 1] = UInt8(ascii: "f")
                written += 2
            default:
                let digits: StaticString = "0123456789abcdef"
                output[written + 1] = UInt8(ascii: "u")
                output[written + 2] = UInt8(ascii: "0")
                output[written + 3] = UInt8(ascii: "0")
                output[written + 4] = digits.utf8Start[Int(byte >> 4)]
                output[written + 5] = digits.utf8Start[Int(byte & 0xF)]
                written += 6
            }
        }
        let run = bytes.count - runStart
        if run > 0 {
            copyBytes(output + written, source! + runStart, run)
            written += run
        }
        output[written] = UInt8(ascii: "\"")
        count = written + 1
    }

    /// Whether any of the eight bytes is `"`, `\` or below 0x20 (SWAR: a byte-wise "has zero"
    /// test; bytes of 0x80 and above never match and borrows only follow a real match).
    @inline(__always)
    static func needsEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let control = (word &- ones &* 0x20) & ~word
        return (control | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)) & high != 0
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
            of: UnsafeRawPointer(source + offset).loadUnaligned(as: UInt64.self), as: UInt64.self)
        offset += 8
    }
    while offset < count {
        destination[offset] = source[offset]
        offset += 1
    }
}
