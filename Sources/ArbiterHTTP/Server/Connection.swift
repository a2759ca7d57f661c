import ArbiterPosix
import Glibc
import Synchronization

/// One accepted TCP connection: TLS handshake, then an ``HTTPProtocolHandler`` chosen by ALPN.
///
/// The I/O loop is tiny-nghttpd's. On readable: `SSL_read` until WANT_READ (bytes buffered inside
/// OpenSSL do not wake epoll), feeding the handler. Then pull the handler's output, `SSL_write` it,
/// and recompute the epoll interest: readable while the output buffer is under its cap, writable
/// only while output is pending. Wanting nothing means close.
///
/// Closing follows TLS pitfall 2: after the last byte (or a failed handshake's alert) we send
/// close_notify, `shutdown(SHUT_WR)`, drain what the peer still sends, and close on its FIN or after
/// ``HTTPServer/Configuration/lingerTimeout``. Closing with unread bytes would send an RST that can
/// overtake the alert or the last response.
///
/// Loop-confined: every method runs on the loop thread of its ``ServerLoop``.
///
/// INVARIANT (no-reentry): the loop calls into a connection only from its top level (an event, a
/// timer, a task), never while one of its methods runs; the TLS session and the protocol handler
/// it calls hold no reference back to it; and no closure or `inout` access to one of its
/// properties spans a call that touches the same property. Accesses therefore never overlap:
/// debug builds (the test suite) check that at run time, release builds of the transport modules
/// skip the checks (`-enforce-exclusivity=unchecked` in Package.swift; about thirty runtime calls
/// per keep-alive request).
final class Connection: EventHandler {
    /// Where the connection is; the deadline of `handshaking` and `lingering` is ``phaseDeadline``
    /// (kept out of the enum: `ContinuousClock.Instant` is a resilient type, and an enum holding
    /// one is copied through runtime value witnesses on every `switch`).
    enum State {
        case handshaking
        case active(any HTTPProtocolHandler)
        case lingering(drained: Int)
        case closed
    }

    let fd: Int32
    /// Accept order on its loop (see ``ServerLoop``'s handshake queue).
    let serial: UInt64
    unowned let serverLoop: ServerLoop
    let tls: TLSConnection?
    /// Over ``HTTPServer/Configuration/maxConnections`` when its handshake completed: its
    /// requests get 503 and it closes soon (see ``makeHandler(tls:)``).
    private(set) var shedding = false
    /// Counted in ``ServerContext/serving`` (a served connection, handshake done).
    private var countedAsServing = false
    /// Counted in its loop's evictable connections (served, client not prioritized).
    private var countedAsEvictable = false
    /// Chosen to make room for a prioritized client: its graceful close is scheduled.
    private(set) var evictionScheduled = false
    var state: State
    /// When the handshake or the lingering close must be over.
    var phaseDeadline: ContinuousClock.Instant
    var registration: EventLoop.Registration?
    private var interest: UInt32 = 0

    /// Plaintext waiting for `SSL_write`, from `outputStart`.
    private var output: [UInt8] = []
    private var outputStart = 0
    /// The last `SSL_read`/`SSL_write` needs the socket writable (TLS renegotiation-free key updates).
    private var tlsWantsWrite = false
    /// The peer closed its side (EOF or close_notify).
    private var peerClosed = false
    /// The last time output moved, while some was pending.
    var lastWriteProgress: ContinuousClock.Instant = .now

    var armedDeadline: ContinuousClock.Instant?
    var timer: EventLoop.TimerID?
    private var resumeScheduled = false

    /// The most lingering-drain bytes read before giving up on a clean close.
    static let maxDrainBytes = 256 * 1024
    /// How long a shedding HTTP/2 connection takes requests (each answered 503) before its GOAWAY.
    static let sheddingGrace: Duration = .milliseconds(100)
    /// Reads per readiness event before yielding to other connections.
    private static let readsPerEvent = 32

    init(fd: Int32, serverLoop: ServerLoop, tlsContext: TLSContext, serial: UInt64) {
        self.fd = fd
        self.serial = serial
        self.serverLoop = serverLoop
        self.tls = try? TLSConnection(context: tlsContext, fd: fd)
        self.state = .handshaking
        self.phaseDeadline = .now + serverLoop.context.configuration.handshakeTimeout
    }

    deinit {
        assert({ if case .closed = self.state { true } else { false } }(), "leak of an open Connection")
    }

    var metrics: HTTPServerMetrics { self.serverLoop.context.metrics }

