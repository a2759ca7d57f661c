/// Limits and timeouts of the HTTP/1.1 handler.
///
/// Every limit answers with the status RFC 9110 names for it: head too large or too many fields →
/// 431, request target too long → 414, body over ``maxBodyBytes`` → 413 (sent as soon as the head
/// shows it, before any body byte is read). Every timeout closes the connection.
public struct HTTP1Configuration: Sendable {
    /// Request line plus header section, in bytes.
    public var maxHeaderBytes: Int
    /// Header fields per request (trailer fields count too).
    public var maxHeaderCount: Int
    /// Request target (path and query), in bytes.
    public var maxURIBytes: Int
    /// Decoded body, in bytes.
    public var maxBodyBytes: Int
    /// Connection idle between requests before it is closed.
    public var idleTimeout: Duration
    /// Time allowed to receive a complete request head once its first byte has arrived.
    public var headerTimeout: Duration
    /// Time allowed to receive a complete body once the head is complete.
    public var bodyTimeout: Duration
    /// Time allowed to receive a whole request (head and body) once its first byte has
    /// arrived, whatever the two timeouts above allow each part.
    public var requestTimeout: Duration
    /// Plaintext output the handler queues before it stops parsing pipelined requests.
    public var maxQueuedOutputBytes: Int

    public init(
        maxHeaderBytes: Int = 16 * 1024, maxHeaderCount: Int = 64, maxURIBytes: Int = 4096,
        maxBodyBytes: Int = 1024 * 1024, idleTimeout: Duration = .seconds(60),
        headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(10),
        requestTimeout: Duration = .seconds(20), maxQueuedOutputBytes: Int = 256 * 1024
    ) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxURIBytes = maxURIBytes
        self.maxBodyBytes = maxBodyBytes
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.requestTimeout = requestTimeout
        self.maxQueuedOutputBytes = maxQueuedOutputBytes
    }
}
