import ArbiterPosix
import Synchronization

/// What every loop of one ``HTTPServer`` shares: configuration, responder, metrics and the current
/// TLS context.
///
/// `Sendable`: immutable apart from ``tlsContext``, which is swapped under a mutex, the atomic
/// count of served connections, and the list of loops, set once they exist.
final class ServerContext: Sendable {
    let configuration: HTTPServer.Configuration
    let responder: any Responder
    let metrics: HTTPServerMetrics
    private let currentTLSContext: LockedValue<TLSContext>
    /// Connections served (handshake done, not shed), over all loops: what
    /// ``HTTPServer/Configuration/maxConnections`` bounds.
    let serving = Atomic<Int>(0)
    /// Every loop, with its count of evictable connections, for a prioritized client whose own
    /// loop has none (``ServerLoop/makeRoom(for:)``).
    let loops = LockedValue<[LoopEntry]>([])

    /// One loop as other loops see it: its evictable connections (read from any thread) and the
    /// loop-confined state, reached only through its loop.
    struct LoopEntry: Sendable {
        let evictable: LoopCounter
        let serverLoop: LoopBound<ServerLoop>
    }

    init(configuration: HTTPServer.Configuration, responder: any Responder, metrics: HTTPServerMetrics, tls: TLSContext) {
        self.configuration = configuration
        self.responder = responder
        self.metrics = metrics
        self.currentTLSContext = LockedValue(tls)
    }

    /// Counts `event` and hands it to the configured sink.
    func report(_ event: TransportEvent) {
        switch event {
        case .handshakeFailed(let reason, _): self.metrics.recordHandshakeFailure(reason)
        case .connectionError(let kind, _): self.metrics.recordError(kind)
        case .acceptPaused: self.metrics.recordError(.acceptResources)
        case .connectionEvicted: self.metrics.connectionsEvicted.add(1, ordering: .relaxed)
        case .connectionDisplaced: break  // the acceptor counts it as rejected
        }
        self.configuration.onEvent?(event)
    }

    /// The context new connections use.
    var tlsContext: TLSContext {
        get { self.currentTLSContext.withLock { $0 } }
        set { self.currentTLSContext.withLock { $0 = newValue } }
    }
}

/// A counter of one loop that other loops read.
final class LoopCounter: Sendable {
    let value = Atomic<Int>(0)

    func add(_ delta: Int) { self.value.add(delta, ordering: .relaxed) }
    func subtract(_ delta: Int) { self.value.subtract(delta, ordering: .relaxed) }
    var current: Int { self.value.load(ordering: .relaxed) }
}
