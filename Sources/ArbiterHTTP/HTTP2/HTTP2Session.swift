import CNGHTTP2

/// The server side of one HTTP/2 connection: libnghttp2 driven sans-I/O, answering each request
/// synchronously through a ``Responder``.
///
/// The session owns an `nghttp2_session` (server mode) and talks to it only through
/// `nghttp2_session_mem_recv` (bytes in) and `nghttp2_session_mem_send` (bytes out); it never
/// touches a socket, and reads the clock only to size its answer bursts (timeouts use the instants
/// the connection passes in). The owning connection feeds it decrypted bytes with
/// ``receive(_:now:)``, drains ``produceOutput(into:limit:)`` into TLS, and arms a timer for
/// ``nextDeadline``.
///
/// libnghttp2 1.52 does the framing, HPACK, flow control and most protocol validation. The session
/// adds what 1.52 lacks, each bounded by ``HTTP2Configuration``:
///
/// - the header-list size it advertises (431), request-body caps (413) and a per-connection
///   buffer cap (REFUSED_STREAM);
/// - rate limits on resets received (rapid reset), resets sent (MadeYouReset) and control frames,
///   each ending the connection with GOAWAY ENHANCE_YOUR_CALM;
/// - timers: idle, write progress (zero window), request receive, graceful-shutdown drain, linger.
///
/// When the session decides to end the connection it stops using libnghttp2, frees it, and queues a
/// GOAWAY frame of its own after whatever frame was already partly handed out, so the peer always
/// sees whole frames. ``isFinished`` is then true; the output still has to be flushed.
///
/// ## Driving the session
///
/// Beyond ``HTTPProtocolHandler``'s contract, a connection should know that:
///
/// - The server's SETTINGS are queued by `init`: call ``produceOutput(into:limit:)`` right away,
///   before the client's preface arrives.
/// - ``nextDeadline`` changes after *every* entry point, including ``produceOutput(into:limit:)``
///   (a stream that finishes writing starts the idle timer); re-read it after each event.
/// - ``hasPendingOutput`` is false while output is blocked by the peer's flow-control window, so
///   EPOLLOUT need not stay armed; the write timer covers a window that never reopens.
/// - ``beginGracefulShutdown()`` and ``produceOutput(into:limit:)`` have no `now`: they use the
///   latest instant given to ``receive(_:now:)`` or ``deadlineReached(now:)``.
/// - Once ``isFinished`` is true, unread output is dropped at the linger deadline, after which
///   ``hasPendingOutput`` is false and the connection can close. Output the connection already
///   took but cannot write is its own to time out.
/// - ``close()`` frees libnghttp2 early (for example when the socket fails); `deinit` does it
///   otherwise.
///
/// The session is confined to its connection's loop thread. libnghttp2 calls back into it only
/// from inside `mem_recv`/`mem_send`, through global C functions that get the session back from an
/// unretained `user_data` pointer: the `nghttp2_session` never outlives this object.
public final class HTTP2Session: HTTPProtocolHandler {
    // Everything below: loop thread only.

    let responder: any Responder
    let peer: PeerIdentity?
    let configuration: HTTP2Configuration
    /// Counters this session updates; share one instance across a server's sessions.
    public let metrics: HTTP2Metrics

    /// The libnghttp2 session; `nil` once ended (fatal error, our GOAWAY) or ``close()``d.
    var session: OpaquePointer?
    var streams: [Int32: HTTP2Stream] = [:]
    /// The one-entry cache of ``lookUpStream(_:)``.
    ///
    /// `-1` (no valid stream ID) when empty; kept in step with ``streams`` on insert and close.
    var cachedStreamID: Int32 = -1
    var cachedStream: HTTP2Stream?
    /// Bytes of the header block being received (HEADERS plus its CONTINUATION frames).
    var headerBlockBytes = 0
    /// Request-body bytes held across ``streams``.
    var bufferedBodyBytes = 0
    /// Streams whose response body the data provider has not finished reading.
    var unsentResponses = 0
    /// Bytes of those bodies not yet read (bounded by ``HTTP2Configuration/maxUnsentResponseBytes``
    /// plus one response).
    var unsentResponseBytes = 0
    /// Complete requests waiting for the responder, oldest first, from ``readyHead``.
    ///
    /// Bounded by ``HTTP2Configuration/maxConcurrentStreams``: a queued stream stays in ``streams``
    /// until it is answered.
    var readyStreams: [Int32] = []
    var readyHead = 0

