/// Byte-exact comparisons of UTF-8 text.
///
/// Swift's `String ==` compares by canonical equivalence (`"K" == "\u{212A}"`); Kubernetes
/// compares bytes, and so does everything in this module.

/// Compares `count` bytes at `pointer` with a literal.
@inline(__always)
func bytesEqual(_ pointer: UnsafePointer<UInt8>, _ count: Int, _ literal: StaticString) -> Bool {
    guard count == literal.utf8CodeUnitCount else { return false }
    let other = literal.utf8Start
    for offset in 0..<count where pointer[offset] != other[offset] { return false }
    return true
}

/// Whether two strings have the same UTF-8 bytes.
@inline(__always)
func utf8Equal(_ lhs: String, _ rhs: String) -> Bool {
    let (left, right) = (lhs.utf8, rhs.utf8)
    guard left.count == right.count else { return false }
    let fast = left.withContiguousStorageIfAvailable { leftBytes in
        right.withContiguousStorageIfAvailable { rightBytes in
            for offset in 0..<leftBytes.count where leftBytes[offset] != rightBytes[offset] { return false }
            return true
        }
    }
    if let fast, let result = fast { return result }
    return left.elementsEqual(right)
}
