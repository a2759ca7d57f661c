// MARK: - MAX_CONCURRENT_STREAMS
//
// RFC 9113 §5.1.2: a HEADERS frame that exceeds the advertised concurrent-stream limit is a
// *stream* error (PROTOCOL_ERROR or REFUSED_STREAM). libnghttp2 1.52 refuses such streams only until
// the peer acknowledges our SETTINGS; afterwards it treats them as a *connection* error
// (nghttp2_session.c: "request HEADERS: max concurrent streams exceeded") and the whole connection,
// with every healthy in-flight review on it, is lost.
//
// So the session gives libnghttp2 a looser internal limit (``libraryStreamLimit``), refuses streams
// itself at the configured limit with REFUSED_STREAM, and rewrites the one value in its first
// SETTINGS frame on the way out so that the peer sees the configured limit. libnghttp2 still
// applies its looser limit as a last line of defence against a peer that opens streams far
// faster than the refusals go out.

extension HTTP2Session {
    /// The limit libnghttp2 enforces itself: twice the advertised one (at least 16 more).
    var libraryStreamLimit: Int {
        let advertised = max(1, configuration.maxConcurrentStreams)
        return min(Int(Int32.max), advertised + max(advertised, 16))
    }

    /// Whether a new request stream must be refused: the configured limit is reached.
    var isAtStreamLimit: Bool {
        streams.count >= max(1, configuration.maxConcurrentStreams)
    }

    /// Rewrites SETTINGS_MAX_CONCURRENT_STREAMS in the non-ACK SETTINGS frames of `bytes`.
    ///
    /// `bytes` starts at a frame boundary; only frames on stream 0 are touched. Walks frame headers with bounds checks and
    /// leaves anything it does not recognise untouched.
    static func rewriteMaxConcurrentStreams(in bytes: inout [UInt8], to limit: Int) {
        let value = UInt32(clamping: max(1, limit))
        var offset = 0
        while offset + 9 <= bytes.count {
            let length = Int(bytes[offset]) << 16 | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
            let type = bytes[offset + 3]
            let flags = bytes[offset + 4]
            let isStreamZero =
                bytes[offset + 5] & 0x7f == 0 && bytes[(offset + 6)..<(offset + 9)].allSatisfy { $0 == 0 }
            let payloadStart = offset + 9
            guard payloadStart + length <= bytes.count else { return }
            if type == HTTP2FrameCode.settings, flags & HTTP2FrameCode.ack == 0, isStreamZero, length % 6 == 0 {
                for entry in stride(from: payloadStart, to: payloadStart + length, by: 6)
                where bytes[entry] == 0 && bytes[entry + 1] == 0x3 {
                    bytes[entry + 2] = UInt8(truncatingIfNeeded: value >> 24)
                    bytes[entry + 3] = UInt8(truncatingIfNeeded: value >> 16)
                    bytes[entry + 4] = UInt8(truncatingIfNeeded: value >> 8)
                    bytes[entry + 5] = UInt8(truncatingIfNeeded: value)
                }
            }
            offset = payloadStart + length
        }
    }
}