    /// Scratch space for response header fields, reused across responses.
    var nameValues = HTTP2NameValueBuffer()
    /// Request header strings reused across the requests of this connection.
    var fieldStrings = FieldStringCache()

    // MARK: - Output

    /// Bytes already taken from libnghttp2 (or our final GOAWAY) but not yet handed out.
    var carry: [UInt8] = []
    var carryOffset = 0
    /// `mem_send` returned nothing although libnghttp2 wanted to write (flow-control blocked);
    /// cleared by any event that may unblock it.
    var sendBlocked = false
    /// Set once the first `mem_send` chunk (our SETTINGS) went through the stream-limit rewrite.
    var initialSettingsRewritten = false
    /// Set once the linger timeout dropped unread output.
    var outputAbandoned = false

    // MARK: - Lifecycle and time

    /// True once the session ended the connection itself (GOAWAY queued by us, or fatal error).
    var terminated = false
    /// A limit tripped inside a libnghttp2 callback; acted on once `mem_recv`/`mem_send` returns.
    var pendingTermination: (reason: HTTP2GoAwayReason, errorCode: UInt32)?
    var gracefulShutdownSubmitted = false
    var shutdownStartedAt: ContinuousClock.Instant?
    var finishedAt: ContinuousClock.Instant?
    /// The latest instant passed in by the connection.
    var lastNow: ContinuousClock.Instant
    /// When the last stream closed (or the session started).
    var idleSince: ContinuousClock.Instant
    var lastWriteProgress: ContinuousClock.Instant
    /// Write progress was made since the last event with a time (response DATA taken, or any
    /// output while no response waits); it counts as progress at that time.
    var writeProgressPending = false

    var peerResets: HTTP2RateCounter
    var serverResets: HTTP2RateCounter
    var controlFrames: HTTP2RateCounter

    /// Creates a server session and queues its SETTINGS frame.
    ///
    /// The connection must already have chosen HTTP/2 (ALPN `h2`); the first bytes expected from
    /// the peer are the client connection preface.
    ///
    /// - Parameters:
    ///   - responder: Answers every complete request, synchronously, on the loop thread.
    ///   - peer: The verified client identity, copied into every ``HTTPRequest``.
    ///   - configuration: Limits and timeouts.
    ///   - metrics: Counters to update; pass the server's shared instance.
    ///   - now: The current instant, the start of the idle timer.
    public init(
        responder: any Responder,
        peer: PeerIdentity?,
        configuration: HTTP2Configuration = .init(),
        metrics: HTTP2Metrics = HTTP2Metrics(),
        now: ContinuousClock.Instant
    ) {
        self.responder = responder
        self.peer = peer
        self.configuration = configuration
        self.metrics = metrics
        self.lastNow = now
        self.idleSince = now
        self.lastWriteProgress = now
        self.peerResets = HTTP2RateCounter(limit: configuration.peerResetLimit, now: now)
        self.serverResets = HTTP2RateCounter(limit: configuration.serverResetLimit, now: now)
        self.controlFrames = HTTP2RateCounter(limit: configuration.controlFrameLimit, now: now)
        self.session = makeNGHTTP2Session()
        if session == nil {
            terminate(reason: .internalError, errorCode: NGHTTP2_INTERNAL_ERROR.rawValue, sendGoAway: false)
        }
    }

    deinit {
        close()
    }

    /// Frees the libnghttp2 session; the handler is finished afterwards.
    ///
    /// Idempotent.
    public func close() {
        if let session {
            self.session = nil
            nghttp2_session_del(session)
        }
        terminated = true
        finishedAt = finishedAt ?? lastNow
        streams.removeAll()
        cachedStreamID = -1
        cachedStream = nil
        bufferedBodyBytes = 0
        unsentResponses = 0
        unsentResponseBytes = 0
        readyStreams.removeAll()
        readyHead = 0
    }

    // MARK: - HTTPProtocolHandler

