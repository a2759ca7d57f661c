/// Byte-exact comparisons of UTF-8 text.
///
/// Swift's `String ==` compares by canonical equivalence (`"K" == "\u{212A}"`); Kubernetes
/// compares bytes, and so does everything in this module.

/// Compares `count` bytes at `pointer` with a literal.
@inline(__always)
func bytesEqual(_ pointer: UnsafePointer<UInt8>, _ count: Int, _ literal: StaticString) -> Bool {
    guard count == literal.utf8CodeUnitCount else { return false }
    return bytesEqual(pointer, literal.utf8Start, count)
}

/// Compares `count` bytes, eight at a time.
@inline(__always)
func bytesEqual(_ lhs: UnsafePointer<UInt8>, _ rhs: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    var offset = 0
    while offset &+ 8 <= count {
        let left = UnsafeRawPointer(lhs + offset).loadUnaligned(as: UInt64.self)
        let right = UnsafeRawPointer(rhs + offset).loadUnaligned(as: UInt64.self)
        guard left == right else { return false }
        offset &+= 8
    }
    while offset < count {
        guard lhs[offset] == rhs[offset] else { return false }
        offset &+= 1
    }
    return true
}

/// Whether `string` has exactly the bytes of `literal`.
@inline(__always)
func utf8Equal(_ string: String, _ literal: StaticString) -> Bool {
    guard string.utf8.count == literal.utf8CodeUnitCount else { return false }
    var string = string
    return string.withUTF8 { bytes in
        bytes.isEmpty || bytesEqual(bytes.baseAddress!, literal.utf8Start, bytes.count)
    }
}

/// Whether two strings have the same UTF-8 bytes.
@inline(__always)
func utf8Equal(_ lhs: String, _ rhs: String) -> Bool {
    let (left, right) = (lhs.utf8, rhs.utf8)
    guard left.count == right.count else { return false }
    var (lhs, rhs) = (lhs, rhs)
    return lhs.withUTF8 { leftBytes in
        rhs.withUTF8 { rightBytes in
            leftBytes.isEmpty || bytesEqual(leftBytes.baseAddress!, rightBytes.baseAddress!, leftBytes.count)
        }
    }
}
