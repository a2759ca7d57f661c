/// A key of the object being read: its unescaped bytes and where it was in the input.
///
/// ``pointer`` is into the input when the key had no escapes, into the reader's scratch buffer
/// otherwise; it is only valid until the reader reads the next string.
struct JSONKey {
    /// The unescaped key bytes.
    var pointer: UnsafePointer<UInt8>
    var count: Int
    /// The offset of the opening quote.
    var offset: Int
    /// The offset after the closing quote.
    var rawEnd: Int
    /// The key contained escapes (so ``pointer`` is into the scratch buffer).
    var isEscaped: Bool

    /// Compares the unescaped key with a field name, byte by byte.
    @inline(__always)
    func matches(_ name: StaticString) -> Bool {
        bytesEqual(pointer, count, name)
    }
}

/// What the reader remembers about one open object: keys seen so far.
struct JSONObjectState {
    /// The next key is the first one.
    var isFirst = true
    /// One bit per field of the decoder's own numbering; set once the field was read.
    var knownFields: UInt32 = 0
    /// Other keys: unknown fields and map keys.
    var otherKeys = JSONKeySet()
}

/// A set of object keys compared as unescaped bytes, for rejecting duplicate keys in linear time.
///
/// The first unescaped key is remembered as a range of the input, so the common object with at
/// most one unknown field allocates nothing; from the second key on, keys are copied into a hashed
/// set (`Hasher` is seeded per process, so keys cannot be chosen to collide).
struct JSONKeySet {
    private var firstOffset = -1
    private var firstCount = 0
    private var keys: Set<[UInt8]>? = nil

    /// Adds `key`; returns `false` if an equal key was already there.
    mutating func insert(_ key: JSONKey, base: UnsafePointer<UInt8>) -> Bool {
        if keys == nil {
            if firstOffset < 0, !key.isEscaped {
                firstOffset = key.pointer - base
                firstCount = key.count
                return true
            }
            var set = Set<[UInt8]>()
            if firstOffset >= 0 {
                set.insert(Array(UnsafeBufferPointer(start: base + firstOffset, count: firstCount)))
            }
            keys = set
        }
        return keys!.insert(Array(UnsafeBufferPointer(start: key.pointer, count: key.count))).inserted
    }
}