    public func receive(_ bytes: UnsafeRawBufferPointer, now: ContinuousClock.Instant) {
        noteTime(now)
        guard !terminated, let session, let base = bytes.baseAddress, !bytes.isEmpty else { return }
        var offset = 0
        // mem_recv normally consumes everything; the loop only guards against a short count.
        while offset < bytes.count, !terminated {
            let consumed = nghttp2_session_mem_recv(
                session,
                base.advanced(by: offset).assumingMemoryBound(to: UInt8.self),
                bytes.count - offset
            )
            if consumed < 0 {
                handleFatalError(Int32(truncatingIfNeeded: consumed))
                break
            }
            if consumed == 0 { break }
            offset += consumed
        }
        afterEvent()
    }

    public func produceOutput(into output: inout [UInt8], limit: Int) {
        guard !outputAbandoned, limit > 0 else { return }
        // While a response waits for its body to move, only its DATA counts as write progress
        // (``readResponseBody``): HEADERS, PING and SETTINGS acknowledgements must not keep a
        // zero-window reader alive.
        // Answers submitted by this call count as waiting too (they were submitted before their
        // frames are taken, as if they had been answered while receiving).
        var responseWaiting = unsentResponses > 0
        var produced = drainCarry(into: &output, limit: limit)
        // Answer a burst of queued requests, then hand out their frames (and anything else
        // libnghttp2 has queued); the connection writes them and calls again for the next burst.
        // A burst whose frames are all held back by flow control does not end the call.
        while produced < limit, !terminated, let session {
            if produced == 0, canAnswer {
                answerBurst()
                if terminated { break }
                responseWaiting = responseWaiting || unsentResponses > 0
            }
            produced += sendQueuedFrames(session, into: &output, room: limit - produced)
            if produced > 0 || !canAnswer || terminated { break }
        }
        if produced > 0 && !responseWaiting { writeProgressPending = true }
        afterEvent()
    }

    /// Moves frames from `mem_send` into `output`, at most `room` bytes (the rest to ``carry``).
    private func sendQueuedFrames(_ session: OpaquePointer, into output: inout [UInt8], room limit: Int) -> Int {
        var produced = 0
        while produced < limit, !terminated {
            var chunk: UnsafePointer<UInt8>? = nil
            let length = nghttp2_session_mem_send(session, &chunk)
            if length < 0 {
                handleFatalError(Int32(truncatingIfNeeded: length))
                produced += drainCarry(into: &output, limit: limit - produced)
                break
            }
            guard length > 0, let chunk else {
                sendBlocked = nghttp2_session_want_write(session) != 0
                break
            }
            let bytes = UnsafeBufferPointer(start: chunk, count: length)
            if !initialSettingsRewritten {
                // The first chunk carries our SETTINGS: advertise the real stream limit (see
                // ``rewriteMaxConcurrentStreams(in:to:)``).
                initialSettingsRewritten = true
                var patched = Array(bytes)
                Self.rewriteMaxConcurrentStreams(in: &patched, to: configuration.maxConcurrentStreams)
                patched.withUnsafeBufferPointer { produced += emit($0, into: &output, room: limit - produced) }
            } else {
                produced += emit(bytes, into: &output, room: limit - produced)
            }
        }
        return produced
    }

    public var hasPendingOutput: Bool {
        if outputAbandoned { return false }
        if carryOffset < carry.count { return true }
        guard !terminated, let session else { return false }
        if canAnswer { return true }
        guard !sendBlocked else { return false }
        return nghttp2_session_want_write(session) != 0
    }

    public var isFinished: Bool {
        guard !terminated, let session else { return true }
        return nghttp2_session_want_read(session) == 0
    }

    public func beginGracefulShutdown() {
        guard !terminated, let session, !gracefulShutdownSubmitted else { return }
        gracefulShutdownSubmitted = true
        shutdownStartedAt = lastNow
        // One GOAWAY naming the last stream we processed: those still complete, later ones are
        // ignored by libnghttp2 and the client retries them on a new connection.
        let lastStreamID = nghttp2_session_get_last_proc_stream_id(session)
        let rv = nghttp2_submit_goaway(
            session,
            UInt8(NGHTTP2_FLAG_NONE.rawValue),
            lastStreamID,
            NGHTTP2_NO_ERROR.rawValue,
            nil,
            0
        )
        if rv != 0 {
            terminate(reason: .gracefulShutdown, errorCode: NGHTTP2_NO_ERROR.rawValue)
        }
        sendBlocked = false
        afterEvent()
    }

