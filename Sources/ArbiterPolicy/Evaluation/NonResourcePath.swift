/// Canonical non-resource URL paths, for prefix grants.
///
/// RBAC matches `nonResourceURLs` entries ending in `*` as raw byte prefixes, so `/healthz/*`
/// would cover `/healthz/../api`. Arbiter lets a prefix grant (RBAC or an `Allow` policy) match
/// only canonical paths; exact entries and `*` keep Kubernetes' meaning, and prefix denies match
/// every path.
public enum NonResourcePath {
    /// True for a path that starts with `/` and has no empty, `.` or `..` segment, no `%`
    /// escape (which could hide any of those), no NUL and no backslash.
    public static func isCanonical(_ path: String) -> Bool {
        // One pass over the bytes, without copying them: evaluation asks this for every prefix
        // rule a non-resource request meets.
        var bytes = path.utf8.makeIterator()
        guard bytes.next() == UInt8(ascii: "/") else { return false }
        // The segment being read: its length, and how many of its bytes are dots.
        var length = 0
        var dots = 0
        while let byte = bytes.next() {
            switch byte {
            case 0, UInt8(ascii: "%"), UInt8(ascii: "\\"):
                return false
            case UInt8(ascii: "/"):
                // A segment before a slash is never empty, `.` or `..`.
                if length == 0 || isDotSegment(length: length, dots: dots) { return false }
                length = 0
                dots = 0
            case UInt8(ascii: "."):
                length += 1
                dots += 1
            default:
                length += 1
            }
        }
        // The last segment may be empty (a trailing slash, or the path `/`), never `.` or `..`.
        return !isDotSegment(length: length, dots: dots)
    }

    @inline(__always)
    private static func isDotSegment(length: Int, dots: Int) -> Bool {
        length > 0 && length <= 2 && dots == length
    }
}
