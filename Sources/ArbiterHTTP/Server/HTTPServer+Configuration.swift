public import ArbiterPosix

extension HTTPServer {
    /// Everything an ``HTTPServer`` is started with.
    public struct Configuration: Sendable {
        /// Builds the HTTP/2 handler of a connection that negotiated ALPN `h2`.
        public typealias HTTP2HandlerFactory = @Sendable (any Responder, PeerIdentity?) -> any HTTPProtocolHandler

        /// Addresses to bind (each loop binds its own `SO_REUSEPORT` socket per address). Ignored
        /// when systemd passes listening sockets and ``useSystemdSocketActivation`` is true.
        public var listenAddresses: [SocketAddress]
        /// Take listening sockets from systemd (`LISTEN_FDS`) when present.
        public var useSystemdSocketActivation: Bool
        /// Loop threads; `nil` means one per online core.
        public var threads: Int?
        public var tls: TLSConfiguration
        public var http1: HTTP1Configuration
        /// `nil` ⇒ ALPN offers only `http/1.1`.
        public var http2HandlerFactory: HTTP2HandlerFactory?

        /// Connections served normally; above this, requests get a fast 503 and the connection closes.
        public var maxConnections: Int
        /// Connections above ``maxConnections`` that still complete a handshake to receive their 503;
        /// beyond that, new connections are closed at accept.
        public var overloadConnectionAllowance: Int
        /// Requests answered but not yet handed to TLS, server-wide; above this, requests get 503.
        public var maxRequestsInFlight: Int
        /// Connections still in their TLS handshake, over all loops (each loop takes its share);
        /// a new connection beyond it closes the oldest one still handshaking on its loop.
        ///
        /// Connections that never finish a handshake (silent sockets, half a ClientHello) need no
        /// certificate: without this bound they would hold ``maxConnections`` for a whole
        /// ``handshakeTimeout`` each and lock out every client. With it, a new client always gets
        /// to start its handshake; a flood of stalled connections mostly evicts its own, and a
        /// client's handshake is evicted only if a whole share of newer connections arrives while
        /// it runs (about a millisecond on a LAN).
        public var maxHandshakingConnections: Int
        /// Time from accept to a completed TLS handshake.
        public var handshakeTimeout: Duration
        /// Time without any write progress while output is pending (slow or stalled readers).
        public var writeTimeout: Duration
        /// Time to wait for the peer's FIN after our close (TLS 1.3 alert delivery, pitfall 2).
        public var lingerTimeout: Duration
        /// Plaintext bytes a connection buffers for TLS before it stops reading.
        public var maxOutputBufferBytes: Int
        /// How long accepting pauses after `EMFILE`/`ENFILE`.
        public var acceptBackoff: Duration
        /// Connections a loop accepts from one listener per readiness event (at least 1).
        ///
        /// New connections are admitted at this rate per loop iteration, between serving the
        /// connections already open; a larger batch lets a burst of new handshakes (≈0.5 ms of CPU
        /// each) run ahead of requests that are already waiting, which stretches their tail
        /// latency. The default, 1, is nginx's `multi_accept off`: level-triggered epoll reports
        /// the listener again on the next iteration while its queue is not empty.
        public var acceptsPerWakeup: Int
        /// How long a loop polls for events before it sleeps, while they keep arriving that close
        /// together (``EventLoop/busyPoll``), at most twice as long as the loop's last round of
        /// work took; `.zero` always sleeps.
        ///
        /// Trades idle CPU for latency: a client that waits for its answers before asking again
        /// gets them without the wake-ups of both sides on every round trip.
        public var busyPoll: Duration
        /// Clients served even over ``maxConnections``: when one completes its handshake on a
        /// connection that would get a 503, the oldest connection of a client this does not
        /// select, on the same loop or else another, is closed gracefully instead (its in-flight
        /// requests are answered first), and this one is served. So clients that merely hold a
        /// certificate cannot lock out the ones that matter by filling every connection slot.
        /// Asked once per completed handshake, on a loop thread: it must be quick and must not
        /// block.
        public var prioritizedPeer: (@Sendable (PeerIdentity?) -> Bool)?
        /// Receives handshake failures, connection errors and accept pauses, with detail, for logging.
        ///
        /// Called synchronously on a loop thread: it must not block (hand the event to a logger).
        /// Handshake failures can be frequent (scanners, misconfigured clients); rate-limit if needed.
        public var onEvent: (@Sendable (TransportEvent) -> Void)?

        public init(
            listenAddresses: [SocketAddress], tls: TLSConfiguration, threads: Int? = nil,
            useSystemdSocketActivation: Bool = true, http1: HTTP1Configuration = HTTP1Configuration(),
            http2HandlerFactory: HTTP2HandlerFactory? = nil, maxConnections: Int = 4096,
            overloadConnectionAllowance: Int = 256, maxRequestsInFlight: Int = 4096, maxHandshakingConnections: Int = 256,
            handshakeTimeout: Duration = .seconds(10), writeTimeout: Duration = .seconds(30),
            lingerTimeout: Duration = .seconds(2), maxOutputBufferBytes: Int = 256 * 1024,
            acceptBackoff: Duration = .milliseconds(100), acceptsPerWakeup: Int = 1,
            busyPoll: Duration = .microseconds(200), prioritizedPeer: (@Sendable (PeerIdentity?) -> Bool)? = nil,
            onEvent: (@Sendable (TransportEvent) -> Void)? = nil
        ) {
            self.listenAddresses = listenAddresses
            self.tls = tls
            self.threads = threads
            self.useSystemdSocketActivation = useSystemdSocketActivation
            self.http1 = http1
            self.http2HandlerFactory = http2HandlerFactory
            self.maxConnections = maxConnections
            self.overloadConnectionAllowance = overloadConnectionAllowance
            self.maxRequestsInFlight = maxRequestsInFlight
            self.maxHandshakingConnections = maxHandshakingConnections
            self.handshakeTimeout = handshakeTimeout
            self.writeTimeout = writeTimeout
            self.lingerTimeout = lingerTimeout
            self.maxOutputBufferBytes = maxOutputBufferBytes
            self.acceptBackoff = acceptBackoff
            self.acceptsPerWakeup = acceptsPerWakeup
            self.busyPoll = busyPoll
            self.prioritizedPeer = prioritizedPeer
            self.onEvent = onEvent
        }
    }
}
