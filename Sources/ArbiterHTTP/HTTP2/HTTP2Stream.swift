/// What an ``HTTP2Session`` keeps about one request stream, from its first HEADERS frame until
/// libnghttp2 closes it.
///
/// A reference type, so the session's callbacks update it in place through the stream table
/// (a struct in a dictionary would be copied on every read).
///
/// A stream first receives (headers, then body). It then either answers (the responder's response
/// is written through the data provider), answers early (431/413, then RST_STREAM NO_ERROR once
/// that response is out), or is reset; in the last two states any more DATA is dropped.
final class HTTP2Stream {
    enum State {
        /// Headers or body still arriving.
        case receiving
        /// The request is complete and queued for the responder (``HTTP2Session/readyStreams``).
        case ready
        /// A response was submitted; its body is read by the data provider.
        case responding
        /// Answered early (431, 413) before the request ended: further input is dropped, and the
        /// stream is reset with NO_ERROR once the response is sent (RFC 9113 §8.1).
        case answeredEarly
        /// RST_STREAM submitted by us: waiting for libnghttp2 to close the stream.
        case reset
    }

    var state: State = .receiving
    let openedAt: ContinuousClock.Instant

    // MARK: - Request

    var method: String?
    var path: String?
    var authority: String?
    var headers: [(name: String, value: String)] = []
    /// A regular `host` field arrived (then `:authority` is not copied into ``headers``).
    var hasHost = false
    /// ``headers`` starts with a `host` field made from `:authority`.
    var synthesizedHost = false
    /// Regular (not pseudo-header) fields received, kept or not: the position of the next one.
    var regularFieldCount = 0
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
    /// When the response was submitted (its write deadline runs from here).
    var responseSubmittedAt: ContinuousClock.Instant?

    /// True while the peer still owes (or may still send) request bytes we wait for or drop:
    /// such a stream is subject to the request receive timeout.
    var isAwaitingRequest: Bool {
        state == .receiving || state == .answeredEarly
    }

    init(openedAt: ContinuousClock.Instant) {
        self.openedAt = openedAt
        headers.reserveCapacity(8)
    }
}