    var isHandshaking: Bool {
        if case .handshaking = self.state { return true }
        return false
    }

    /// Closes a connection still in its handshake to make room for a newer one.
    func evictFromHandshake(limit: Int) {
        guard self.isHandshaking else { return }
        self.serverLoop.context.report(
            .handshakeFailed(.timeout, detail: "closed for a newer connection: \(limit) handshakes in progress on this loop"))
        self.close()
    }
    var configuration: HTTPServer.Configuration { self.serverLoop.context.configuration }

    /// Registers with the loop and starts the handshake.
    func start() {
        guard self.tls != nil else {
            self.serverLoop.context.report(.connectionError(.tls, detail: "cannot create a TLS session"))
            self.close()
            return
        }
        do {
            self.registration = try self.serverLoop.loop.register(fd: self.fd, interest: EventLoop.Interest.readable, handler: self)
            self.interest = EventLoop.Interest.readable
        } catch {
            self.serverLoop.context.report(.connectionError(.socket, detail: "\(error)"))
            self.close()
            return
        }
        self.rearmTimer()
    }

    // MARK: - Events

    func handleEvents(_ events: UInt32) {
        switch self.state {
        case .handshaking:
            self.continueHandshake()
        case .active:
            // One clock read per event (it costs more than a little, and every use wants "now").
            self.serve(now: .now)
        case .lingering:
            self.drainWhileLingering()
        case .closed:
            return
        }
        self.rearmTimer()
    }

    private func continueHandshake() {
        guard let tls = self.tls else { return }
        switch tls.handshake() {
        case .wantRead:
            self.setInterest(EventLoop.Interest.readable)
        case .wantWrite:
            self.setInterest(EventLoop.Interest.readable | EventLoop.Interest.writable)
        case .failed(let reason, let detail):
            self.serverLoop.context.report(.handshakeFailed(reason, detail: detail))
            // OpenSSL has already written the alert; no close_notify after a failed handshake.
            self.startLingering(sendCloseNotify: false)
        case .complete:
            self.metrics.handshakesSucceeded.add(1, ordering: .relaxed)
            self.serverLoop.handshakeEnded()
            let handler = self.makeHandler(tls: tls)
            self.state = .active(handler)
            // Draining: the same drain as every other connection's, so that a request that came
            // with the client's last handshake flight is answered (with `Connection: close`).
            if self.serverLoop.isDraining {
                self.beginGracefulShutdown()
            } else {
                self.serve()
            }
        }
    }

    /// Whether the oldest-first eviction for a prioritized client may choose this connection:
    /// served, of a client not prioritized, not already chosen.
    var isEvictable: Bool {
        guard case .active = self.state else { return false }
        return self.countedAsEvictable && !self.evictionScheduled
    }

    /// What a new connection over the hard limit may displace, most readily first: 0 a
    /// connection lingering after its close (done, waiting for the peer's FIN), 1 one being
    /// shed; `nil` for the rest (served, closed, or handshaking: those the handshake queue
    /// offers, last, see ``ServerLoop/displaceForNewConnection()``).
    var displacementRank: Int? {
        switch self.state {
        case .lingering: return 0
        case .active: return self.shedding ? 1 : nil
        case .handshaking, .closed: return nil
        }
    }

    /// Closes this connection for a newer one at the hard limit.
    func displace() {
        self.serverLoop.context.report(.connectionDisplaced(detail: "closed at the connection limit for a newer connection"))
        self.close()
    }

    /// Chooses this connection to make room for a prioritized client; its graceful close is
    /// scheduled by the caller. It stops counting as evictable at once.
    func markEvicted() {
        self.evictionScheduled = true
        if self.countedAsEvictable {
            self.countedAsEvictable = false
            self.serverLoop.evictableConnections.subtract(1)
        }
    }

