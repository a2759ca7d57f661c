/// Answers requests; the one thing the layer above the transport implements.
///
/// `respond(to:)` runs synchronously on the loop thread that owns the connection, so it must be
/// fast (Arbiter's work is microseconds) and must not block. It may be called from several loop
/// threads at once, hence `Sendable`. A responder that cannot answer returns a 5xx itself; the
/// transport never turns a responder's answer into anything else.
public protocol Responder: Sendable {
    func respond(to request: HTTPRequest) -> HTTPResponse
}

/// Answers every request with a fast 503 (no `Retry-After`: kube-apiserver does not retry a plain
/// 503, so it fails fast instead of waiting out its webhook timeout) and counts it as shed: what
/// the requests of an HTTP/2 connection over ``HTTPServer/Configuration/maxConnections`` get.
/// (HTTP/1.1 connections over the limit get the same answer from their handler.)
struct SheddingResponder: Responder {
    let metrics: HTTPServerMetrics

    func respond(to request: HTTPRequest) -> HTTPResponse {
        self.metrics.recordShed()
        return HTTPResponse(
            status: 503, headers: [(name: "content-type", value: "text/plain; charset=utf-8")],
            body: Array("overloaded\n".utf8))
    }
}
