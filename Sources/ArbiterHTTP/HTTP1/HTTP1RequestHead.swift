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
    /// The path part of the target.
    public var path: String
    /// The query part of the target, without `?`.
    public var query: String
    /// The method is `HEAD` (the answer carries no body).
    var isHEAD: Bool
    /// True for HTTP/1.1, false for HTTP/1.0.
    public var isHTTP11: Bool
    /// Fields in arrival order, names lower-cased; made from the received bytes on each access.
    public var headers: [HTTPField] { self.fieldBlock.fields }
    /// The validated field lines as received (see ``HTTP1FieldBlock``).
    var fieldBlock: HTTP1FieldBlock
    public var framing: Framing
    /// The connection stays open after the response (version default and `Connection` tokens).
    public var keepAlive: Bool
    /// `Expect: 100-continue` was sent.
    public var expectsContinue: Bool
    /// An `Expect` value other than `100-continue` was sent (answered with 417).
    public var hasUnsupportedExpectation: Bool

    /// A placeholder for "no head yet".
    static let none = HTTP1RequestHead(
        method: "", target: "", path: "", query: "", isHEAD: false, isHTTP11: true, fieldBlock: .empty,
        framing: .none, keepAlive: true, expectsContinue: false, hasUnsupportedExpectation: false)
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
