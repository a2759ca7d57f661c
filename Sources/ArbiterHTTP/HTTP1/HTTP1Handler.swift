/// The HTTP/1.1 ``HTTPProtocolHandler``: parses requests, calls the ``Responder`` and queues the
/// answers in order.
///
/// Pipelined requests are answered one after the other as they complete, so responses leave in
/// request order by construction. Parsing pauses while more than
/// ``HTTP1Configuration/maxQueuedOutputBytes`` of answers wait to be written, which (with the
/// connection not reading while output is pending) bounds memory per connection.
///
/// Any parse error is answered with its status and `connection: close`, and the handler then takes
/// no more input: after a framing error nothing that follows can be trusted.
public final class HTTP1Handler: HTTPProtocolHandler {
    /// Everything that changes while the connection is served, in one value; inside ``Core`` every
    /// access is checked statically.
    ///
    /// INVARIANT (no-reentry): the handler is confined to its loop thread and each method makes one
    /// access to `core` that ends before it returns; nothing reachable from inside an access (the
    /// parser, the responder, the writer) holds a reference to the handler, so no two accesses can
    /// overlap. Debug builds check that at run time; release builds of this module skip the checks
    /// (`-enforce-exclusivity=unchecked`, see Package.swift), which cost two calls per access.
    private var core: Core
    /// The origin of the handler's times. ``Core`` keeps times as `Duration`s since this instant:
    /// `ContinuousClock.Instant` is a resilient type, so every value containing one (a phase, an
    /// optional deadline, the whole core) would be copied and destroyed through runtime value
    /// witnesses on every request, where a `Duration` is plain data.
    private let origin: ContinuousClock.Instant

    /// Creates a handler for one connection.
    ///
    /// - Parameters:
    ///   - responder: answers complete requests, synchronously.
    ///   - peer: the verified client identity, attached to every request.
    ///   - metrics: counters to update (requests, in-flight, shed, bad requests, timeouts).
    ///   - maxRequestsInFlight: above this many answered-but-unwritten requests server-wide, answer 503.
    ///   - shedAllRequests: answer every request with 503 and close (the connection is over the
    ///     server's connection limit).
    public init(
        responder: any Responder, peer: PeerIdentity?, configuration: HTTP1Configuration = HTTP1Configuration(),
        metrics: HTTPServerMetrics? = nil, maxRequestsInFlight: Int = .max, shedAllRequests: Bool = false,
        now: ContinuousClock.Instant = .now
    ) {
        self.origin = now
        self.core = Core(
            responder: responder, peer: peer, configuration: configuration, metrics: metrics,
            maxRequestsInFlight: maxRequestsInFlight, shedAllRequests: shedAllRequests, now: .zero)
    }

    deinit {
        // Responses never written (connection closed early) give their slots back.
        if !self.core.inFlightEnds.isEmpty { self.core.metrics?.releaseInFlight(self.core.inFlightEnds.count) }
    }

    // MARK: - HTTPProtocolHandler

    public func receive(_ bytes: UnsafeRawBufferPointer, now: ContinuousClock.Instant) {
        self.core.receive(bytes, now: now - self.origin)
    }

    public func produceOutput(into output: inout [UInt8], limit: Int) {
        self.core.produceOutput(into: &output, limit: limit)
    }

    public var hasPendingOutput: Bool { self.core.hasPendingOutput }

    public var isFinished: Bool { self.core.finished }

    public var nextDeadline: ContinuousClock.Instant? {
        // Field reads only: calling a getter on `core` would copy the whole struct.
        guard !self.core.finished else { return nil }
        return self.origin + self.core.phase.deadline(self.core.configuration)
    }

    public func deadlineReached(now: ContinuousClock.Instant) {
        self.core.deadlineReached(now: now - self.origin)
    }

    public func prepareGracefulShutdown() {
        self.core.closeAfterCurrent = true
    }

    public func beginGracefulShutdown() {
        self.core.beginGracefulShutdown()
    }
}

@available(*, unavailable)
extension HTTP1Handler: Sendable {}

extension HTTP1Handler {
    /// What the handler is waiting for, since when (relative to ``HTTP1Handler/origin``); drives
    /// the timeouts.
    enum Phase {
        /// Between requests (idle timeout).
        case idle(since: Duration)
        /// Reading a request head (header timeout).
        case head(since: Duration)
        /// Reading a request body (body timeout), of a request whose head began at `requestStart`
        /// (request timeout).
        case body(since: Duration, requestStart: Duration)

