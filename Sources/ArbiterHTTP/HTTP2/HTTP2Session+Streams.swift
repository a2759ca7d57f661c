import CNGHTTP2
import Glibc

// MARK: - Frame type and flag constants

/// libnghttp2's frame types and flags as the `UInt8`s found in `nghttp2_frame_hd`.
enum HTTP2FrameCode {
    static let data = UInt8(NGHTTP2_DATA.rawValue)
    static let headers = UInt8(NGHTTP2_HEADERS.rawValue)
    static let priority = UInt8(NGHTTP2_PRIORITY.rawValue)
    static let rstStream = UInt8(NGHTTP2_RST_STREAM.rawValue)
    static let settings = UInt8(NGHTTP2_SETTINGS.rawValue)
    static let ping = UInt8(NGHTTP2_PING.rawValue)
    static let goAway = UInt8(NGHTTP2_GOAWAY.rawValue)
    static let continuation = UInt8(NGHTTP2_CONTINUATION.rawValue)
    static let endStream = UInt8(NGHTTP2_FLAG_END_STREAM.rawValue)
    static let ack = UInt8(NGHTTP2_FLAG_ACK.rawValue)
}

// MARK: - Receiving requests (called from libnghttp2 callbacks)

extension HTTP2Session {
    /// A frame header arrived (before its payload): bounds the bytes of one header block.
    ///
    /// libnghttp2 bounds the number of CONTINUATION frames; this bounds their total size too, so a
    /// peer cannot make the HPACK decoder chew on more than ``HTTP2Configuration/maxHeaderBlockBytes``
    /// per block, whatever SETTINGS_MAX_FRAME_SIZE becomes.
    ///
    /// PRIORITY frames are counted here as control frames: with RFC 7540 priorities off,
    /// libnghttp2 drops them before `on_frame_recv`, so a flood of them would cost work unseen.
    func frameBegins(_ header: nghttp2_frame_hd) -> Int32 {
        switch header.type {
        case HTTP2FrameCode.headers:
            headerBlockBytes = header.length
        case HTTP2FrameCode.continuation:
            headerBlockBytes += header.length
        case HTTP2FrameCode.priority:
            return countControlFrame()
        default:
            return 0
        }
        guard headerBlockBytes > configuration.maxHeaderBlockBytes else { return 0 }
        metrics.headerListViolation()
        if pendingTermination == nil {
            pendingTermination = (.flood, NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
        }
        return NGHTTP2_ERR_CALLBACK_FAILURE.rawValue
    }

    /// A HEADERS frame starts: a new request stream, or trailers of an existing one.
    func beginHeaders(_ frame: UnsafePointer<nghttp2_frame>) -> Int32 {
        let streamID = frame.pointee.hd.stream_id
        guard frame.pointee.hd.type == HTTP2FrameCode.headers else { return 0 }
        if frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST {
            // INVARIANT (stream-table-bound): `streams` never holds more than
            // maxConcurrentStreams entries; a stream that would pass it is refused, not stored.
            if isAtStreamLimit {
                if let session {
                    _ = nghttp2_submit_rst_stream(
                        session,
                        UInt8(NGHTTP2_FLAG_NONE.rawValue),
                        streamID,
                        NGHTTP2_REFUSED_STREAM.rawValue
                    )
                }
                return 0
            }
            let stream = HTTP2Stream(openedAt: lastNow)
            streams[streamID] = stream
            cachedStreamID = streamID
            cachedStream = stream
            metrics.streamOpened()
        } else if let stream = lookUpStream(streamID) {
            stream.receivingTrailers = true
        }
        return 0
    }

    /// One decoded header field.
    ///
    /// The byte count is ours: libnghttp2 1.52 does not enforce the
    /// MAX_HEADER_LIST_SIZE it advertises.
    func header(
        _ frame: UnsafePointer<nghttp2_frame>,
        name: UnsafeBufferPointer<UInt8>,
        value: UnsafeBufferPointer<UInt8>
    ) -> Int32 {
        guard let stream = lookUpStream(frame.pointee.hd.stream_id), stream.state == .receiving else { return 0 }
        // Pseudo-headers come in any order among themselves: `:method` is kept even past the
        // limit, because the 431 that follows must carry no body when it answers HEAD.
        if !stream.receivingTrailers, name.first == UInt8(ascii: ":"), Self.bytes(name, equal: ":method") {
            stream.method = fieldStrings.string(value, slot: HTTP2Session.methodSlot)
        }
        if stream.headerListExceeded { return 0 }
        stream.headerListBytes += name.count + value.count + 32
        if stream.headerListBytes > configuration.maxHeaderListSize {
            // Keep decoding (HPACK state must stay in sync) but stop keeping fields; 431 follows
            // at the end of the block.
            stream.headerListExceeded = true
            stream.headers = []
            stream.synthesizedHost = false
            metrics.headerListViolation()
            return 0
        }
        if stream.receivingTrailers { return 0 }
        if name.first == UInt8(ascii: ":") {
            // (`:method` is kept above.)
            if Self.bytes(name, equal: ":path") {
                stream.path = fieldStrings.string(value, slot: HTTP2Session.pathSlot)
            } else if Self.bytes(name, equal: ":authority") {
                let authority = fieldStrings.string(value, slot: HTTP2Session.authoritySlot)
                stream.authority = authority
                // The request's `host` is :authority unless a `host` field comes too (it may not
                // after pseudo-headers, which libnghttp2 enforces; kept order-independent anyway).
                if stream.synthesizedHost {
                    stream.headers[0].value = authority
                } else if !stream.hasHost {
                    stream.headers.insert((name: "host", value: authority), at: 0)
                    stream.synthesizedHost = true
                }
            }
            // :scheme (and :protocol) are validated by libnghttp2 and not needed above.
        } else {
            if Self.bytes(name, equal: "host") {
                stream.hasHost = true
                if stream.synthesizedHost {
                    stream.headers.remove(at: 0)
                    stream.synthesizedHost = false
                }
            }
            let index = stream.regularFieldCount
            stream.regularFieldCount += 1
            stream.headers.append(
                (
                    fieldStrings.string(name, slot: HTTP2Session.nameSlot(field: index)),
                    fieldStrings.string(value, slot: HTTP2Session.valueSlot(field: index))
                )
            )
        }
        return 0
    }

    /// The ``FieldStringCache`` slots of `:method`, `:path` and `:authority`.
    static let methodSlot = 0
    static let pathSlot = 1
    static let authoritySlot = 2
    /// The slots of the name and the value of the `index`th regular field of a request.
    static func nameSlot(field index: Int) -> Int { 3 + 2 * index }
    static func valueSlot(field index: Int) -> Int { 4 + 2 * index }

    /// Byte equality of a header name with a literal (no `String` on the hot path).
    static func bytes(_ bytes: UnsafeBufferPointer<UInt8>, equal literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return true }
        return memcmp(base, literal.utf8Start, bytes.count) == 0
    }

