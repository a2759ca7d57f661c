import Glibc

/// The field lines of one HTTP/1.1 request head, kept as the bytes that arrived.
///
/// The parser validates every line and reads the few fields that frame the request straight from
/// the bytes; no other field becomes a `String` unless someone asks: ``value(named:)`` and
/// ``hasValue(named:equalTo:)`` for one field, ``fields`` for all of them. One copy of the block
/// per request replaces a `String` per name and value and an array of them.
///
/// INVARIANT (validated-field-block): ``bytes`` is zero or more lines `name ":" OWS value OWS CRLF`,
/// each accepted by ``HTTP1HeadValidator``: the name is one or more token bytes (so it holds no
/// colon), the value holds no CR, LF or NUL. The readers rely on it to find the colon and the CR
/// of each line; they stay within the buffer whatever the bytes are.
struct HTTP1FieldBlock: Sendable, Equatable {
    let bytes: [UInt8]

    static let empty = HTTP1FieldBlock(bytes: [])

    /// Calls `body` with each field's name (as sent) and value (without surrounding OWS), in
    /// arrival order, until `body` returns false.
    func forEachField(_ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Bool) {
        self.bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            let end = buffer.count
            var start = 0
            while start < end {
                // INVARIANT (validated-field-block): the first colon ends the name, the first CR the value.
                guard let colonPointer = memchr(base + start, Int32(ASCII.colon), end - start) else { return }
                let colon = base.distance(to: UnsafeRawPointer(colonPointer))
                guard let crPointer = memchr(base + colon, Int32(ASCII.cr), end - colon) else { return }
                let cr = base.distance(to: UnsafeRawPointer(crPointer))
                var valueStart = colon + 1
                while valueStart < cr && ASCII.isWhitespace(buffer[valueStart]) { valueStart += 1 }
                var valueEnd = cr
                while valueEnd > valueStart && ASCII.isWhitespace(buffer[valueEnd - 1]) { valueEnd -= 1 }
                let name = UnsafeRawBufferPointer(start: base + start, count: colon - start)
                let value = UnsafeRawBufferPointer(start: base + valueStart, count: valueEnd - valueStart)
                guard body(name, value) else { return }
                start = cr + 2
            }
        }
    }

    /// Every field, names lower-cased, values as `String`s (built on each call).
    var fields: [HTTPField] {
        var fields: [HTTPField] = []
        self.forEachField { name, value in
            fields.append(HTTPField(name: Self.lowercasedString(name), value: String(decoding: value, as: UTF8.self)))
            return true
        }
        return fields
    }

    /// The value of the first field named `lowercasedName` (compared ASCII-case-insensitively, as
    /// bytes), or `nil`.
    func value(named lowercasedName: String) -> String? {
        var result: String?
        self.firstValue(named: lowercasedName) { result = String(decoding: $0, as: UTF8.self) }
        return result
    }

    /// The values of every field named `lowercasedName`, in order.
    func values(named lowercasedName: String) -> [String] {
        var result: [String] = []
        var lowercasedName = lowercasedName
        lowercasedName.withUTF8 { wanted in
            self.forEachField { name, value in
                guard name.count == wanted.count else { return true }
                for index in 0..<name.count where ASCII.lowercased(name[index]) != wanted[index] { return true }
                result.append(String(decoding: value, as: UTF8.self))
                return true
            }
        }
        return result
    }

    /// True when the first field named `lowercasedName` has exactly the bytes of `expected` as its
    /// value; no `String` is made.
    func hasValue(named lowercasedName: String, equalTo expected: String) -> Bool {
        var result = false
        self.firstValue(named: lowercasedName) { value in
            result = ASCII.sameBytes(value, expected)
        }
        return result
    }

    /// Calls `body` with the value of the first field named `lowercasedName`, if there is one.
    private func firstValue(named lowercasedName: String, _ body: (UnsafeRawBufferPointer) -> Void) {
        var lowercasedName = lowercasedName
        lowercasedName.withUTF8 { wanted in
            self.forEachField { name, value in
                guard name.count == wanted.count else { return true }
                for index in 0..<name.count where ASCII.lowercased(name[index]) != wanted[index] { return true }
                body(value)
                return false
            }
        }
    }

    /// The ASCII-lower-cased `String` of a field name (token bytes only, so ASCII).
    private static func lowercasedString(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count) { buffer in
            for index in 0..<bytes.count { buffer[index] = ASCII.lowercased(bytes[index]) }
            return bytes.count
        }
    }
}
