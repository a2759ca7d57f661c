import ArbiterPosix
import Synchronization

/// What every loop of one ``HTTPServer`` shares: configuration, responder, metrics and the current
/// TLS context.
///
/// `Sendable`: immutable apart from ``tlsContext``, which is swapped under a mutex.
final class ServerContext: Sendable {
    let configuration: HTTPServer.Configuration
    let responder: any Responder
    let metrics: HTTPServerMetrics
    private let currentTLSContext: LockedValue<TLSContext>

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
        }
        self.configuration.onEvent?(event)
    }

    /// The context new connections use.
    var tlsContext: TLSContext {
        get { self.currentTLSContext.withLock { $0 } }
        set { self.currentTLSContext.withLock { $0 = newValue } }
    }
}
