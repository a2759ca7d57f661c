#if canImport(Glibc)
    public import Glibc
#elseif canImport(Darwin)
    public import Darwin
#endif

/// A string compared and hashed by its UTF-8 bytes, the way Kubernetes compares names.
///
/// Swift's `String ==` and `String.hashValue` use canonical equivalence (`"K"` equals the Kelvin
/// sign `"\u{212A}"`); Kubernetes compares bytes. Use this wrapper as a dictionary or set key
/// wherever an identity, name or path is looked up.
public struct ByteString: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let string: String

    public init(_ string: String) { self.string = string }

    public var description: String { string }

    public static func == (lhs: ByteString, rhs: ByteString) -> Bool {
        lhs.string.utf8.elementsEqual(rhs.string.utf8)
    }

    public static func < (lhs: ByteString, rhs: ByteString) -> Bool {
        lhs.string.utf8.lexicographicallyPrecedes(rhs.string.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        var copy = string
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

extension String {
    /// Byte-exact equality (UTF-8), unlike `==`.
    @inlinable
    public func bytesEqual(_ other: String) -> Bool {
        if let result = self.utf8.withContiguousStorageIfAvailable({ a in
            other.utf8.withContiguousStorageIfAvailable { b in
                a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
            }
        }), let result {
            return result
        }
        return self.utf8.elementsEqual(other.utf8)
    }

    /// Byte-exact prefix test (UTF-8), unlike `hasPrefix`.
    @inlinable
    public func bytesHavePrefix(_ prefix: String) -> Bool {
        self.utf8.starts(with: prefix.utf8)
    }
}
