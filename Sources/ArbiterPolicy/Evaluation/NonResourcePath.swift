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
        let bytes = Array(path.utf8)
        guard bytes.first == UInt8(ascii: "/") else { return false }
        var segmentStart = 1
        for index in 1...bytes.count {
            if index < bytes.count {
                let byte = bytes[index]
                if byte == 0 || byte == UInt8(ascii: "%") || byte == UInt8(ascii: "\\") { return false }
                if byte != UInt8(ascii: "/") { continue }
            }
            let segment = bytes[segmentStart..<index]
            let isLast = index == bytes.count
            // An empty segment is fine only as the trailing slash (`/apis/`).
            if segment.isEmpty && !isLast { return false }
            if segment.elementsEqual([UInt8(ascii: ".")]) || segment.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                return false
            }
            segmentStart = index + 1
        }
        return true
    }
}
