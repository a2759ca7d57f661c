public import ArbiterPosix
import Glibc
import Synchronization

/// An HTTPS server: loop threads, mutual TLS, HTTP/1.1 (and HTTP/2 through a plugged-in handler).
///
/// The layer above supplies a ``Responder`` and a ``Configuration``; the server binds one
/// `SO_REUSEPORT` listener per loop and address (or takes systemd's sockets), accepts, handshakes,
/// picks the protocol handler by ALPN and answers requests on the loop thread that accepted the
/// connection. Lifecycle: `init` → ``start()`` → ``shutdown(deadline:)``; a server is started at
/// most once.
///
/// ```swift
/// let server = try HTTPServer(configuration: configuration, responder: MyResponder())
/// try server.start()
/// // ... later, on SIGTERM:
/// server.shutdown(deadline: .seconds(10))
/// ```
public final class HTTPServer: Sendable {
    private enum State {
        case idle
        case running(Running)
        case stopped
    }

    private struct Running {
        var group: EventLoopGroup
        var loops: [LoopBound<ServerLoop>]
        /// Listening sockets shared by every loop (systemd); closed after the loops stop.
        var sharedListeners: [Int32]
        var addresses: [SocketAddress]
    }

    /// Counters and gauges, readable from any thread.
    public let metrics: HTTPServerMetrics
    private let context: ServerContext
    private let state = LockedValue<State>(.idle)

    /// Validates the configuration and builds the first TLS context; binds nothing yet.
    ///
    /// - Throws: ``TLSError`` when the certificate, key or CA bundle cannot be loaded.
    public init(configuration: Configuration, responder: any Responder) throws(TLSError) {
        let metrics = HTTPServerMetrics()
        let tls = try TLSContext(
            configuration: configuration.tls, offerHTTP2: configuration.http2HandlerFactory != nil,
            chainCacheTotals: metrics.verifiedChainCache)
        self.metrics = metrics
        self.context = ServerContext(configuration: configuration, responder: responder, metrics: self.metrics, tls: tls)
    }

    /// The configuration the server was created with.
    public var configuration: Configuration { self.context.configuration }

    /// The addresses actually listened on (ports resolved after binding port 0); empty before
    /// ``start()`` and for systemd sockets.
    public var listeningAddresses: [SocketAddress] {
        self.state.withLock { state in
            if case .running(let running) = state { return running.addresses }
            return []
        }
    }

    // MARK: - TLS rotation

    /// Uses `context` for connections accepted from now on; established connections keep theirs.
    ///
    /// Build the context with ``makeTLSContext(_:)`` so ALPN matches the server's protocols. A
    /// rotation that fails to load keeps the old context, because it never reaches this call.
    public func replaceTLSContext(_ context: TLSContext) {
        self.context.tlsContext = context
    }

    /// Builds a context for this server from new TLS material (ALPN `h2` offered iff an HTTP/2
    /// handler factory is configured).
    public func makeTLSContext(_ configuration: TLSConfiguration) throws(TLSError) -> TLSContext {
        try TLSContext(
            configuration: configuration, offerHTTP2: self.context.configuration.http2HandlerFactory != nil,
            chainCacheTotals: self.metrics.verifiedChainCache)
    }

    /// The context new connections use.
    public var currentTLSContext: TLSContext { self.context.tlsContext }

    /// Rebuilds the TLS context from `configuration` (certificate, key and client CA files are read
    /// again) and uses it for new connections.
    ///
    /// On failure nothing changes: the previous context keeps serving, ``HTTPServerMetrics/tlsReloadFailures``
    /// is incremented, and the error (naming the file) is thrown for the caller to log.
    public func reloadTLS(_ configuration: TLSConfiguration) throws(TLSError) {
        do {
            self.replaceTLSContext(try self.makeTLSContext(configuration))
            self.metrics.tlsReloads.add(1, ordering: .relaxed)
        } catch {
            self.metrics.tlsReloadFailures.add(1, ordering: .relaxed)
            throw error
        }
    }

    // MARK: - Lifecycle

