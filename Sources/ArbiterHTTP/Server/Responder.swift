/// Answers requests; the one thing the layer above the transport implements.
///
/// `respond(to:)` runs synchronously on the loop thread that owns the connection, so it must be
/// fast (Arbiter's work is microseconds) and must not block. It may be called from several loop
/// threads at once, hence `Sendable`. A responder that cannot answer returns a 5xx itself; the
/// transport never turns a responder's answer into anything else.
public protocol Responder: Sendable {
    func respond(to request: HTTPRequest) -> HTTPResponse

    /// The answer to a request the transport refuses itself, before or instead of
    /// ``respond(to:)``: malformed framing (400), a timeout (408), a body or head over its limit
    /// (413, 414, 431), an expectation or coding it does not support (417, 501), overload (503).
    /// `reason` is one short line. By default a plain-text body; a responder whose clients expect
    /// another error format (Kubernetes `Status` objects) gives its own.
    func transportError(status: Int, reason: String) -> HTTPResponse
}

extension Responder {
    public func transportError(status: Int, reason: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [(name: "content-type", value: "text/plain; charset=utf-8")], body: Array("\(reason)\n".utf8))
    }
}

/// Answers every request with a fast 503 (no `Retry-After`: kube-apiserver does not retry a plain
/// 503, so it fails fast instead of waiting out its webhook timeout) and counts it as shed: what
/// the requests of an HTTP/2 connection over ``HTTPServer/Configuration/maxConnections`` get.
/// (HTTP/1.1 connections over the limit get the same answer from their handler.)
struct SheddingResponder: Responder {
    let metrics: HTTPServerMetrics
    /// The server's responder, for the format of the answer (never asked to respond).
    let errors: any Responder

    func respond(to request: HTTPRequest) -> HTTPResponse {
        self.metrics.recordShed()
        return self.errors.transportError(status: 503, reason: "overloaded")
    }

    func transportError(status: Int, reason: String) -> HTTPResponse {
        self.errors.transportError(status: status, reason: reason)
    }
}