        /// When this phase times out: its own timeout, and for a request being read, no later
        /// than ``HTTP1Configuration/requestTimeout`` after its first byte.
        func deadline(_ configuration: HTTP1Configuration) -> Duration {
            switch self {
            case .idle(let since): return since + configuration.idleTimeout
            case .head(let since): return since + min(configuration.headerTimeout, configuration.requestTimeout)
            case .body(let since, let requestStart):
                return min(since + configuration.bodyTimeout, requestStart + configuration.requestTimeout)
            }
        }
    }

    /// The handler's state and logic (see ``HTTP1Handler/core``).
    struct Core {
        let responder: any Responder
        let peer: PeerIdentity?
        let configuration: HTTP1Configuration
        let metrics: HTTPServerMetrics?
        let maxRequestsInFlight: Int
        let shedAllRequests: Bool

        var parser: HTTP1RequestParser
        /// Input not yet consumed by the parser, from `inputStart`. Usually empty between events:
        /// input is parsed straight from the connection's read buffer and only a partial request
        /// is copied here.
        var input: [UInt8] = []
        var inputStart = 0
        /// The body of the request being read; its head is the parser's ``HTTP1RequestParser/head``.
        var currentBody: [UInt8] = []
        var phase: Phase
        var lastNow: Duration

        var output: [UInt8] = []
        var outputStart = 0
        /// Bytes ever queued / handed out, to know when each in-flight response has left.
        var queuedTotal = 0
        var producedTotal = 0
        /// `queuedTotal` at the end of each response that holds an in-flight slot, oldest first.
        var inFlightEnds: [Int] = []

        var finished = false
        var closeAfterCurrent = false

        init(
            responder: any Responder, peer: PeerIdentity?, configuration: HTTP1Configuration,
            metrics: HTTPServerMetrics?, maxRequestsInFlight: Int, shedAllRequests: Bool, now: Duration
        ) {
            self.responder = responder
            self.peer = peer
            self.configuration = configuration
            self.metrics = metrics
            self.maxRequestsInFlight = maxRequestsInFlight
            self.shedAllRequests = shedAllRequests
            self.parser = HTTP1RequestParser(configuration: configuration)
            self.phase = .idle(since: now)
            self.lastNow = now
        }

