/// Why the HTTP/1.1 parser rejected a request; each maps to one status and always closes.
public struct HTTP1ParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// Any syntax or framing error, including every request-smuggling shape (400).
        case badRequest
        /// The request target is longer than allowed (414).
        case uriTooLong
        /// The head is larger than allowed or has too many fields (431).
        case headerFieldsTooLarge
        /// The declared or received body is larger than allowed (413).
        case contentTooLarge
        /// A transfer coding other than `chunked` (501).
        case notImplemented
        /// An HTTP version other than 1.0 or 1.1 (505).
        case versionNotSupported
    }

    public var code: Code
    /// A short lower-case reason, also sent as the response body.
    public var reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    /// Equal on ``code`` only.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// The response status for this error.
    public var status: Int {
        switch self.code {
        case .badRequest: 400
        case .uriTooLong: 414
        case .headerFieldsTooLarge: 431
        case .contentTooLarge: 413
        case .notImplemented: 501
        case .versionNotSupported: 505
        }
    }

    public var description: String { "\(self.status): \(self.reason)" }
}
