/// Encodes HTTP/2 frames byte by byte, for the few frames the session writes itself (its final
/// GOAWAY) and for client-side traffic in tests and the benchmark.
///
/// Header blocks use HPACK "literal header field without indexing, new name" with raw (non-Huffman)
/// strings: valid for any decoder and free of dynamic-table state.
enum HTTP2FrameBuilder {
    /// The client connection preface.
    static let clientPreface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    enum FrameType: UInt8 {
        case data = 0
        case headers = 1
        case priority = 2
        case rstStream = 3
        case settings = 4
        case pushPromise = 5
        case ping = 6
        case goAway = 7
        case windowUpdate = 8
        case continuation = 9
    }

    static let endStream: UInt8 = 0x1
    static let ack: UInt8 = 0x1
    static let endHeaders: UInt8 = 0x4

    /// One frame: 9-byte header, then `payload`.
    static func frame(_ type: FrameType, flags: UInt8 = 0, streamID: UInt32, payload: [UInt8] = []) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(9 + payload.count)
        let length = UInt32(payload.count)
        bytes.append(UInt8(truncatingIfNeeded: length >> 16))
        bytes.append(UInt8(truncatingIfNeeded: length >> 8))
        bytes.append(UInt8(truncatingIfNeeded: length))
        bytes.append(type.rawValue)
        bytes.append(flags)
        appendUInt32(streamID & 0x7fff_ffff, to: &bytes)
        bytes.append(contentsOf: payload)
        return bytes
    }

    static func settings(_ entries: [(id: UInt16, value: UInt32)] = [], ack isAck: Bool = false) -> [UInt8] {
        var payload: [UInt8] = []
        for entry in entries {
            payload.append(UInt8(entry.id >> 8))
            payload.append(UInt8(truncatingIfNeeded: entry.id))
            appendUInt32(entry.value, to: &payload)
        }
        return frame(.settings, flags: isAck ? ack : 0, streamID: 0, payload: payload)
    }

    /// An HPACK block of literal fields without indexing (names must be lower-case).
    static func headerBlock(_ fields: [(name: String, value: String)]) -> [UInt8] {
        var block: [UInt8] = []
        for field in fields {
            block.append(0x00)
            appendString(field.name, to: &block)
            appendString(field.value, to: &block)
        }
        return block
    }

    static func headers(
        streamID: UInt32,
        block: [UInt8],
        endStream isEnd: Bool,
        endHeaders isEndHeaders: Bool = true
    )
        -> [UInt8]
    {
        let flags = (isEnd ? endStream : 0) | (isEndHeaders ? endHeaders : 0)
        return frame(.headers, flags: flags, streamID: streamID, payload: block)
    }

    static func continuation(streamID: UInt32, block: [UInt8], endHeaders isEndHeaders: Bool) -> [UInt8] {
        frame(.continuation, flags: isEndHeaders ? endHeaders : 0, streamID: streamID, payload: block)
    }

    static func data(streamID: UInt32, _ bytes: [UInt8], endStream isEnd: Bool) -> [UInt8] {
        frame(.data, flags: isEnd ? endStream : 0, streamID: streamID, payload: bytes)
    }

    static func rstStream(streamID: UInt32, errorCode: UInt32) -> [UInt8] {
        var payload: [UInt8] = []
        appendUInt32(errorCode, to: &payload)
        return frame(.rstStream, streamID: streamID, payload: payload)
    }

    static func ping(_ opaque: UInt64, ack isAck: Bool = false) -> [UInt8] {
        var payload: [UInt8] = []
        appendUInt32(UInt32(truncatingIfNeeded: opaque >> 32), to: &payload)
        appendUInt32(UInt32(truncatingIfNeeded: opaque), to: &payload)
        return frame(.ping, flags: isAck ? ack : 0, streamID: 0, payload: payload)
    }

    static func windowUpdate(streamID: UInt32, increment: UInt32) -> [UInt8] {
        var payload: [UInt8] = []
        appendUInt32(increment & 0x7fff_ffff, to: &payload)
        return frame(.windowUpdate, streamID: streamID, payload: payload)
    }

    static func goAway(lastStreamID: UInt32, errorCode: UInt32) -> [UInt8] {
        var payload: [UInt8] = []
        appendUInt32(lastStreamID & 0x7fff_ffff, to: &payload)
        appendUInt32(errorCode, to: &payload)
        return frame(.goAway, streamID: 0, payload: payload)
    }

    // MARK: - Encoding helpers

    static func appendUInt32(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    /// HPACK integer with a 7-bit prefix (RFC 7541 §5.1), H bit clear, then the raw bytes.
    static func appendString(_ string: String, to bytes: inout [UInt8]) {
        var length = string.utf8.count
        if length < 127 {
            bytes.append(UInt8(length))
        } else {
            bytes.append(127)
            length -= 127
            while length >= 128 {
                bytes.append(UInt8(length % 128) | 0x80)
                length /= 128
            }
            bytes.append(UInt8(length))
        }
        bytes.append(contentsOf: string.utf8)
    }
}
