/// A minimal, strict protocol-buffers wire-format reader (varints and length-delimited fields),
/// for the few Kubernetes messages Arbiter accepts in protobuf.
///
/// Bounds every length against the remaining input; never recurses beyond what the caller
/// decodes; strings must be valid UTF-8.
struct ProtobufReader {
    let bytes: UnsafeRawBufferPointer
    var offset: Int

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        self.offset = 0
    }

    var isAtEnd: Bool { offset >= bytes.count }

    func error(_ message: String) -> ReviewDecodingError {
        ReviewDecodingError(.unexpectedCharacter, offset: offset, message: "invalid protobuf at byte \(offset): \(message)")
    }

    mutating func varint() throws(ReviewDecodingError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw error("truncated varint") }
            let byte = bytes[offset]
            offset += 1
            guard shift < 64 else { throw error("varint longer than 10 bytes") }
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// The next field's number and wire type.
    mutating func tag() throws(ReviewDecodingError) -> (field: UInt64, wireType: UInt64) {
        let key = try varint()
        let field = key >> 3
        guard field > 0 else { throw error("field number 0") }
        return (field, key & 7)
    }

    /// The bytes of a length-delimited field.
    mutating func lengthDelimited() throws(ReviewDecodingError) -> UnsafeRawBufferPointer {
        let length = try varint()
        guard length <= UInt64(bytes.count - offset) else { throw error("length \(length) past the end") }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + Int(length))])
        offset += Int(length)
        return slice
    }

    mutating func string() throws(ReviewDecodingError) -> String {
        let slice = try lengthDelimited()
        guard let text = String(validating: slice, as: UTF8.self) else { throw error("a string is not valid UTF-8") }
        return text
    }

    /// Skips a field of the given wire type (unknown fields are allowed, as in JSON).
    mutating func skip(_ wireType: UInt64) throws(ReviewDecodingError) {
        switch wireType {
        case 0: _ = try varint()
        case 1:
            guard bytes.count - offset >= 8 else { throw error("truncated fixed64") }
            offset += 8
        case 2: _ = try lengthDelimited()
        case 5:
            guard bytes.count - offset >= 4 else { throw error("truncated fixed32") }
            offset += 4
        default: throw error("unsupported wire type \(wireType)")
        }
    }

    /// Requires wire type 2 (length-delimited) for a field that carries a message or string.
    func expectLengthDelimited(_ wireType: UInt64, _ name: String) throws(ReviewDecodingError) {
        guard wireType == 2 else { throw error("field `\(name)` has wire type \(wireType), expected 2") }
    }
}