        mutating func receive(_ bytes: UnsafeRawBufferPointer, now: Duration) {
            self.lastNow = now
            guard !self.finished, bytes.count > 0 else { return }
            if case .idle = self.phase { self.phase = .head(since: now) }
            if self.inputStart == self.input.count {
                // Nothing buffered: parse the caller's bytes where they are, keep only the rest.
                let consumed = self.process(bytes, now: now)
                if consumed < bytes.count {
                    self.input.removeAll(keepingCapacity: true)
                    self.inputStart = 0
                    self.input.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[consumed...]))
                }
            } else {
                self.input.append(contentsOf: bytes)
                self.processBufferedInput(now: now)
            }
        }

        mutating func produceOutput(into output: inout [UInt8], limit: Int) {
            let count = min(limit, self.output.count - self.outputStart)
            guard count > 0 else { return }
            if output.isEmpty && self.outputStart == 0 && count == self.output.count {
                // Everything fits: hand over the buffer instead of copying it (the caller's empty
                // buffer, with its capacity, becomes ours).
                swap(&output, &self.output)
            } else {
                output.append(contentsOf: self.output[self.outputStart..<(self.outputStart + count)])
                self.outputStart += count
            }
            self.producedTotal += count
            var released = 0
            while let end = self.inFlightEnds.first, end <= self.producedTotal {
                self.inFlightEnds.removeFirst()
                released += 1
            }
            if released > 0 { self.metrics?.releaseInFlight(released) }
            if self.outputStart == self.output.count {
                self.output.removeAll(keepingCapacity: self.output.capacity <= 64 * 1024)
                self.outputStart = 0
            }
            // Output drained below the cap: parse the pipelined requests that were waiting.
            if !self.finished && self.inputStart < self.input.count { self.processBufferedInput(now: self.lastNow) }
        }

        var hasPendingOutput: Bool { self.outputStart < self.output.count }

        var nextDeadline: Duration? {
            guard !self.finished else { return nil }
            return self.phase.deadline(self.configuration)
        }

        mutating func deadlineReached(now: Duration) {
            self.lastNow = now
            guard !self.finished, let deadline = self.nextDeadline, deadline <= now else { return }
            switch self.phase {
            case .idle:
                self.finished = true
            case .head, .body:
                self.metrics?.recordError(.timeout)
                self.fail(status: 408, reason: "request timeout")
            }
        }

        mutating func beginGracefulShutdown() {
            self.closeAfterCurrent = true
            if case .idle = self.phase, self.inputStart == self.input.count { self.finished = true }
        }

        // MARK: - Input

        private var queuedOutputBytes: Int { self.output.count - self.outputStart }

        /// Parses what waits in ``input``.
        private mutating func processBufferedInput(now: Duration) {
            // A second reference to the storage while parsing: `process` never changes `input`.
            let input = self.input
            let start = self.inputStart
            let consumed = input.withUnsafeBytes { buffer in
                self.process(UnsafeRawBufferPointer(rebasing: buffer[start...]), now: now)
            }
            self.inputStart += consumed
            self.compactInput()
        }

        /// Parses and answers the requests in `buffer` until it needs more, fails, or output is
        /// over its cap; returns how many bytes were consumed.
        private mutating func process(_ buffer: UnsafeRawBufferPointer, now: Duration) -> Int {
            var offset = 0
            while !self.finished && self.queuedOutputBytes < self.configuration.maxQueuedOutputBytes {
                let (step, consumed) = self.parser.step(UnsafeRawBufferPointer(rebasing: buffer[offset...]))
                let base = offset
                offset += consumed
                switch step {
                case .needMore:
                    return offset
                case .head:
                    if case .head(let start) = self.phase {
                        self.phase = .body(since: now, requestStart: start)
                    } else {
                        self.phase = .body(since: now, requestStart: now)
                    }
                    if self.parser.head.hasUnsupportedExpectation {
                        self.fail(status: 417, reason: "unsupported expectation")
                        return offset
                    }
                    if self.parser.head.expectsContinue {
                        self.enqueue(HTTP1ResponseWriter.continueResponse)
                    }
                    self.currentBody = []
                case .body(let range):
                    self.currentBody.append(
                        contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(base + range.lowerBound)..<(base + range.upperBound)]))
                case .end:
                    self.completeRequest()
                    self.phase = offset < buffer.count ? .head(since: now) : .idle(since: now)
                    if self.closeAfterCurrent, case .idle = self.phase { self.finished = true }
                case .failure:
                    let error = self.parser.error ?? HTTP1ParseError(.badRequest, "malformed request")
                    self.metrics?.recordError(.badRequest)
                    self.fail(status: error.status, reason: error.reason)
                    return offset
                }
            }
            return offset
        }

        private mutating func compactInput() {
            if self.inputStart == self.input.count {
                self.input.removeAll(keepingCapacity: self.input.capacity <= 64 * 1024)
                self.inputStart = 0
            } else if self.inputStart > 4096 && self.inputStart * 2 > self.input.count {
                self.input.removeFirst(self.inputStart)
                self.inputStart = 0
            }
        }

        // MARK: - Answers

        /// Answers the request whose head is the parser's ``HTTP1RequestParser/head``.
        private mutating func completeRequest() {
            let keepAlive = self.parser.head.keepAlive
            let body = self.currentBody
            self.currentBody = []
            if self.shedAllRequests || !(self.metrics?.tryAcquireInFlight(limit: self.maxRequestsInFlight) ?? true) {
                self.metrics?.recordShed()
                // No Retry-After: kube-apiserver does not retry a plain 503, so it fails fast.
                // A HEAD request's answer has no body, or a kept-alive connection loses its framing.
                self.fail(
                    status: 503, reason: "overloaded", close: self.shedAllRequests || !keepAlive, omitBody: self.parser.head.isHEAD)
                return
            }
            let request = HTTPRequest(
                method: self.parser.head.method, path: self.parser.head.path, query: self.parser.head.query,
                fieldBlock: self.parser.head.fieldBlock, body: body, peer: self.peer)
            let response = self.responder.respond(to: request)
            self.metrics?.recordRequest()
            let close = !keepAlive || self.closeAfterCurrent
            let before = self.output.count
            HTTP1ResponseWriter.write(
                response, close: close, omitBody: self.parser.head.isHEAD,
                http10KeepAlive: !self.parser.head.isHTTP11 && !close, into: &self.output)
            self.queuedTotal += self.output.count - before
            if self.metrics != nil { self.inFlightEnds.append(self.queuedTotal) }
            if close { self.finished = true }
        }

        /// Queues an error answer; with `close` (the default) the handler takes no more input.
        private mutating func fail(status: Int, reason: String, close: Bool = true, omitBody: Bool = false) {
            var bytes: [UInt8] = []
            HTTP1ResponseWriter.write(
                self.responder.transportError(status: status, reason: reason), close: close, omitBody: omitBody, into: &bytes)
            self.enqueue(bytes)
            if close { self.finished = true }
        }

        private mutating func enqueue(_ bytes: [UInt8]) {
            self.output.append(contentsOf: bytes)
            self.queuedTotal += bytes.count
        }
    }
}
