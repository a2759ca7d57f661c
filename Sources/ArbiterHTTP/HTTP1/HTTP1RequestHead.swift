/// A parsed, validated request head.
public struct HTTP1RequestHead: Sendable, Equatable {
    /// How the body is framed.
    public enum Framing: Sendable, Equatable {
        case none
        case contentLength(Int)
        case chunked
    }

    public var method: String
    /// The request target as sent (origin form: path and optional query).
    public var target: String
    /// True for HTTP/1.1, false for HTTP/1.0.
    public var isHTTP11: Bool
    /// Fields in arrival order, names lower-cased.
    public var headers: [HTTPField]
    public var framing: Framing
    /// The connection stays open after the response (version default and `Connection` tokens).
    public var keepAlive: Bool
    /// `Expect: 100-continue` was sent.
    public var expectsContinue: Bool
    /// An `Expect` value other than `100-continue` was sent (answered with 417).
    public var hasUnsupportedExpectation: Bool

    /// The path part of the target.
    public var path: String {
        guard let mark = self.target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return self.target }
        return String(self.target[..<mark])
    }

    /// The query part of the target, without `?`.
    public var query: String {
        guard let mark = self.target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return "" }
        return String(self.target[self.target.utf8.index(after: mark)...])
    }
}

/// One header field; the name is lower-case.
public struct HTTPField: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
