import Glibc
import CArbiterLinux

/// Thin wrappers over the system calls the transport uses, named after the C functions.
///
/// Every call goes through ``Posix/call(_:_:)``: `EINTR` is retried, `EAGAIN` becomes
/// ``IOResult/wouldBlock``, and any other failure throws ``SystemError``. `EBADF` and `EFAULT` are
/// programmer errors and trap.
public enum Posix {
    /// Returns free heap pages of every malloc arena to the kernel (`malloc_trim(0)`), for after
    /// a large structure was dropped (a policy replaced by a reload).
    ///
    /// - Returns: whether any memory was released.
    @discardableResult
    public static func releaseFreeHeapMemory() -> Bool {
        CArbiterLinux_malloc_trim() == 1
    }

    /// Runs a system call that returns -1 and sets `errno` on failure.
    @inline(never)
    @discardableResult
    public static func call<Result: FixedWidthInteger>(
        _ function: String, _ body: () -> Result
    ) throws(SystemError) -> IOResult<Result> {
        while true {
            let result = body()
            if result != -1 {
                return .processed(result)
            }
            let error = Glibc.errno
            switch error {
            case EINTR:
                continue
            case EAGAIN:
                return .wouldBlock
            case EBADF, EFAULT:
                preconditionFailure("\(function) failed with a programmer error: errno \(error)")
            default:
                throw SystemError(errno: error, function: function)
            }
        }
    }

    /// Runs a system call that must not block; `EAGAIN` is reported as an error.
    @discardableResult
    public static func callBlocking<Result: FixedWidthInteger>(
        _ function: String, _ body: () -> Result
    ) throws(SystemError) -> Result {
        switch try call(function, body) {
        case .processed(let value): return value
        case .wouldBlock: throw SystemError(errno: EAGAIN, function: function)
        }
    }

    // MARK: - File descriptors

    /// Closes `fd`; `EINTR` from close is not retried (Linux already released the descriptor).
    public static func close(_ fd: Int32) {
        let result = Glibc.close(fd)
        precondition(result == 0 || Glibc.errno != EBADF, "close of a descriptor that is not open")
    }

    /// `read(2)`; `.processed(0)` is end of file.
    public static func read(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try call("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// `write(2)`.
    public static func write(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try call("write") { Glibc.write(fd, buffer.baseAddress, buffer.count) }
    }

    /// `shutdown(2)`; `ENOTCONN` (peer already gone) is ignored.
    public static func shutdown(_ fd: Int32, _ how: Int32) {
        _ = Glibc.shutdown(fd, how)
    }

    /// Ignores `SIGPIPE` process-wide: OpenSSL's socket BIO writes with `write()`, which would
    /// otherwise kill the process when a peer resets.
    public static func ignoreSIGPIPE() {
        _ = signal(SIGPIPE, SIG_IGN)
    }

    // MARK: - Sockets

    /// `socket(2)`, non-blocking and close-on-exec.
    public static func socket(domain: Int32, type: Int32) throws(SystemError) -> Int32 {
        try callBlocking("socket") {
            Glibc.socket(domain, type | CArbiterLinux_SOCK_NONBLOCK | CArbiterLinux_SOCK_CLOEXEC, 0)
        }
    }

    /// `setsockopt(2)` with an `Int32` value.
    public static func setSocketOption(_ fd: Int32, level: Int32, name: Int32, value: Int32) throws(SystemError) {
        var value = value
        try callBlocking("setsockopt") {
            Glibc.setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// `getsockopt(2)` with an `Int32` value.
    public static func socketOption(_ fd: Int32, level: Int32, name: Int32) throws(SystemError) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        try callBlocking("getsockopt") { Glibc.getsockopt(fd, level, name, &value, &length) }
        return value
    }

    /// `accept4(2)` with `SOCK_NONBLOCK | SOCK_CLOEXEC`; `.wouldBlock` when the queue is empty.
    public static func accept(_ fd: Int32) throws(SystemError) -> IOResult<Int32> {
        try call("accept4") {
            CArbiterLinux_accept4(fd, nil, nil, CArbiterLinux_SOCK_NONBLOCK | CArbiterLinux_SOCK_CLOEXEC)
        }
    }

    // MARK: - epoll and eventfd

    /// `epoll_create1(EPOLL_CLOEXEC)`.
    public static func epollCreate() throws(SystemError) -> Int32 {
        try callBlocking("epoll_create1") { CArbiterLinux_epoll_create() }
    }

    /// `epoll_ctl(2)` with a 64-bit token as the event data.
    public static func epollControl(
        _ epollFD: Int32, operation: Int32, fd: Int32, events: UInt32, token: UInt64
    ) throws(SystemError) {
        try callBlocking("epoll_ctl") { CArbiterLinux_epoll_ctl(epollFD, operation, fd, events, token) }
    }

    /// `eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)`.
    public static func eventFD() throws(SystemError) -> Int32 {
        try callBlocking("eventfd") { CArbiterLinux_eventfd() }
    }
}
