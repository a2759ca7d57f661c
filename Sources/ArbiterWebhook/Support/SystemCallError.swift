import Glibc

/// A failed system call made by one of the service's support types.
///
/// Carries the C function's name and the `errno` it reported; the description reads like
/// `open: No such file or directory (errno 2)`.
public struct SystemCallError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The failing C function, for example `sendto`.
    public var function: String
    /// The `errno` value (or the returned error number for pthread functions).
    public var errno: Int32

    /// Creates an error for `function` failing with `errno`.
    public init(function: String, errno: Int32) {
        self.function = function
        self.errno = errno
    }

    /// Reads `errno` immediately; call right after the failing call.
    @inline(never)
    static func current(_ function: String) -> SystemCallError {
        SystemCallError(function: function, errno: Glibc.errno)
    }

    public var description: String {
        let text = strerror(self.errno).map { String(cString: $0) } ?? "unknown error"
        return "\(self.function): \(text) (errno \(self.errno))"
    }
}
