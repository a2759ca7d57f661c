import Glibc

/// Byte classes of RFC 9110 / 9112 used by the HTTP/1.1 parser.
enum ASCII {
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let colon = UInt8(ascii: ":")
    static let semicolon = UInt8(ascii: ";")
    static let comma = UInt8(ascii: ",")

    /// `tchar` of RFC 9110 §5.6.2, as bit sets: bytes 0–63 in ``tokenBytesLow``, 64–127 in
    /// ``tokenBytesHigh`` (no byte from 128 on is a token byte). One shift and one test per byte
    /// instead of a chain of range compares; `ASCIITests` checks the sets against the grammar.
    static let tokenBytesLow: UInt64 = 0x03ff_6cfa_0000_0000
    static let tokenBytesHigh: UInt64 = 0x57ff_ffff_c7ff_fffe

    /// `tchar` of RFC 9110 §5.6.2.
    @inline(__always)
    static func isTokenByte(_ byte: UInt8) -> Bool {
        let set = byte < 64 ? tokenBytesLow : (byte < 128 ? tokenBytesHigh : 0)
        return (set >> UInt64(byte & 63)) & 1 != 0
    }

    /// `field-vchar`, SP or HTAB (RFC 9110 §5.5); excludes NUL, CR, LF, DEL and other controls.
    static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte == space || byte == tab || (byte >= 0x21 && byte != 0x7f)
    }

    /// Bytes allowed in a request target: visible ASCII.
    static func isTargetByte(_ byte: UInt8) -> Bool {
        byte >= 0x21 && byte <= 0x7e
    }

    static func isWhitespace(_ byte: UInt8) -> Bool { byte == space || byte == tab }

    // MARK: - Eight bytes at a time

    // Per-byte tests on a 64-bit word of eight bytes (SWAR). Each returns a mask with the high bit
    // of every byte that passes the test set, and nothing else; each is exact per byte (no carry
    // or borrow crosses a byte: every byte is at most 0x7f before an addition, whose result is at
    // most 0xfe). Byte i of the input is the byte at offset i (words load little-endian).

    static let byteOnes: UInt64 = 0x0101_0101_0101_0101
    static let byteHighBits: UInt64 = 0x8080_8080_8080_8080
    static let byteLowBits: UInt64 = 0x7f7f_7f7f_7f7f_7f7f

    /// The bytes of `word` below `limit` (1...128).
    @inline(__always)
    static func bytesBelow(_ word: UInt64, _ limit: UInt8) -> UInt64 {
        ~(((word & byteLowBits) &+ byteOnes &* UInt64(0x80 - limit)) | word) & byteHighBits
    }

    /// The bytes of `word` equal to `byte`.
    @inline(__always)
    static func bytesEqual(_ word: UInt64, _ byte: UInt8) -> UInt64 {
        let difference = word ^ (byteOnes &* UInt64(byte))
        return ~(((difference & byteLowBits) &+ byteLowBits) | difference) & byteHighBits
    }

    /// The bytes of `word` in `lower...upper` (`upper` below 0x80).
    @inline(__always)
    static func bytesInRange(_ word: UInt64, _ lower: UInt8, _ upper: UInt8) -> UInt64 {
        ~bytesBelow(word, lower) & bytesBelow(word, upper + 1)
    }

    /// The bytes of `word` that may appear in a field value without further checks: visible
    /// ASCII and obs-text (0x80 and up). SP and HTAB are allowed too but are not in this set.
    @inline(__always)
    static func visibleOrHighBytes(_ word: UInt64) -> UInt64 {
        ~bytesBelow(word, 0x21) & ~bytesEqual(word, 0x7f) & byteHighBits
    }

    /// The bytes of `word` that are ASCII letters, digits or `-` (what most field names are made
    /// of; all are token bytes).
    @inline(__always)
    static func nameBytes(_ word: UInt64) -> UInt64 {
        bytesInRange(word | (byteOnes &* 0x20), UInt8(ascii: "a"), UInt8(ascii: "z"))
            | bytesInRange(word, UInt8(ascii: "0"), UInt8(ascii: "9")) | bytesEqual(word, UInt8(ascii: "-"))
    }

    /// Eight bytes from `base + offset` as a word whose low byte is the first.
    @inline(__always)
    static func loadWord(_ base: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    /// The index of the first LF at or after `start` and before `limit` (default: the end).
    static func firstLF(_ bytes: UnsafeRawBufferPointer, from start: Int, limit: Int = .max) -> Int? {
        let end = min(bytes.count, limit)
        guard start < end, let base = bytes.baseAddress else { return nil }
        // memchr: word- or vector-wide, where a byte loop costs several instructions per byte.
        guard let found = memchr(base + start, Int32(lf), end - start) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// `bytes` without leading and trailing SP / HTAB.
    static func trimmed(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var start = 0
        var end = bytes.count
        while start < end && isWhitespace(bytes[start]) { start += 1 }
        while end > start && isWhitespace(bytes[end - 1]) { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
    }

    /// True when `bytes` are exactly the UTF-8 of `string` (no case folding, no canonical
    /// equivalence).
    @inline(__always)
    static func sameBytes(_ bytes: UnsafeRawBufferPointer, _ string: String) -> Bool {
        var string = string
        return string.withUTF8 { expected in
            bytes.count == expected.count && (bytes.isEmpty || memcmp(bytes.baseAddress!, expected.baseAddress!, bytes.count) == 0)
        }
    }

    /// Case-insensitive comparison of `count` bytes at `bytes` with a lower-case ASCII literal.
    @inline(__always)
    static func equalsLowercased(_ bytes: UnsafeRawPointer, count: Int, _ literal: StaticString) -> Bool {
        guard count == literal.utf8CodeUnitCount else { return false }
        let expected = literal.utf8Start
        for index in 0..<count where lowercased(bytes.load(fromByteOffset: index, as: UInt8.self)) != expected[index] {
            return false
        }
        return true
    }

    /// Case-insensitive comparison with a lower-case ASCII literal.
    static func equalsLowercased(_ bytes: UnsafeRawBufferPointer, _ literal: String) -> Bool {
        let expected = literal.utf8
        guard bytes.count == expected.count else { return false }
        return zip(bytes, expected).allSatisfy { lowercased($0) == $1 }
    }
}
