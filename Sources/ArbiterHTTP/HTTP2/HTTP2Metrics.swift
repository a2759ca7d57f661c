import Synchronization

/// Why the session sent GOAWAY (or would have, for a peer that never spoke HTTP/2).
public enum HTTP2GoAwayReason: Int, Sendable, CaseIterable {
    /// ``HTTP2Session/beginGracefulShutdown()``.
    case gracefulShutdown
    /// In-flight streams did not finish within the graceful-shutdown timeout.
    case drainTimeout
    /// No open stream for the idle timeout.
    case idleTimeout
    /// Pending output made no progress for the write timeout (zero window, slow reader).
    case writeTimeout
    /// The peer broke the protocol (libnghttp2 detected it).
    case protocolError
    /// SETTINGS, PING, CONTINUATION or other control-frame flood.
    case flood
    /// Too many RST_STREAM frames from the peer (rapid reset).
    case peerResetFlood
    /// Too many RST_STREAM frames sent by us (server-forced resets).
    case serverResetFlood
    /// libnghttp2 failed (out of memory, internal error).
    case internalError
}

/// Counters of the HTTP/2 layer, shared by every session of a server and read by observers.
///
/// Sessions update them on their loop thread with relaxed atomics; readers on any thread get a
/// value that is eventually consistent, which is all a metric needs.
public final class HTTP2Metrics: Sendable {
    private let opened = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)
    private let resetByPeer = Atomic<Int>(0)
    private let resetByUs = Atomic<Int>(0)
    private let completed = Atomic<Int>(0)
    private let headerViolations = Atomic<Int>(0)
    private let bodyViolations = Atomic<Int>(0)
    private let requestTimeouts = Atomic<Int>(0)
    private let floods = Atomic<Int>(0)
    private let goawayCounts = HTTP2GoAwayCounters()

    public init() {}

    /// Request streams opened by peers.
    public var streamsOpened: Int { opened.load(ordering: .relaxed) }
    /// Streams refused with REFUSED_STREAM (over the stream or buffer limit).
    public var streamsRefused: Int { refused.load(ordering: .relaxed) }
    /// RST_STREAM frames received.
    public var streamsResetByPeer: Int { resetByPeer.load(ordering: .relaxed) }
    /// RST_STREAM frames sent (any code, including refusals).
    public var streamsResetByUs: Int { resetByUs.load(ordering: .relaxed) }
    /// Requests answered by the responder.
    public var requestsCompleted: Int { completed.load(ordering: .relaxed) }
    /// Requests whose header list passed the limit (answered 431).
    public var headerListViolations: Int { headerViolations.load(ordering: .relaxed) }
    /// Requests whose body passed the limit (answered 413).
    public var bodyLimitViolations: Int { bodyViolations.load(ordering: .relaxed) }
    /// Streams reset because their request did not arrive in time.
    public var requestReceiveTimeouts: Int { requestTimeouts.load(ordering: .relaxed) }
    /// Connections ended for a flood (SETTINGS/PING/CONTINUATION/control frames, resets).
    public var floodCloses: Int { floods.load(ordering: .relaxed) }

    /// Every counter at once, for logging or a metrics endpoint.
    public struct Snapshot: Sendable, Hashable {
        public var streamsOpened: Int
        public var streamsRefused: Int
        public var streamsResetByPeer: Int
        public var streamsResetByUs: Int
        public var requestsCompleted: Int
        public var headerListViolations: Int
        public var bodyLimitViolations: Int
        public var requestReceiveTimeouts: Int
        public var floodCloses: Int
        /// Indexed by ``HTTP2GoAwayReason/rawValue``.
        public var goawaysSent: [Int]

        /// GOAWAY frames sent for `reason`.
        public func goaways(_ reason: HTTP2GoAwayReason) -> Int {
            goawaysSent.indices.contains(reason.rawValue) ? goawaysSent[reason.rawValue] : 0
        }
    }

    /// Reads every counter (each relaxed; the set is not one atomic cut).
    public func snapshot() -> Snapshot {
        Snapshot(
            streamsOpened: streamsOpened,
            streamsRefused: streamsRefused,
            streamsResetByPeer: streamsResetByPeer,
            streamsResetByUs: streamsResetByUs,
            requestsCompleted: requestsCompleted,
            headerListViolations: headerListViolations,
            bodyLimitViolations: bodyLimitViolations,
            requestReceiveTimeouts: requestReceiveTimeouts,
            floodCloses: floodCloses,
            goawaysSent: HTTP2GoAwayReason.allCases.map { goawaysSent($0) }
        )
    }

    /// GOAWAY frames sent for `reason`.
    public func goawaysSent(_ reason: HTTP2GoAwayReason) -> Int {
        goawayCounts.load(reason)
    }

    func streamOpened() { opened.wrappingAdd(1, ordering: .relaxed) }
    func streamRefused() { refused.wrappingAdd(1, ordering: .relaxed) }
    func streamResetByPeer() { resetByPeer.wrappingAdd(1, ordering: .relaxed) }
    func streamResetByUs() { resetByUs.wrappingAdd(1, ordering: .relaxed) }
    func requestCompleted() { completed.wrappingAdd(1, ordering: .relaxed) }
    func headerListViolation() { headerViolations.wrappingAdd(1, ordering: .relaxed) }
    func bodyLimitViolation() { bodyViolations.wrappingAdd(1, ordering: .relaxed) }
    func requestReceiveTimeout() { requestTimeouts.wrappingAdd(1, ordering: .relaxed) }
    func floodClose() { floods.wrappingAdd(1, ordering: .relaxed) }
    func goawaySent(_ reason: HTTP2GoAwayReason) { goawayCounts.increment(reason) }
}

