#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: the C function's name and the `errno` it left.
///
/// Thrown by the ``Posix`` wrappers for every failure except `EINTR` (retried) and `EAGAIN`
/// (reported as ``IOResult/wouldBlock``).
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `errno` value.
    public var errno: Int32
    /// The C function that failed (`accept4`, `bind`, ...).
    public var function: String

    public init(errno: Int32, function: String) {
        self.errno = errno
        self.function = function
    }

    public var description: String {
        let reason = strerror(self.errno).map { String(cString: $0) } ?? "unknown error"
        return "\(self.function) failed: \(reason) (errno \(self.errno))"
    }
}

/// The outcome of a non-blocking system call.
public enum IOResult<Value>: Equatable where Value: Equatable {
    /// The call completed with this value.
    case processed(Value)
    /// The call would have blocked (`EAGAIN`/`EWOULDBLOCK`).
    case wouldBlock
}

extension IOResult: Sendable where Value: Sendable {}
