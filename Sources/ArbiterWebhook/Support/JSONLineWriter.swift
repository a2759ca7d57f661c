/// Appends JSON to a byte buffer with hand-written escaping, for log lines on hot paths.
///
/// Foundation's encoders cost more than the decision being logged (platform-notes.md), so log
/// lines are built here byte by byte. Strings are written byte-exact as their UTF-8 (Swift strings
/// are always valid UTF-8); only `"`, `\` and control characters below U+0020 are escaped, as
/// RFC 8259 requires. The writer does not check structure: callers emit objects in order.
struct JSONLineWriter {
    /// The bytes written so far.
    var bytes: [UInt8] = []
    private var needsComma = false

    init(capacity: Int = 512) {
        self.bytes.reserveCapacity(capacity)
    }

    /// Starts an object (`{`), as a value or at the top level.
    mutating func beginObject() {
        self.bytes.append(UInt8(ascii: "{"))
        self.needsComma = false
    }

    /// Ends the current object (`}`).
    mutating func endObject() {
        self.bytes.append(UInt8(ascii: "}"))
        self.needsComma = true
    }

    /// Writes `"key":` preceded by a comma when needed.
    mutating func key(_ key: String) {
        if self.needsComma { self.bytes.append(UInt8(ascii: ",")) }
        self.appendString(key)
        self.bytes.append(UInt8(ascii: ":"))
        self.needsComma = false
    }

    /// Writes `"key":"value"`.
    mutating func field(_ key: String, _ value: String) {
        self.key(key)
        self.appendString(value)
        self.needsComma = true
    }

    /// Writes `"key":123`.
    mutating func field(_ key: String, _ value: Int) {
        self.key(key)
        self.bytes.append(contentsOf: String(value).utf8)
        self.needsComma = true
    }

    /// Writes `"key":true` or `false`.
    mutating func field(_ key: String, _ value: Bool) {
        self.key(key)
        self.bytes.append(contentsOf: (value ? "true" : "false").utf8)
        self.needsComma = true
    }

    /// Writes `"key":"2026-11-29T04:10:06.123456Z"` (RFC 3339, UTC, microseconds).
    mutating func field(_ key: String, _ time: WallClockTime) {
        self.key(key)
        self.bytes.append(UInt8(ascii: "\""))
        time.appendRFC3339(to: &self.bytes)
        self.bytes.append(UInt8(ascii: "\""))
        self.needsComma = true
    }

    /// Writes `"key":["a","b"]`.
    mutating func field(_ key: String, _ values: [String]) {
        self.key(key)
        self.bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { self.bytes.append(UInt8(ascii: ",")) }
            self.appendString(value)
        }
        self.bytes.append(UInt8(ascii: "]"))
        self.needsComma = true
    }

    /// Writes a string value (in an array or after ``key(_:)``) and marks that a comma is needed next.
    mutating func stringValue(_ value: String) {
        if self.needsComma { self.bytes.append(UInt8(ascii: ",")) }
        self.appendString(value)
        self.needsComma = true
    }

    /// Marks that a value was appended directly to ``bytes``, so the next key needs a comma.
    mutating func didWriteValue() {
        self.needsComma = true
    }

    /// Writes `[` for a value array.
    mutating func beginArray() {
        self.bytes.append(UInt8(ascii: "["))
        self.needsComma = false
    }

    /// Writes `]`.
    mutating func endArray() {
        self.bytes.append(UInt8(ascii: "]"))
        self.needsComma = true
    }

    /// Appends a quoted, escaped JSON string.
    mutating func appendString(_ value: String) {
        self.bytes.append(UInt8(ascii: "\""))
        // `withUTF8` makes the string contiguous (a no-op for native strings) for a tight loop.
        var contiguous = value
        contiguous.withUTF8 { buffer in
            for byte in buffer { Self.appendEscaped(byte, to: &self.bytes) }
        }
        self.bytes.append(UInt8(ascii: "\""))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    @inline(__always)
    private static func appendEscaped(_ byte: UInt8, to bytes: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
        case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
        case 0x0A: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
        case 0x0D: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
        case 0x09: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
        case 0x08: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
        case 0x0C: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
        case 0x00..<0x20:
            bytes += [
                UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)],
            ]
        default: bytes.append(byte)
        }
    }
}