/// One relaxed counter per ``HTTP2GoAwayReason`` (an `Atomic` cannot live in an array).
final class HTTP2GoAwayCounters: Sendable {
    private let gracefulShutdown = Atomic<Int>(0)
    private let drainTimeout = Atomic<Int>(0)
    private let idleTimeout = Atomic<Int>(0)
    private let writeTimeout = Atomic<Int>(0)
    private let protocolError = Atomic<Int>(0)
    private let flood = Atomic<Int>(0)
    private let peerResetFlood = Atomic<Int>(0)
    private let serverResetFlood = Atomic<Int>(0)
    private let internalError = Atomic<Int>(0)

    init() {}

    func increment(_ reason: HTTP2GoAwayReason) {
        switch reason {
        case .gracefulShutdown: gracefulShutdown.wrappingAdd(1, ordering: .relaxed)
        case .drainTimeout: drainTimeout.wrappingAdd(1, ordering: .relaxed)
        case .idleTimeout: idleTimeout.wrappingAdd(1, ordering: .relaxed)
        case .writeTimeout: writeTimeout.wrappingAdd(1, ordering: .relaxed)
        case .protocolError: protocolError.wrappingAdd(1, ordering: .relaxed)
        case .flood: flood.wrappingAdd(1, ordering: .relaxed)
        case .peerResetFlood: peerResetFlood.wrappingAdd(1, ordering: .relaxed)
        case .serverResetFlood: serverResetFlood.wrappingAdd(1, ordering: .relaxed)
        case .internalError: internalError.wrappingAdd(1, ordering: .relaxed)
        }
    }

    func load(_ reason: HTTP2GoAwayReason) -> Int {
        switch reason {
        case .gracefulShutdown: gracefulShutdown.load(ordering: .relaxed)
        case .drainTimeout: drainTimeout.load(ordering: .relaxed)
        case .idleTimeout: idleTimeout.load(ordering: .relaxed)
        case .writeTimeout: writeTimeout.load(ordering: .relaxed)
        case .protocolError: protocolError.load(ordering: .relaxed)
        case .flood: flood.load(ordering: .relaxed)
        case .peerResetFlood: peerResetFlood.load(ordering: .relaxed)
        case .serverResetFlood: serverResetFlood.load(ordering: .relaxed)
        case .internalError: internalError.load(ordering: .relaxed)
        }
    }
}