    /// Starts the loop threads and begins accepting.
    ///
    /// - Throws: ``SystemError`` when a socket cannot be bound or a thread cannot start; nothing is
    ///   left running in that case.
    public func start() throws(SystemError) {
        try self.state.withLock { state throws(SystemError) in
            guard case .idle = state else { preconditionFailure("HTTPServer.start called twice") }
            Posix.ignoreSIGPIPE()
            let configuration = self.context.configuration
            let group = try EventLoopGroup(count: configuration.threads, busyPoll: configuration.busyPoll)
            var sharedListeners: [Int32] = []
            var perLoopListeners: [[Int32]] = Array(repeating: [], count: group.loops.count)
            var addresses: [SocketAddress] = []
            do throws(SystemError) {
                if configuration.useSystemdSocketActivation, let fds = try ListeningSocket.takeSystemdListeners() {
                    sharedListeners = fds
                } else {
                    for address in configuration.listenAddresses { try ListeningSocket.ensureNotInUse(address) }
                    for address in configuration.listenAddresses {
                        var resolved = address
                        for index in group.loops.indices {
                            let (fd, port) = try ListeningSocket.makeBound(resolved)
                            perLoopListeners[index].append(fd)
                            resolved.port = port
                        }
                        addresses.append(resolved)
                    }
                }
                let handshakeLimit = self.context.configuration.maxHandshakingConnections / max(1, group.loops.count)
                let serverLoops = group.loops.map { ServerLoop(loop: $0, context: self.context, handshakeLimit: handshakeLimit) }
                // Each loop's evictable count, taken before the loops run (a loop's state is used
                // only on its thread afterwards; the counters are shared).
                let entries = serverLoops.map {
                    ServerContext.LoopEntry(evictable: $0.evictableConnections, serverLoop: LoopBound($0, loop: $0.loop))
                }
                let loops = entries.map(\.serverLoop)
                self.context.loops.withLock { $0 = entries }
                let failure = LockedValue<SystemError?>(nil)
                for (index, bound) in loops.enumerated() {
                    let done = BlockingSemaphore()
                    let listeners = perLoopListeners[index]
                    let shared = sharedListeners
                    bound.loop.execute {
                        do throws(SystemError) {
                            try bound.value.startAccepting(on: listeners, exclusive: false)
                            try bound.value.startAccepting(on: shared, exclusive: true)
                        } catch {
                            failure.withLock { $0 = error }
                        }
                        done.signal()
                    }
                    done.wait()
                }
                if let error = failure.withLock({ $0 }) {
                    // Deregister everything; the descriptors are closed once, by the catch below.
                    Self.onEveryLoop(loops) { $0.beginGracefulShutdown(closeListeners: false) }
                    throw error
                }
                state = .running(Running(group: group, loops: loops, sharedListeners: sharedListeners, addresses: addresses))
            } catch {
                self.context.loops.withLock { $0 = [] }
                for fd in perLoopListeners.joined() { Posix.close(fd) }
                for fd in sharedListeners { Posix.close(fd) }
                group.shutdown()
                throw error
            }
        }
    }

    /// Stops accepting, lets every connection finish what is in flight, and closes whatever is
    /// left when `deadline` has passed; then stops the loop threads. Blocks the caller, so call it
    /// from outside the server's loops (a signal-handling task or `main`); idempotent.
    ///
    /// HTTP/1.1 connections answer the request in flight with `connection: close` (idle ones close
    /// at once); HTTP/2 handlers send GOAWAY (``HTTPProtocolHandler/beginGracefulShutdown()``).
    public func shutdown(deadline: Duration) {
        let running: Running? = self.state.withLock { state in
            guard case .running(let running) = state else { return nil }
            state = .stopped
            return running
        }
        guard let running else { return }
        precondition(
            !running.group.loops.contains { $0.inEventLoop },
            "HTTPServer.shutdown called on one of its loop threads (it waits for them)")
        let closeListeners = running.sharedListeners.isEmpty
        Self.onEveryLoop(running.loops) { $0.beginGracefulShutdown(closeListeners: closeListeners) }
        let end = ContinuousClock.now + deadline
        // Bounded wait: poll the gauge every 10 ms until it reaches zero or the deadline passes.
        while self.metrics.connectionsOpen.load(ordering: .relaxed) > 0 && ContinuousClock.now < end {
            usleep(10_000)
        }
        Self.stop(loops: running.loops, group: running.group, sharedListeners: running.sharedListeners)
        // The context's list of loops refers back to them: cleared, so that both are freed.
        self.context.loops.withLock { $0 = [] }
    }

    private static func stop(loops: [LoopBound<ServerLoop>], group: EventLoopGroup, sharedListeners: [Int32]) {
        Self.onEveryLoop(loops) { serverLoop in
            serverLoop.beginGracefulShutdown(closeListeners: sharedListeners.isEmpty)
            serverLoop.closeAll()
        }
        group.shutdown()
        for fd in sharedListeners { Posix.close(fd) }
    }

    /// Runs `body` on every loop with its ``ServerLoop`` and waits for all of them.
    /// Whether every loop thread runs a posted task within `timeout`: the liveness signal for a
    /// service watchdog (a stuck loop must stop the watchdog pings). `false` when not running.
    public func loopsResponsive(within timeout: Duration) -> Bool {
        guard let loops = self.state.withLock({ state -> [LoopBound<ServerLoop>]? in
            guard case .running(let running) = state else { return nil }
            return running.loops
        }) else { return false }
        let answered = LockedValue<Int>(0)
        for bound in loops {
            bound.loop.execute { answered.withLock { $0 += 1 } }
        }
        let end = ContinuousClock.now + timeout
        while answered.withLock({ $0 }) < loops.count {
            if ContinuousClock.now >= end { return false }
            usleep(1_000)
        }
        return true
    }

    private static func onEveryLoop(_ loops: [LoopBound<ServerLoop>], _ body: @escaping @Sendable (ServerLoop) -> Void) {
        let done = BlockingSemaphore()
        for bound in loops {
            bound.loop.execute {
                body(bound.value)
                done.signal()
            }
        }
        for _ in loops { done.wait() }
    }
}
