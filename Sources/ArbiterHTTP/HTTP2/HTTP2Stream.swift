/// What an ``HTTP2Session`` keeps about one request stream, from its first HEADERS frame until
/// libnghttp2 closes it.
///
/// A stream first receives (headers, then body). It then either answers (the responder's response
/// is written through the data provider) or is rejected (431/413, or reset), after which any more
/// DATA is dropped.
struct HTTP2Stream {
    enum State {
        /// Headers or body still arriving.
        case receiving
        /// A response was submitted; its body is read by the data provider.
        case responding
        /// Answered early (431, 413) or reset by us: further input is dropped.
        case discarding
    }

    var state: State = .receiving
    let openedAt: ContinuousClock.Instant

    // MARK: - Request

    var method: String?
    var path: String?
    var authority: String?
    var headers: [(name: String, value: String)] = []
    /// Header-list bytes as RFC 9113 counts them (name + value + 32 per field), trailers included.
    var headerListBytes = 0
    var headerListExceeded = false
    /// True once the current header block is a trailer block (its fields are counted, not kept).
    var receivingTrailers = false
    var body: [UInt8] = []

    // MARK: - Response

    var responseBody: [UInt8] = []
    var responseOffset = 0
    /// True while the data provider has not yet reached the end of ``responseBody``.
    var responseUnsent = false

    init(openedAt: ContinuousClock.Instant) {
        self.openedAt = openedAt
    }
}
