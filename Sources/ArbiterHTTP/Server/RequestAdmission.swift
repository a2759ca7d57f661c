/// The server-wide bound on requests in flight, handed to every connection's protocol handler.
///
/// A request holds a slot from the moment it is admitted (just before the responder runs) until
/// its response has been handed on towards TLS: HTTP/1.1 when the connection takes the response's
/// last byte, HTTP/2 when libnghttp2 takes the last byte of its body. A request that finds every
/// slot taken is answered with a fast 503 instead (no `Retry-After`: kube-apiserver does not retry
/// a plain 503, so it fails fast rather than waiting out its webhook timeout).
///
/// Both protocols share one counter, ``HTTPServerMetrics/requestsInFlight``, so the limit holds
/// whatever mix of HTTP/1.1 and HTTP/2 connections the clients open.
public struct RequestAdmission: Sendable {
    let metrics: HTTPServerMetrics?
    let limit: Int

    /// Counts in `metrics` and admits at most `limit` requests at a time.
    public init(metrics: HTTPServerMetrics, limit: Int) {
        self.metrics = metrics
        self.limit = limit
    }

    /// Admits every request and counts nothing (tests and handlers used on their own).
    public static var unlimited: RequestAdmission { RequestAdmission(metrics: nil, limit: .max) }

    private init(metrics: HTTPServerMetrics?, limit: Int) {
        self.metrics = metrics
        self.limit = limit
    }

    /// Reserves a slot; false (nothing reserved, and the shed counted) when every slot is taken.
    func tryAcquire() -> Bool {
        guard let metrics else { return true }
        if metrics.tryAcquireInFlight(limit: self.limit) { return true }
        metrics.recordShed()
        return false
    }

    /// Gives back `count` slots taken by ``tryAcquire()``.
    func release(_ count: Int = 1) {
        self.metrics?.releaseInFlight(count)
    }
}
