/// Limits and timeouts of one ``HTTP2Session``, each with a safe default for a Kubernetes webhook.
///
/// The defaults assume small requests (a SubjectAccessReview is a few KiB) from a handful of
/// well-behaved clients (kube-apiservers using client-go). Every limit that a peer can push against
/// is here, so a deployment can tighten it; none can be switched off.
///
/// Some limits are advertised to the peer in the server's first SETTINGS frame
/// (``maxConcurrentStreams``, ``initialWindowSize``, ``maxHeaderListSize``); the session enforces all
/// of them itself rather than trusting libnghttp2 1.52, which does not enforce the header-list size it
/// advertises.
public struct HTTP2Configuration: Sendable {
    /// SETTINGS_MAX_CONCURRENT_STREAMS: streams beyond it are refused with REFUSED_STREAM.
    public var maxConcurrentStreams: Int = 100
    /// SETTINGS_INITIAL_WINDOW_SIZE: how many request-body bytes a stream may send before the
    /// session reopens its window.
    public var initialWindowSize: Int = 256 * 1024
    /// The connection-level receive window (raised with WINDOW_UPDATE on stream 0 at start).
    public var connectionWindowSize: Int = 1024 * 1024
    /// SETTINGS_MAX_HEADER_LIST_SIZE, counted as RFC 9113 does (name + value + 32 per field).
    ///
    /// A larger header list is answered with 431 and counted as a violation.
    public var maxHeaderListSize: Int = 16 * 1024
    /// How many CONTINUATION frames may follow one HEADERS frame.
    ///
    /// More is a flood and ends the connection. With the default 16 KiB frame size this bounds a header block to ≈144 KiB.
    public var maxContinuations: Int = 8
    /// Most bytes one header block (HEADERS plus CONTINUATION frames, still compressed) may have.
    ///
    /// More is a flood and ends the connection with ENHANCE_YOUR_CALM. Generous next to
    /// ``maxHeaderListSize``: HPACK usually makes a block smaller than the list it encodes.
    public var maxHeaderBlockBytes: Int = 64 * 1024
    /// Largest accepted request body; a larger one is answered with 413.
    public var maxRequestBodyBytes: Int = 1024 * 1024
    /// Response-body bytes answered but not yet taken by the connection (held back by the peer's
    /// flow-control windows) beyond which the session answers no more of its queued requests until
    /// they move: a reader that keeps its windows shut costs at most this much (plus one response),
    /// not a response per stream.
    public var maxUnsentResponseBytes: Int = 128 * 1024
    /// Upper bound of request-body bytes buffered across all streams of the connection; a stream
    /// that would pass it is refused with REFUSED_STREAM (safe for the client to retry).
    public var maxBufferedBodyBytes: Int = 4 * 1024 * 1024
    /// Most requests answered in one burst, before their frames go to the connection to be
    /// written. At least 1.
    ///
    /// A read that delivers many complete requests (a client with many streams in flight) is
    /// answered in bursts, each written before the next is computed: the first answers leave
    /// sooner, and a client waiting for them works while the rest are computed. A burst ends at
    /// this many answers or once it has taken ``burstDuration``, whichever comes first. Each burst
    /// costs one TLS record and one `write`.
    public var responsesPerWrite: Int = 32
    /// Once answering a burst has taken this long, its frames are written before the next request
    /// is answered: no answer waits behind much more than this of other answers' work.
    ///
    /// Cheap answers (a few µs) still leave together, one write for many; expensive ones leave
    /// in several writes. `.zero` writes every answer on its own.
    public var burstDuration: Duration = .microseconds(20)
    /// Queued SETTINGS/PING acknowledgements beyond which libnghttp2 reports a flood.
    public var maxOutboundControlFrames: Int = 1000
    /// Most entries accepted in one SETTINGS frame.
    public var maxSettingsEntries: Int = 32
    /// RST_STREAM frames the peer may send per window (rapid reset, CVE-2023-44487).
    public var peerResetLimit = HTTP2RateLimit(count: 500, interval: .seconds(10))
    /// Stream errors the peer may provoke per window — RST_STREAM frames we send (other than
    /// NO_ERROR) plus early 431/413 answers — before the session gives up on it (server-forced
    /// resets, "MadeYouReset", CVE-2025-8671): GOAWAY ENHANCE_YOUR_CALM.
    public var serverResetLimit = HTTP2RateLimit(count: 100, interval: .seconds(10))
    /// Control frames the peer may send per window.
    ///
    /// Counted: PING (with or without ACK), SETTINGS (without ACK), PRIORITY and empty non-final
    /// DATA frames. A client-go keep-alive PING every 15–30 s is far below it. WINDOW_UPDATE is
    /// not counted: clients send it as they read, as often as their reads go, and what a flood of
    /// them costs grows with the bytes the peer sends (no amplification).
    public var controlFrameLimit = HTTP2RateLimit(count: 1000, interval: .seconds(10))
    /// A connection with no open stream for this long gets GOAWAY and is closed.
    ///
    /// PINGs do not reset it (as in Go's server): they are answered, and the connection ends when idle.
    public var idleTimeout: Duration = .seconds(120)
    /// Output waiting (a response not yet fully written) without progress for this long, for
    /// example because the peer's window stays at zero: GOAWAY, then close. Each response must
    /// also be written whole within this long of being answered, so a peer that opens its window
    /// a byte at a time cannot keep the connection (and its memory) forever.
    public var writeTimeout: Duration = .seconds(30)
    /// A request whose headers and body are not complete this long after its first HEADERS
    /// frame is reset with CANCEL (slow-loris over HTTP/2).
    public var requestReceiveTimeout: Duration = .seconds(30)
    /// After ``HTTP2Session/beginGracefulShutdown()``, in-flight streams get this long to finish.
    public var gracefulShutdownTimeout: Duration = .seconds(30)
    /// Once finished, output the peer does not read within this long is dropped so the
    /// connection can close.
    public var lingerTimeout: Duration = .seconds(5)

    public init() {}
}

/// At most ``count`` events per ``interval``, counted in fixed windows.
public struct HTTP2RateLimit: Sendable, Hashable {
    public var count: Int
    public var interval: Duration

    public init(count: Int, interval: Duration) {
        self.count = count
        self.interval = interval
    }
}

/// Counts events of one kind in fixed windows of ``HTTP2RateLimit/interval``.
struct HTTP2RateCounter {
    let limit: HTTP2RateLimit
    private var windowStart: ContinuousClock.Instant
    private var used = 0

    init(limit: HTTP2RateLimit, now: ContinuousClock.Instant) {
        self.limit = limit
        self.windowStart = now
    }

    /// Records one event at `now`; returns true when the limit is exceeded.
    mutating func record(now: ContinuousClock.Instant) -> Bool {
        if now - windowStart >= limit.interval {
            windowStart = now
            used = 0
        }
        used += 1
        return used > limit.count
    }
}
