/// The application protocol of one connection (HTTP/1.1 or HTTP/2), seen by the connection that
/// owns the socket and the TLS session.
///
/// Handlers are sans-I/O: they take plaintext bytes in, call the ``Responder`` synchronously, and
/// queue plaintext bytes out. The connection (TLS, socket, epoll interest, timers) drives them:
///
/// 1. On readable: decrypt, then ``receive(_:now:)`` with what was read.
/// 2. Then ``produceOutput(into:limit:)`` and encrypt/write what it appended; stop reading while
///    the connection's own output buffer is over its cap (bounded output).
/// 3. Re-arm the timer for ``nextDeadline``; call ``deadlineReached(now:)`` when it passes.
/// 4. Close once ``isFinished`` is true and all output has been written.
///
/// A handler is confined to the loop thread of its connection; it is not `Sendable`.
public protocol HTTPProtocolHandler: AnyObject {
    /// Feeds plaintext bytes from the peer. Complete requests are answered synchronously, here or
    /// from the next ``produceOutput(into:limit:)`` calls (HTTP/2 answers in bursts, so a burst can
    /// be written before the next is computed).
    func receive(_ bytes: UnsafeRawBufferPointer, now: ContinuousClock.Instant)

    /// Appends up to about `limit` bytes of pending plaintext output to `output`.
    func produceOutput(into output: inout [UInt8], limit: Int)

    /// True while the handler has output that ``produceOutput(into:limit:)`` would return.
    var hasPendingOutput: Bool { get }

    /// True when the handler wants no more input (it may still have output to flush).
    var isFinished: Bool { get }

    /// The next instant at which ``deadlineReached(now:)`` must be called (idle, header, body,
    /// write-progress timeouts), or `nil`.
    var nextDeadline: ContinuousClock.Instant? { get }

    /// Called at or after ``nextDeadline``: time out what is due (GOAWAY first for HTTP/2).
    func deadlineReached(now: ContinuousClock.Instant)

    /// Called when a graceful shutdown starts, before the connection reads what the client has
    /// already sent and then calls ``beginGracefulShutdown()``: HTTP/1.1 answers every request
    /// from here on with `Connection: close`. Default: nothing.
    func prepareGracefulShutdown()

    /// Starts a graceful shutdown: HTTP/2 sends GOAWAY, HTTP/1.1 answers the request in flight
    /// with `Connection: close` (or finishes at once between requests); in-flight requests still
    /// complete.
    func beginGracefulShutdown()
}

extension HTTPProtocolHandler {
    public func prepareGracefulShutdown() {}
}