    /// Takes a serving slot if fewer than ``HTTPServer/Configuration/maxConnections`` are taken.
    private func takeServingSlot() -> Bool {
        let context = self.serverLoop.context
        let limit = self.configuration.maxConnections
        var current = context.serving.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = context.serving.compareExchange(
                expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Decides, once the client is known, whether the connection is served: while fewer than
    /// ``HTTPServer/Configuration/maxConnections`` are served; over it, a prioritized client
    /// (``HTTPServer/Configuration/prioritizedPeer``) is served when another client's connection
    /// can be closed to make room; any other is shed (its requests get 503, then it closes; a
    /// new connection over the hard limit displaces it, see ``ServerLoop/displaceForNewConnection()``).
    /// Connections still in their handshake never count: sockets that never finish one cannot
    /// make anyone be shed.
    private func admit(peer: PeerIdentity?) {
        let predicate = self.configuration.prioritizedPeer
        let prioritized = predicate?(peer) ?? false
        if !self.takeServingSlot() {
            guard prioritized && self.serverLoop.makeRoom(for: self) else {
                self.shedding = true
                return
            }
            // Over the limit by this connection until the one closed for it is gone.
            self.serverLoop.context.serving.add(1, ordering: .relaxed)
        }
        self.countedAsServing = true
        if predicate != nil && !prioritized {
            self.countedAsEvictable = true
            self.serverLoop.evictableConnections.add(1)
        }
    }

    /// Gives back what ``admit(peer:)`` took; called once, when the connection closes.
    func releaseSlots() {
        if self.countedAsServing {
            self.countedAsServing = false
            self.serverLoop.context.serving.subtract(1, ordering: .relaxed)
        }
        if self.countedAsEvictable {
            self.countedAsEvictable = false
            self.serverLoop.evictableConnections.subtract(1)
        }
    }

    private func makeHandler(tls: TLSConnection) -> any HTTPProtocolHandler {
        let context = self.serverLoop.context
        let peer = tls.peerIdentity()
        self.admit(peer: peer)
        if tls.negotiatedProtocol == "h2", let factory = context.configuration.http2HandlerFactory {
            self.metrics.http2Connections.add(1, ordering: .relaxed)
            guard self.shedding else { return factory(context.responder, peer) }
            // Over the connection limit: the requests of the client's first flight each get a fast
            // 503, then GOAWAY names them and the connection ends (a bare close after the
            // handshake would cost kube-apiserver a retry, or its whole webhook timeout).
            self.serverLoop.loop.scheduleTimer(at: .now + Self.sheddingGrace) { [weak self] in
                self?.beginGracefulShutdown()
            }
            return factory(SheddingResponder(metrics: self.metrics, errors: context.responder), peer)
        }
        // h2 without a factory cannot happen (ALPN offers h2 only with one): close.
        if tls.negotiatedProtocol == "h2" {
            return ClosedHandler()
        }
        return HTTP1Handler(
            responder: context.responder, peer: peer, configuration: context.configuration.http1,
            metrics: self.metrics, maxRequestsInFlight: context.configuration.maxRequestsInFlight,
            shedAllRequests: self.shedding)
    }

    // MARK: - Serving

    /// Reads what is available, feeds the handler, writes what it produced, and updates interest.
    func serve(now: ContinuousClock.Instant = .now) {
        guard case .active(let handler) = self.state, let tls = self.tls else { return }
        var reads = 0
        // Read while there is room for the answers and the handler still wants input.
        readLoop: while reads < Self.readsPerEvent && !self.peerClosed && !handler.isFinished
            && !self.isOutputOverCap(handler)
        {
            reads += 1
            switch tls.read(into: self.serverLoop.readBuffer) {
            case .bytes(let count):
                handler.receive(UnsafeRawBufferPointer(rebasing: self.serverLoop.readBuffer[..<count]), now: now)
                self.pullOutput(from: handler, now: now)
                // A short read with nothing left inside OpenSSL drained the socket as far as we
                // know; epoll is level-triggered and reports anything that arrives later, so skip
                // the read that would only return EAGAIN.
                if count < self.serverLoop.readBuffer.count && !tls.hasBufferedInput { break readLoop }
            case .wantRead:
                self.tlsWantsWrite = false
                break readLoop
            case .wantWrite:
                self.tlsWantsWrite = true
                break readLoop
            case .closed:
                self.peerClosed = true
            case .failed(let detail):
                self.serverLoop.context.report(.connectionError(.tls, detail: detail))
                self.close()
                return
            }
        }
        guard self.flush(handler: handler, tls: tls, now: now) else { return }
        self.finishOrUpdateInterest(handler: handler)
        // OpenSSL may hold decrypted bytes that will never wake epoll (pitfall 4): when we can read
        // again, come back on the next loop iteration rather than wait for an event.
        if case .active = self.state, self.interest & EventLoop.Interest.readable != 0, tls.hasBufferedInput,
            !self.resumeScheduled
        {
            self.resumeScheduled = true
            self.serverLoop.loop.scheduleTimer(at: .now) { [weak self] in
                guard let self else { return }
                self.resumeScheduled = false
                self.serve()
                self.rearmTimer()
            }
        }
    }

    /// True when the connection's own buffer is full: stop reading until TLS takes some of it.
    ///
    /// Only our buffer counts. Output is pulled from the handler until this buffer is full, so a
    /// handler with output left over always means a full buffer here; a handler that reports pending
    /// output but produces none (HTTP/2 blocked on the peer's flow-control window) must not stop us
    /// reading, or the WINDOW_UPDATE that unblocks it would never be read.
    private func isOutputOverCap(_ handler: any HTTPProtocolHandler) -> Bool {
        self.output.count - self.outputStart >= self.configuration.maxOutputBufferBytes
    }

    private func pullOutput(from handler: any HTTPProtocolHandler, now: ContinuousClock.Instant) {
        let room = self.configuration.maxOutputBufferBytes - (self.output.count - self.outputStart)
        if room > 0 && handler.hasPendingOutput {
            if self.outputStart == self.output.count {
                self.output.removeAll(keepingCapacity: true)
                self.outputStart = 0
                self.lastWriteProgress = now
            }
            handler.produceOutput(into: &self.output, limit: room)
        }
    }

    /// Writes pending output; returns false if the connection was closed.
    ///
    /// What the buffer holds is written before more is pulled from the handler, so an HTTP/2
    /// session answering in bursts gets each burst on the wire before it computes the next.
    private func flush(handler: any HTTPProtocolHandler, tls: TLSConnection, now: ContinuousClock.Instant) -> Bool {
        while true {
            if self.outputStart == self.output.count {
                self.pullOutput(from: handler, now: now)
                guard self.outputStart < self.output.count else { return true }
            }
            let result = self.output.withUnsafeBytes { bytes in
                tls.write(UnsafeRawBufferPointer(rebasing: bytes[self.outputStart...]))
            }
            switch result {
            case .bytes(let count):
                self.outputStart += count
                self.lastWriteProgress = now
                self.tlsWantsWrite = false
                if self.outputStart == self.output.count {
                    self.output.removeAll(keepingCapacity: self.output.capacity <= 64 * 1024)
                    self.outputStart = 0
                }
            case .wantWrite:
                self.tlsWantsWrite = true
                return true
            case .wantRead:
                return true
            case .closed:
                self.serverLoop.context.report(.connectionError(.socket, detail: "peer closed while output was pending"))
                self.close()
                return false
            case .failed(let detail):
                self.serverLoop.context.report(.connectionError(.tls, detail: detail))
                self.close()
                return false
            }
        }
    }

    var hasPendingOutput: Bool { self.outputStart < self.output.count }

    private func finishOrUpdateInterest(handler: any HTTPProtocolHandler) {
        let outputPending = self.hasPendingOutput || handler.hasPendingOutput
        if !outputPending && (handler.isFinished || self.peerClosed) {
            self.startLingering(sendCloseNotify: true)
            return
        }
        var interest: UInt32 = 0
        if !self.peerClosed && !handler.isFinished && !self.isOutputOverCap(handler) {
            interest |= EventLoop.Interest.readable
        }
        // Writable interest only for bytes we hold (or TLS needs): the socket is almost always
        // writable, so asking for it on behalf of a handler that cannot produce yet would spin.
        if self.hasPendingOutput || self.tlsWantsWrite {
            interest |= EventLoop.Interest.writable
        }
        self.setInterest(interest)
    }

    func setInterest(_ interest: UInt32) {
        guard interest != self.interest, let registration = self.registration else { return }
        do {
            try self.serverLoop.loop.modify(registration, interest: interest)
            self.interest = interest
        } catch {
            self.serverLoop.context.report(.connectionError(.socket, detail: "\(error)"))
            self.close()
        }
    }

    // MARK: - Shutdown

    /// Graceful drain: the handler finishes what is in flight, then the connection closes.
    func beginGracefulShutdown() {
        switch self.state {
        case .handshaking:
            self.close()
        case .active(let handler):
            // Answers from now on close the connection (HTTP/1.1 `Connection: close`); then read
            // what the client has already sent: a request whose bytes wait in the socket (the loop
            // had not got to them yet) is in flight, not idle, and is answered. Only then may an
            // idle HTTP/1.1 connection finish, and does HTTP/2 send GOAWAY (naming the streams
            // just read, which therefore complete).
            handler.prepareGracefulShutdown()
            self.serve()
            guard case .active = self.state else { return }
            handler.beginGracefulShutdown()
            self.serve()
            self.rearmTimer()
        case .lingering, .closed:
            return
        }
    }

    /// Closes now, whatever is pending.
    func forceClose() {
        self.close()
    }
}

@available(*, unavailable)
extension Connection: Sendable {}
