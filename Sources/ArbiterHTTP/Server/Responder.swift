/// Answers requests; the one thing the layer above the transport implements.
///
/// `respond(to:)` runs synchronously on the loop thread that owns the connection, so it must be
/// fast (Arbiter's work is microseconds) and must not block. It may be called from several loop
/// threads at once, hence `Sendable`. A responder that cannot answer returns a 5xx itself; the
/// transport never turns a responder's answer into anything else.
public protocol Responder: Sendable {
    func respond(to request: HTTPRequest) -> HTTPResponse
}
