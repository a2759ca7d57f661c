import Glibc

/// The `String`s of recent request header fields, reused when a later request of the same
/// connection carries the same bytes at the same position.
///
/// A client sends nearly the same header list on every request of a connection (kube-apiserver:
/// the same method, path, authority, content type, accept and user agent), so most fields equal
/// the field at the same position in the previous request. Reusing that `String` replaces UTF-8
/// validation and, for anything longer than 15 bytes, a heap allocation per name and value with
/// one byte comparison.
///
/// A string is reused only when its UTF-8 bytes equal the incoming bytes, so every request gets
/// exactly the strings it would have got from `String(decoding:as:)` (bytes that are not valid
/// UTF-8 never match a stored string, whose bytes are valid, and are decoded again). Strings come
/// only from this connection. Memory is bounded: at most ``maxSlots`` strings of at most
/// ``maxBytes`` bytes each are kept.
struct HTTP2FieldStrings {
    /// Slots kept: the three pseudo-header slots, then a name and a value per regular field.
    static let maxSlots = 3 + 2 * 16
    /// Longer fields are decoded every time and not kept.
    static let maxBytes = 256

    /// The slot of `:method`, `:path` and `:authority`.
    static let methodSlot = 0
    static let pathSlot = 1
    static let authoritySlot = 2
    /// The slots of the name and the value of the `index`th regular field of a request.
    static func nameSlot(field index: Int) -> Int { 3 + 2 * index }
    static func valueSlot(field index: Int) -> Int { 4 + 2 * index }

    private var slots: [String] = []

    /// The string of `bytes` (decoded as `String(decoding:as: UTF8.self)` would), reusing and
    /// remembering the one in `slot`.
    mutating func string(_ bytes: UnsafeBufferPointer<UInt8>, slot: Int) -> String {
        if slot < slots.count, Self.equal(slots[slot], bytes) {
            return slots[slot]
        }
        let string = String(decoding: bytes, as: UTF8.self)
        if slot < Self.maxSlots && bytes.count <= Self.maxBytes {
            if slot >= slots.count {
                slots.reserveCapacity(Self.maxSlots)
                while slots.count <= slot { slots.append("") }
            }
            slots[slot] = string
        }
        return string
    }

    /// True when `string`'s UTF-8 is exactly `bytes`.
    private static func equal(_ string: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let utf8 = string.utf8
        guard utf8.count == bytes.count else { return false }
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return true }
        return utf8.withContiguousStorageIfAvailable { stored in
            memcmp(stored.baseAddress!, base, bytes.count) == 0
        } ?? false
    }
}
