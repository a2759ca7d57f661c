import Glibc

/// The `String`s of a connection's recent request fields, reused when a later request carries the
/// same bytes at the same position (HTTP/1.1 request heads and HTTP/2 header blocks alike).
///
/// A client sends nearly the same request line or header list on every request of a connection
/// (kube-apiserver: the same method, path, authority, content type, accept and user agent), so
/// most fields equal the field at the same position in the previous request. Reusing that `String`
/// replaces UTF-8 validation and, for anything longer than 15 bytes, a heap allocation per name and
/// value with one byte comparison.
///
/// A slot keeps the bytes it was made from (as a `String` whose UTF-8 is exactly those bytes, or
/// nothing when they were not valid UTF-8) and the result. A result is reused only when the
/// incoming bytes equal the kept bytes, so every request gets exactly the strings it would have
/// got without the cache. Strings come only from this connection. Memory is bounded: at most
/// ``maxSlots`` slots, each from at most ``maxBytes`` bytes.
struct FieldStringCache {
    /// Slots kept: enough for the request line or pseudo-headers and 16 fields.
    static let maxSlots = 3 + 2 * 16
    /// Longer fields are decoded every time and not kept.
    static let maxBytes = 256

    private var keys: [String] = []
    private var results: [String] = []

    /// `String(decoding: bytes, as: UTF8.self)`, reusing and remembering the one in `slot`.
    mutating func string(_ bytes: UnsafeBufferPointer<UInt8>, slot: Int) -> String {
        if let cached = self.cached(bytes, slot: slot) { return cached }
        let string = String(decoding: bytes, as: UTF8.self)
        self.remember(bytes, result: string, slot: slot)
        return string
    }

    /// `string(bytes, slot:)` for raw bytes.
    mutating func string(_ bytes: UnsafeRawBufferPointer, slot: Int) -> String {
        self.string(bytes.bindMemory(to: UInt8.self), slot: slot)
    }

    /// The ASCII-lower-cased string of `bytes` (upper-case ASCII letters mapped to lower case,
    /// every other byte kept), reusing and remembering the one in `slot`.
    mutating func lowercasedString(_ bytes: UnsafeRawBufferPointer, slot: Int) -> String {
        let bytes = bytes.bindMemory(to: UInt8.self)
        if let cached = self.cached(bytes, slot: slot) { return cached }
        let string: String
        if bytes.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) {
            string = String(unsafeUninitializedCapacity: bytes.count) { buffer in
                for index in 0..<bytes.count { buffer[index] = ASCII.lowercased(bytes[index]) }
                return bytes.count
            }
        } else {
            string = String(decoding: bytes, as: UTF8.self)
        }
        self.remember(bytes, result: string, slot: slot)
        return string
    }

    private func cached(_ bytes: UnsafeBufferPointer<UInt8>, slot: Int) -> String? {
        guard slot < self.keys.count, Self.equal(self.keys[slot], bytes) else { return nil }
        return self.results[slot]
    }

    private mutating func remember(_ bytes: UnsafeBufferPointer<UInt8>, result: String, slot: Int) {
        guard slot < Self.maxSlots && bytes.count <= Self.maxBytes else { return }
        // The key must have exactly the incoming bytes as its UTF-8 (usually the result itself).
        // Bytes that are not valid UTF-8 are not kept: an empty key matches only empty input.
        let key: String
        if Self.equal(result, bytes) {
            key = result
        } else if let valid = String(validating: bytes, as: UTF8.self) {
            key = valid
        } else {
            key = ""
        }
        if slot >= self.keys.count {
            self.keys.reserveCapacity(Self.maxSlots)
            self.results.reserveCapacity(Self.maxSlots)
            while self.keys.count <= slot {
                self.keys.append("")
                self.results.append("")
            }
        }
        self.keys[slot] = key
        self.results[slot] = key.isEmpty ? "" : result
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
