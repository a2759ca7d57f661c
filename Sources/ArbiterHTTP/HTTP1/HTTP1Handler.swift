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
    /// What the handler is waiting for; drives the timeouts.
    private enum Phase {
        /// Between requests (idle timeout).
        case idle(since: ContinuousClock.Instant)
        /// Reading a request head (header timeout).
        case head(since: ContinuousClock.Instant)
        /// Reading a request body (body timeout).
        case body(since: ContinuousClock.Instant)
    }

    private let responder: any Responder
    private let peer: PeerIdentity?
    private let configuration: HTTP1Configuration
    private let metrics: HTTPServerMetrics?
    private let maxRequestsInFlight: Int
    private let shedAllRequests: Bool

    private var parser: HTTP1RequestParser
    private var input: [UInt8] = []
    private var inputStart = 0
    private var currentHead: HTTP1RequestHead?
    private var currentBody: [UInt8] = []
    private var phase: Phase
    private var lastNow: ContinuousClock.Instant

    private var output: [UInt8] = []
    private var outputStart = 0
    /// Bytes ever queued / handed out, to know when each in-flight response has left.
    private var queuedTotal = 0
    private var producedTotal = 0
    /// `queuedTotal` at the end of each response that holds an in-flight slot, oldest first.
    private var inFlightEnds: [Int] = []

    private var finished = false
    private var closeAfterCurrent = false

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

    deinit {
        // Responses never written (connection closed early) give their slots back.
        if !self.inFlightEnds.isEmpty { self.metrics?.releaseInFlight(self.inFlightEnds.count) }
    }

    // MARK: - HTTPProtocolHandler

    public func receive(_ bytes: UnsafeRawBufferPointer, now: ContinuousClock.Instant) {
        self.lastNow = now
        guard !self.finished, bytes.count > 0 else { return }
        self.input.append(contentsOf: bytes)
        if case .idle = self.phase { self.phase = .head(since: now) }
        self.processInput(now: now)
    }

    public func produceOutput(into output: inout [UInt8], limit: Int) {
        let count = min(limit, self.output.count - self.outputStart)
        guard count > 0 else { return }
        output.append(contentsOf: self.output[self.outputStart..<(self.outputStart + count)])
        self.outputStart += count
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
        if !self.finished && self.inputStart < self.input.count { self.processInput(now: self.lastNow) }
    }

    public var hasPendingOutput: Bool { self.outputStart < self.output.count }

    public var isFinished: Bool { self.finished }

    public var nextDeadline: ContinuousClock.Instant? {
        guard !self.finished else { return nil }
        switch self.phase {
        case .idle(let since): return since + self.configuration.idleTimeout
        case .head(let since): return since + self.configuration.headerTimeout
        case .body(let since): return since + self.configuration.bodyTimeout
        }
    }

    public func deadlineReached(now: ContinuousClock.Instant) {
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

    public func beginGracefulShutdown() {
        self.closeAfterCurrent = true
        if case .idle = self.phase, self.inputStart == self.input.count { self.finished = true }
    }

    // MARK: - Input

    private var queuedOutputBytes: Int { self.output.count - self.outputStart }

    private func processInput(now: ContinuousClock.Instant) {
        while !self.finished && self.queuedOutputBytes < self.configuration.maxQueuedOutputBytes {
            let (event, consumed) = self.input.withUnsafeBytes { buffer in
                self.parser.parse(UnsafeRawBufferPointer(rebasing: buffer[self.inputStart...]))
            }
            let base = self.inputStart
            self.inputStart += consumed
            switch event {
            case .needMore:
                self.compactInput()
                return
            case .head(let head):
                self.phase = .body(since: now)
                if head.hasUnsupportedExpectation {
                    self.fail(status: 417, reason: "unsupported expectation")
                    return
                }
                if head.expectsContinue {
                    self.enqueue(HTTP1ResponseWriter.continueResponse)
                }
                self.currentHead = head
                self.currentBody = []
            case .body(let range):
                self.currentBody.append(contentsOf: self.input[(base + range.lowerBound)..<(base + range.upperBound)])
            case .end:
                self.completeRequest()
                self.phase = self.inputStart < self.input.count ? .head(since: now) : .idle(since: now)
                if self.closeAfterCurrent, case .idle = self.phase { self.finished = true }
            case .failure(let error):
                self.metrics?.recordError(.badRequest)
                self.fail(status: error.status, reason: error.reason)
                return
            }
        }
        self.compactInput()
    }

    private func compactInput() {
        if self.inputStart == self.input.count {
            self.input.removeAll(keepingCapacity: self.input.capacity <= 64 * 1024)
            self.inputStart = 0
        } else if self.inputStart > 4096 && self.inputStart * 2 > self.input.count {
            self.input.removeFirst(self.inputStart)
            self.inputStart = 0
        }
    }

    // MARK: - Answers

    private func completeRequest() {
        guard let head = self.currentHead else { return }
        self.currentHead = nil
        let body = self.currentBody
        self.currentBody = []
        if self.shedAllRequests || !(self.metrics?.tryAcquireInFlight(limit: self.maxRequestsInFlight) ?? true) {
            self.metrics?.recordShed()
            // No Retry-After: kube-apiserver does not retry a plain 503, so it fails fast.
            self.fail(status: 503, reason: "overloaded", close: self.shedAllRequests || !head.keepAlive)
            return
        }
        let request = HTTPRequest(
            method: head.method, path: head.path, query: head.query,
            headers: head.headers.map { (name: $0.name, value: $0.value) }, body: body, peer: self.peer,
            protocolVersion: .http1_1)
        let response = self.responder.respond(to: request)
        self.metrics?.recordRequest()
        let close = !head.keepAlive || self.closeAfterCurrent
        let before = self.output.count
        HTTP1ResponseWriter.write(
            response, close: close, omitBody: head.method == "HEAD", http10KeepAlive: !head.isHTTP11 && !close,
            into: &self.output)
        self.queuedTotal += self.output.count - before
        if self.metrics != nil { self.inFlightEnds.append(self.queuedTotal) }
        if close { self.finished = true }
    }

    /// Queues an error answer; with `close` (the default) the handler takes no more input.
    private func fail(status: Int, reason: String, close: Bool = true) {
        var bytes: [UInt8] = []
        HTTP1ResponseWriter.writeError(status: status, reason: reason, close: close, into: &bytes)
        self.enqueue(bytes)
        if close { self.finished = true }
    }

    private func enqueue(_ bytes: [UInt8]) {
        self.output.append(contentsOf: bytes)
        self.queuedTotal += bytes.count
    }
}

@available(*, unavailable)
extension HTTP1Handler: Sendable {}
