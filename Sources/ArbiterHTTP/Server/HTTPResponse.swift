/// One HTTP response produced by a ``Responder``.
///
/// The transport adds framing headers itself (`content-length`, `date` is omitted on purpose, and
/// `connection` for HTTP/1.1); a responder sets only its own (`content-type`, ...).
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header fields; names must be lower-case (HTTP/2 requires it).
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

extension HTTPResponse {
    /// The reason phrase Arbiter writes in an HTTP/1.1 status line for `status` (`"Status"` for a
    /// code it does not name), so that every listener speaks the same status lines.
    public static func reasonPhrase(for status: Int) -> String {
        HTTP1ResponseWriter.reasonPhrase(status).description
    }
}