    /// A whole frame arrived (after its header block or its DATA payload was delivered).
    func frameReceived(_ frame: UnsafePointer<nghttp2_frame>) -> Int32 {
        let hd = frame.pointee.hd
        let endStream = hd.flags & HTTP2FrameCode.endStream != 0
        switch hd.type {
        case HTTP2FrameCode.headers:
            guard let stream = lookUpStream(hd.stream_id), stream.state == .receiving else { return 0 }
            if stream.headerListExceeded {
                reject(hd.stream_id, status: 431, reason: "request header list too large")
            } else if endStream {
                completeRequest(hd.stream_id)
            }
        case HTTP2FrameCode.data:
            if endStream {
                completeRequest(hd.stream_id)
            } else if hd.length <= frame.pointee.data.padlen {
                // Empty DATA frames (padding aside) cost work and carry nothing.
                return countControlFrame()
            }
        case HTTP2FrameCode.rstStream:
            metrics.streamResetByPeer()
            if peerResets.record(now: lastNow) {
                pendingTermination = (.peerResetFlood, NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
                return NGHTTP2_ERR_CALLBACK_FAILURE.rawValue
            }
        case HTTP2FrameCode.ping:
            // Acknowledgements count too: the session never sends PING, so any ACK is unsolicited.
            return countControlFrame()
        case HTTP2FrameCode.settings:
            if hd.flags & HTTP2FrameCode.ack == 0 { return countControlFrame() }
        default:
            break
        }
        return callbackResult
    }

    /// A piece of a DATA frame's payload for `streamID`.
    func dataChunkReceived(streamID: Int32, _ data: UnsafeBufferPointer<UInt8>) -> Int32 {
        guard let stream = lookUpStream(streamID), stream.state == .receiving else {
            return 0  // dropped; libnghttp2 still credits the flow-control windows
        }
        if stream.body.count + data.count > configuration.maxRequestBodyBytes {
            metrics.bodyLimitViolation()
            reject(streamID, status: 413, reason: "request body too large")
        } else if bufferedBodyBytes + data.count > configuration.maxBufferedBodyBytes {
            resetStream(streamID, errorCode: NGHTTP2_REFUSED_STREAM.rawValue)
        } else {
            stream.body.append(contentsOf: data)
            bufferedBodyBytes += data.count
        }
        return callbackResult
    }

    /// The stream with `streamID`, through a one-entry cache: libnghttp2 calls back for the same
    /// stream many times in a row (each header, each DATA chunk), and the cache saves hashing.
    func lookUpStream(_ streamID: Int32) -> HTTP2Stream? {
        if streamID == cachedStreamID { return cachedStream }
        let stream = streams[streamID]
        cachedStreamID = streamID
        cachedStream = stream
        return stream
    }

    /// libnghttp2 forgot the stream (answered, reset, or refused).
    func streamClosed(_ streamID: Int32) {
        if streamID == cachedStreamID {
            cachedStreamID = -1
            cachedStream = nil
        }
        guard let stream = streams.removeValue(forKey: streamID) else { return }
        bufferedBodyBytes -= stream.body.count
        if stream.responseUnsent {
            unsentResponses -= 1
            unsentResponseBytes -= stream.responseBody.count - stream.responseOffset
        }
        if streams.isEmpty { idleSince = lastNow }
    }

    /// A frame left libnghttp2; counts what we send and limits server-forced resets.
    func frameSent(_ frame: UnsafePointer<nghttp2_frame>) -> Int32 {
        switch frame.pointee.hd.type {
        case HTTP2FrameCode.rstStream:
            metrics.streamResetByUs()
            let code = frame.pointee.rst_stream.error_code
            if code == NGHTTP2_REFUSED_STREAM.rawValue {
                metrics.streamRefused()
            }
            // NO_ERROR resets only follow early answers, which were counted when answered.
            if code != NGHTTP2_NO_ERROR.rawValue {
                noteServerForcedError()
            }
        case HTTP2FrameCode.headers, HTTP2FrameCode.data:
            finishEarlyAnswer(frame)
        case HTTP2FrameCode.goAway:
            let code = frame.pointee.goaway.error_code
            let reason: HTTP2GoAwayReason
            switch code {
            case NGHTTP2_NO_ERROR.rawValue: reason = .gracefulShutdown
            case NGHTTP2_ENHANCE_YOUR_CALM.rawValue: reason = .flood
            case NGHTTP2_INTERNAL_ERROR.rawValue: reason = .internalError
            default: reason = .protocolError
            }
            metrics.goawaySent(reason)
        default:
            break
        }
        return callbackResult
    }

    /// Counts one stream error the peer made us produce (a reset, a 431 or 413).
    ///
    /// The limit is ``HTTP2Configuration/serverResetLimit``: "MadeYouReset" (CVE-2025-8671) provokes them with
    /// frames that are each harmless. Over the limit the connection ends with ENHANCE_YOUR_CALM.
    func noteServerForcedError() {
        if serverResets.record(now: lastNow), pendingTermination == nil {
            pendingTermination = (.serverResetFlood, NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
        }
    }

    /// What a callback returns: failure once a limit asked to end the connection, which makes
    /// `mem_recv`/`mem_send` return at once (``handleFatalError(_:)`` then ends it).
    var callbackResult: Int32 {
        pendingTermination == nil ? 0 : NGHTTP2_ERR_CALLBACK_FAILURE.rawValue
    }

    /// After the last frame of an early answer (431/413), tells the peer to stop sending the
    /// request with RST_STREAM NO_ERROR (RFC 9113 §8.1); libnghttp2 1.52 leaves the stream open.
    private func finishEarlyAnswer(_ frame: UnsafePointer<nghttp2_frame>) {
        let streamID = frame.pointee.hd.stream_id
        guard frame.pointee.hd.flags & HTTP2FrameCode.endStream != 0, let session,
            let stream = lookUpStream(streamID), stream.state == .answeredEarly
        else { return }
        stream.state = .reset
        if nghttp2_session_get_stream_remote_close(session, streamID) == 0 {
            _ = nghttp2_submit_rst_stream(
                session,
                UInt8(NGHTTP2_FLAG_NONE.rawValue),
                streamID,
                NGHTTP2_NO_ERROR.rawValue
            )
        }
    }

    /// Counts a PING/SETTINGS/PRIORITY/empty-DATA frame against ``HTTP2Configuration/controlFrameLimit``.
    private func countControlFrame() -> Int32 {
        guard controlFrames.record(now: lastNow) else { return 0 }
        pendingTermination = (.flood, NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
        return NGHTTP2_ERR_CALLBACK_FAILURE.rawValue
    }
}
