import CNGHTTP2

// libnghttp2 calls these C-convention functions from inside `mem_recv`/`mem_send`. Each captures
// nothing and gets its session back from `user_data`, an unretained pointer to the
// `HTTP2Session` that owns (and outlives) the `nghttp2_session`.

extension HTTP2Session {
    /// Creates the libnghttp2 server session with our callbacks and options, and queues SETTINGS.
    ///
    /// - Returns: The session, or `nil` if libnghttp2 could not allocate it.
    func makeNGHTTP2Session() -> OpaquePointer? {
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else { return nil }
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks, arbiterHTTP2OnBeginFrame)
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, arbiterHTTP2OnBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, arbiterHTTP2OnHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, arbiterHTTP2OnFrameRecv)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, arbiterHTTP2OnDataChunkRecv)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, arbiterHTTP2OnStreamClose)
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, arbiterHTTP2OnFrameSend)

        var option: OpaquePointer?
        guard nghttp2_option_new(&option) == 0, let option else { return nil }
        defer { nghttp2_option_del(option) }
        let config = configuration
        nghttp2_option_set_max_outbound_ack(option, max(1, config.maxOutboundControlFrames))
        nghttp2_option_set_max_settings(option, max(1, config.maxSettingsEntries))
        // Upstream added this option in 1.61; Debian 12 backports it (CVE-2024-28182) from
        // 1.52.0-1+deb12u2 on, which is therefore the oldest libnghttp2 this builds against.
        nghttp2_option_set_max_continuations(option, max(0, config.maxContinuations))
        // Our own peer-reset limit is the one that is configured; keep libnghttp2's (upstream
        // 1.57, backported by Debian for CVE-2023-44487) at least as generous so ours decides.
        nghttp2_option_set_stream_reset_rate_limit(
            option,
            UInt64(max(1000, config.peerResetLimit.count)),
            33
        )
        // No RFC 7540 priority tree: closed streams are not retained.
        nghttp2_option_set_no_closed_streams(option, 1)

        var session: OpaquePointer?
        let userData = Unmanaged.passUnretained(self).toOpaque()
        guard nghttp2_session_server_new2(&session, callbacks, userData, option) == 0, let session else {
            return nil
        }
        let settings: [(NGHTTP2SettingsID, Int)] = [
            // Rewritten to config.maxConcurrentStreams on the wire (HTTP2Session+StreamLimit.swift).
            (NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, libraryStreamLimit),
            (NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, config.initialWindowSize),
            (NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, config.maxHeaderListSize),
            (NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1),
        ]
        var entries = settings.map { id, value in
            nghttp2_settings_entry(
                settings_id: Int32(id.rawValue),
                value: UInt32(clamping: min(max(0, value), Int(Int32.max)))
            )
        }
        var rv = nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count)
        if rv == 0, config.connectionWindowSize > 65_535 {
            rv = nghttp2_session_set_local_window_size(
                session,
                UInt8(NGHTTP2_FLAG_NONE.rawValue),
                0,
                Int32(clamping: min(config.connectionWindowSize, Int(Int32.max)))
            )
        }
        guard rv == 0 else {
            nghttp2_session_del(session)
            return nil
        }
        return session
    }
}

typealias NGHTTP2SettingsID = nghttp2_settings_id

/// The session behind `user_data`.
private func owner(_ userData: UnsafeMutableRawPointer?) -> HTTP2Session? {
    guard let userData else { return nil }
    return Unmanaged<HTTP2Session>.fromOpaque(userData).takeUnretainedValue()
}

private let callbackFailure = NGHTTP2_ERR_CALLBACK_FAILURE.rawValue

func arbiterHTTP2OnBeginFrame(
    _ session: OpaquePointer?,
    _ header: UnsafePointer<nghttp2_frame_hd>?,
    _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let header, let owner = owner(userData) else { return callbackFailure }
    return owner.frameBegins(header.pointee)
}

func arbiterHTTP2OnBeginHeaders(
    _ session: OpaquePointer?,
    _ frame: UnsafePointer<nghttp2_frame>?,
    _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let frame, let owner = owner(userData) else { return callbackFailure }
    return owner.beginHeaders(frame)
}

func arbiterHTTP2OnHeader(
    _ session: OpaquePointer?,
    _ frame: UnsafePointer<nghttp2_frame>?,
    _ name: UnsafePointer<UInt8>?,
    _ nameLength: Int,
    _ value: UnsafePointer<UInt8>?,
    _ valueLength: Int,
    _ flags: UInt8,
    _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let frame, let owner = owner(userData) else { return callbackFailure }
    return owner.header(
        frame,
        name: UnsafeBufferPointer(start: name, count: name == nil ? 0 : nameLength),
        value: UnsafeBufferPointer(start: value, count: value == nil ? 0 : valueLength)
    )
}

func arbiterHTTP2OnFrameRecv(
    _ session: OpaquePointer?,
    _ frame: UnsafePointer<nghttp2_frame>?,
    _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let frame, let owner = owner(userData) else { return callbackFailure }
    return owner.frameReceived(frame)
}

func arbiterHTTP2OnDataChunkRecv(
    _ session: OpaquePointer?,
    _ flags: UInt8,
    _ streamID: Int32,
    _ data: UnsafePointer<UInt8>?,
    _ length: Int,
    _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let owner = owner(userData) else { return callbackFailure }
    return owner.dataChunkReceived(
        streamID: streamID,
        UnsafeBufferPointer(start: data, count: data == nil ? 0 : length)
    )
}

func arbiterHTTP2OnStreamClose(
    _ session: OpaquePointer?,
    _ streamID: Int32,
    _ errorCode: UInt32,
    _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let owner = owner(userData) else { return callbackFailure }
    owner.streamClosed(streamID)
    return 0
}

func arbiterHTTP2OnFrameSend(
    _ session: OpaquePointer?,
    _ frame: UnsafePointer<nghttp2_frame>?,
    _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let frame, let owner = owner(userData) else { return callbackFailure }
    return owner.frameSent(frame)
}

func arbiterHTTP2ReadResponseBody(
    _ session: OpaquePointer?,
    _ streamID: Int32,
    _ buffer: UnsafeMutablePointer<UInt8>?,
    _ length: Int,
    _ dataFlags: UnsafeMutablePointer<UInt32>?,
    _ source: UnsafeMutablePointer<nghttp2_data_source>?,
    _ userData: UnsafeMutableRawPointer?
) -> Int {
    guard let buffer, let dataFlags, let owner = owner(userData) else {
        return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
    }
    return owner.readResponseBody(
        streamID: streamID,
        into: UnsafeMutableBufferPointer(start: buffer, count: length),
        flags: dataFlags
    )
}
