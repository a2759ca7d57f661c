/// The bounds a review body must stay within before Arbiter spends time or memory on it.
///
/// Every request body is attacker-controlled bytes, so the decoder enforces these limits while it
/// reads: a body over ``maxBodyBytes`` is rejected before the first byte is looked at, a string over
/// ``maxStringBytes`` as soon as it passes the limit, and nesting over ``maxDepth`` when the
/// offending `{` or `[` is reached. Together they bound the decoder's work (linear in the body
/// size), its stack (recursion only follows nesting) and its memory (linear in the body size).
///
/// The defaults are far above anything kube-apiserver sends (a review is usually under 1 KiB) and far
/// below what would hurt a webhook.
public struct ReviewDecodingLimits: Sendable, Hashable {
    /// The largest accepted body, in bytes.
    ///
    /// Larger bodies fail with ``ReviewDecodingError/Code/bodyTooLarge`` (HTTP 413).
    public var maxBodyBytes: Int
    /// The longest accepted JSON string (keys included), in bytes as sent, escapes included.
    ///
    /// Longer strings fail with ``ReviewDecodingError/Code/stringTooLong``.
    public var maxStringBytes: Int
    /// The deepest accepted nesting of objects and arrays; the top-level object is depth 1.
    ///
    /// Deeper input fails with ``ReviewDecodingError/Code/nestingTooDeep``. Values above 512 act
    /// as 512, which bounds the decoder's stack.
    public var maxDepth: Int

    /// 1 MiB bodies, 64 KiB strings, nesting depth 64.
    public static let `default` = ReviewDecodingLimits()

    public init(maxBodyBytes: Int = 1 << 20, maxStringBytes: Int = 64 << 10, maxDepth: Int = 64) {
        self.maxBodyBytes = maxBodyBytes
        self.maxStringBytes = maxStringBytes
        self.maxDepth = maxDepth
    }
}
