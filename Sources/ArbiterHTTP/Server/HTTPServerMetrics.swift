public import Synchronization

/// Counters and gauges of one ``HTTPServer``, readable from any thread.
///
/// Counters only grow; gauges (``connectionsOpen``, ``requestsInFlight``) go up and down. All are
/// relaxed atomics: each value is exact, but values read one after the other are not a snapshot.
public final class HTTPServerMetrics: Sendable {
    /// Kinds of connection-level errors.
    public enum ErrorKind: Int, Sendable, CaseIterable {
        /// An HTTP/1.1 request rejected by the parser (4xx/5xx and close).
        case badRequest
        /// A header, body or idle timeout closed the connection.
        case timeout
        /// A TLS read or write failed after the handshake.
        case tls
        /// A socket call failed (reset, broken pipe, ...).
        case socket
        /// `accept4` failed for lack of descriptors or memory; accepting paused.
        case acceptResources
    }

    /// Gauge: connections currently open (handshaking or serving).
    public let connectionsOpen = Atomic<Int>(0)
    /// Counter: connections accepted.
    public let connectionsAccepted = Atomic<Int>(0)
    /// Counter: connections closed at accept because the hard connection limit was reached.
    public let connectionsRejected = Atomic<Int>(0)
    /// Counter: connections closed gracefully to serve a prioritized client over the connection
    /// limit (``HTTPServer/Configuration/prioritizedPeer``).
    public let connectionsEvicted = Atomic<Int>(0)
    /// Counter: requests answered by the responder.
    public let requests = Atomic<Int>(0)
    /// Gauge: requests answered whose response has not yet been handed to TLS.
    public let requestsInFlight = Atomic<Int>(0)
    /// Counter: requests answered with a fast 503 because of overload (connections or in-flight).
    public let shed = Atomic<Int>(0)
    /// Counter: completed TLS handshakes.
    public let handshakesSucceeded = Atomic<Int>(0)
    /// Counter: successful ``HTTPServer/reloadTLS(_:)`` calls.
    public let tlsReloads = Atomic<Int>(0)
    /// Counter: failed ``HTTPServer/reloadTLS(_:)`` calls (the previous context kept serving).
    public let tlsReloadFailures = Atomic<Int>(0)
    /// Counter: connections served over HTTP/2 (ALPN `h2`).
    public let http2Connections = Atomic<Int>(0)
    /// Counters: client chains found in the verified-chain cache, and fully verified, over every
    /// TLS context the server has used (each context's cache starts empty at a rotation).
    public let verifiedChainCache = VerifiedChainCacheCounters()
    // One atomic per case: `Atomic` is not copyable, so it cannot live in an array.
    private let handshakeNoCertificate = Atomic<Int>(0)
    private let handshakeUnknownCA = Atomic<Int>(0)
    private let handshakeExpired = Atomic<Int>(0)
    private let handshakeProtocol = Atomic<Int>(0)
    private let handshakeTimeout = Atomic<Int>(0)
    private let handshakeOther = Atomic<Int>(0)
    private let errorBadRequest = Atomic<Int>(0)
    private let errorTimeout = Atomic<Int>(0)
    private let errorTLS = Atomic<Int>(0)
    private let errorSocket = Atomic<Int>(0)
    private let errorAcceptResources = Atomic<Int>(0)

    public init() {}

    /// Counter: failed TLS handshakes for `reason`.
    public func handshakesFailed(_ reason: HandshakeFailure) -> Int {
        self.withCounter(reason) { $0.load(ordering: .relaxed) }
    }

    /// Counter: failed TLS handshakes, all reasons.
    public var handshakesFailedTotal: Int {
        HandshakeFailure.allCases.reduce(0) { $0 + self.handshakesFailed($1) }
    }

    /// Counter: errors of `kind`.
    public func errors(_ kind: ErrorKind) -> Int {
        self.withCounter(kind) { $0.load(ordering: .relaxed) }
    }

    func recordHandshakeFailure(_ reason: HandshakeFailure) {
        _ = self.withCounter(reason) { $0.add(1, ordering: .relaxed) }
    }

    func recordError(_ kind: ErrorKind) {
        _ = self.withCounter(kind) { $0.add(1, ordering: .relaxed) }
    }

    func recordRequest() {
        self.requests.add(1, ordering: .relaxed)
    }

    func recordShed() {
        self.shed.add(1, ordering: .relaxed)
    }

    private func withCounter<R>(_ reason: HandshakeFailure, _ body: (borrowing Atomic<Int>) -> R) -> R {
        switch reason {
        case .noCertificate: body(self.handshakeNoCertificate)
        case .unknownCA: body(self.handshakeUnknownCA)
        case .expired: body(self.handshakeExpired)
        case .protocolError: body(self.handshakeProtocol)
        case .timeout: body(self.handshakeTimeout)
        case .other: body(self.handshakeOther)
        }
    }

    private func withCounter<R>(_ kind: ErrorKind, _ body: (borrowing Atomic<Int>) -> R) -> R {
        switch kind {
        case .badRequest: body(self.errorBadRequest)
        case .timeout: body(self.errorTimeout)
        case .tls: body(self.errorTLS)
        case .socket: body(self.errorSocket)
        case .acceptResources: body(self.errorAcceptResources)
        }
    }

    /// Reserves an in-flight slot; false (and nothing reserved) when `limit` is reached.
    func tryAcquireInFlight(limit: Int) -> Bool {
        let after = self.requestsInFlight.add(1, ordering: .relaxed).newValue
        if after > limit {
            self.requestsInFlight.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func releaseInFlight(_ count: Int = 1) {
        self.requestsInFlight.subtract(count, ordering: .relaxed)
    }
}
