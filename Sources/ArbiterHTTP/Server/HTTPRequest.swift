/// One HTTP request, complete with its body, as the transport hands it to a ``Responder``.
///
/// The transport knows nothing of Kubernetes: it parses, enforces limits and hands over values.
public struct HTTPRequest: Sendable {
    public enum ProtocolVersion: String, Sendable {
        case http1_1 = "HTTP/1.1"
        case http2 = "HTTP/2"
    }

    /// The method as sent (`POST`, `GET`, ...); HTTP methods are case-sensitive.
    public var method: String
    /// The path without the query (`/authorize`), exactly as sent (no normalisation).
    public var path: String
    /// The query without the `?`, or `""`.
    public var query: String
    /// Header fields in arrival order; names are lower-cased by the transport.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// The verified client certificate's identity, or `nil` without client authentication.
    public var peer: PeerIdentity?
    public var protocolVersion: ProtocolVersion

    public init(
        method: String, path: String, query: String = "", headers: [(name: String, value: String)] = [],
        body: [UInt8] = [], peer: PeerIdentity? = nil, protocolVersion: ProtocolVersion = .http1_1
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.peer = peer
        self.protocolVersion = protocolVersion
    }

    /// The first value of a header field, by lower-case name.
    public func header(_ lowercasedName: String) -> String? {
        for field in headers where field.name == lowercasedName {
            return field.value
        }
        return nil
    }
}