    /// Request streams open right now (receiving, or answered but not yet fully written).
    public var openStreamCount: Int { streams.count }

    // MARK: - Ending

    /// Ends the connection from our side: frees libnghttp2 and queues our own GOAWAY.
    ///
    /// Never called from inside a libnghttp2 callback (those set ``pendingTermination``).
    func terminate(reason: HTTP2GoAwayReason, errorCode: UInt32, sendGoAway: Bool = true) {
        guard !terminated || session != nil else { return }
        let lastStreamID = session.map { nghttp2_session_get_last_proc_stream_id($0) } ?? 0
        close()
        finishedAt = finishedAt ?? lastNow
        if sendGoAway {
            carry.append(
                contentsOf: HTTP2FrameBuilder.goAway(lastStreamID: UInt32(max(0, lastStreamID)), errorCode: errorCode)
            )
            metrics.goawaySent(reason)
        }
    }

    /// Maps a negative result of `mem_recv`/`mem_send` to the end of the connection.
    func handleFatalError(_ code: Int32) {
        if let pending = pendingTermination {
            pendingTermination = nil
            if pending.reason == .flood || pending.reason == .peerResetFlood || pending.reason == .serverResetFlood {
                metrics.floodClose()
            }
            terminate(reason: pending.reason, errorCode: pending.errorCode)
            return
        }
        switch code {
        case NGHTTP2_ERR_BAD_CLIENT_MAGIC.rawValue:
            // Not an HTTP/2 client: nothing it would understand to say.
            terminate(reason: .protocolError, errorCode: NGHTTP2_PROTOCOL_ERROR.rawValue, sendGoAway: false)
        case NGHTTP2_ERR_FLOODED.rawValue, NGHTTP2_ERR_TOO_MANY_CONTINUATIONS.rawValue,
            NGHTTP2_ERR_TOO_MANY_SETTINGS.rawValue:
            metrics.floodClose()
            terminate(reason: .flood, errorCode: NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
        case NGHTTP2_ERR_NOMEM.rawValue, NGHTTP2_ERR_CALLBACK_FAILURE.rawValue:
            terminate(reason: .internalError, errorCode: NGHTTP2_INTERNAL_ERROR.rawValue)
        default:
            terminate(reason: .protocolError, errorCode: NGHTTP2_PROTOCOL_ERROR.rawValue)
        }
    }

    // MARK: - Helpers

    /// Appends up to `room` bytes of a `mem_send` chunk to `output`; returns how many.
    ///
    /// The rest goes to ``carry``: the chunk is only valid until the next `mem_send`.
    private func emit(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [UInt8], room: Int) -> Int {
        if bytes.count <= room {
            output.append(contentsOf: bytes)
            return bytes.count
        }
        output.append(contentsOf: bytes[..<room])
        carry.append(contentsOf: bytes[room...])
        return room
    }

    /// Hands out up to `limit` bytes of ``carry``.
    private func drainCarry(into output: inout [UInt8], limit: Int) -> Int {
        let available = carry.count - carryOffset
        guard available > 0, limit > 0 else { return 0 }
        let taken = min(available, limit)
        output.append(contentsOf: carry[carryOffset..<(carryOffset + taken)])
        carryOffset += taken
        if carryOffset == carry.count {
            carry.removeAll(keepingCapacity: true)
            carryOffset = 0
        }
        return taken
    }

    /// Bookkeeping after every entry point: act on a pending termination, remember when the
    /// session became finished.
    func afterEvent() {
        if pendingTermination != nil, !terminated {
            // A limit tripped outside a libnghttp2 callback (none does today; kept for safety).
            handleFatalError(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue)
        }
        if finishedAt == nil, isFinished {
            finishedAt = lastNow
        }
    }
}

@available(*, unavailable)
extension HTTP2Session: Sendable {}
