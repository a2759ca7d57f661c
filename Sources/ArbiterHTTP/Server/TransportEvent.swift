public import ArbiterPosix

/// A noteworthy transport event, for the layer above to log (``HTTPServer/Configuration/onEvent``).
///
/// Every event is also counted in ``HTTPServerMetrics``; the sink adds the detail a counter cannot
/// carry. Client mistakes that are answered in HTTP (400, 408, ...) are counted only.
public enum TransportEvent: Sendable, CustomStringConvertible {
    /// A TLS handshake failed; `detail` is OpenSSL's reason.
    case handshakeFailed(HandshakeFailure, detail: String)
    /// An established connection failed and was closed.
    case connectionError(HTTPServerMetrics.ErrorKind, detail: String)
    /// Accepting paused for `backoff` because the process or system ran out of descriptors.
    case acceptPaused(SystemError, backoff: Duration)
    /// A connection is closed gracefully to make room for a prioritized client.
    case connectionEvicted(detail: String)
    /// A connection that served nobody (lingering, shed, or handshaking) is closed at the hard
    /// connection limit for a newer one (counted in ``HTTPServerMetrics/connectionsRejected``).
    case connectionDisplaced(detail: String)

    public var description: String {
        switch self {
        case .handshakeFailed(let reason, let detail):
            "tls handshake failed (\(reason)): \(detail)"
        case .connectionError(let kind, let detail):
            "connection closed after \(kind) error: \(detail)"
        case .acceptPaused(let error, let backoff):
            "accept paused for \(backoff): \(error)"
        case .connectionEvicted(let detail):
            "connection evicted: \(detail)"
        case .connectionDisplaced(let detail):
            "connection displaced: \(detail)"
        }
    }
}
