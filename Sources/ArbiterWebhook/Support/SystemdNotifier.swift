import Glibc

/// Tells systemd about the service's state (sd_notify) without linking libsystemd.
///
/// A notification is one `AF_UNIX` `SOCK_DGRAM` datagram of newline-separated `KEY=value` lines
/// sent to `$NOTIFY_SOCKET`, which is a file system path or, with a leading `@`, a name in the
/// abstract namespace. When `NOTIFY_SOCKET` is unset (not started by systemd, or `Type=simple`),
/// every method is a no-op that succeeds.
///
/// Typical use by `arbiter serve`: ``ready(status:)`` once policies and certificates are loaded,
/// ``reloading()`` then ``ready(status:)`` around a SIGHUP reload, ``watchdog()`` every
/// ``watchdogInterval`` / 2 while the loops turn, and ``stopping()`` when draining starts.
public struct SystemdNotifier: Sendable {
    /// The socket address from `NOTIFY_SOCKET`, or `nil` when notifications are off.
    public let socketPath: String?
    /// The watchdog interval from `WATCHDOG_USEC`, or `nil` when the watchdog is off or meant for
    /// another process (`WATCHDOG_PID` differs from ours). Send ``watchdog()`` at half of it.
    public let watchdogInterval: Duration?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from `environment`.
    ///
    /// - Parameters:
    ///   - environment: The variables to read; tests pass their own instead of calling `setenv`.
    ///   - processID: The pid `WATCHDOG_PID` must match; `nil` means `getpid()`.
    public init(environment: [String: String], processID: Int32? = nil) {
        let processID = processID ?? getpid()
        let socket = environment["NOTIFY_SOCKET"] ?? ""
        self.socketPath = socket.isEmpty ? nil : socket
        if let usecText = environment["WATCHDOG_USEC"], let usec = Int64(usecText), usec > 0,
            environment["WATCHDOG_PID"].map({ Int32($0) == processID }) ?? true
        {
            self.watchdogInterval = .microseconds(usec)
        } else {
            self.watchdogInterval = nil
        }
    }

    /// Reads the process environment (`getenv`).
    public init() {
        var environment: [String: String] = [:]
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        self.init(environment: environment)
    }

    /// Whether notifications are sent at all.
    public var isEnabled: Bool { self.socketPath != nil }

    /// `READY=1`, with an optional `STATUS=` line.
    public func ready(status: String? = nil) throws {
        try self.notify(["READY=1"] + (status.map { ["STATUS=\($0)"] } ?? []))
    }

    /// `RELOADING=1` with `MONOTONIC_USEC=` (CLOCK_MONOTONIC), as systemd's reload protocol requires.
    public func reloading(status: String? = nil) throws {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let usec = Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1_000
        try self.notify(["RELOADING=1", "MONOTONIC_USEC=\(usec)"] + (status.map { ["STATUS=\($0)"] } ?? []))
    }

    /// `STOPPING=1`.
    public func stopping(status: String? = nil) throws {
        try self.notify(["STOPPING=1"] + (status.map { ["STATUS=\($0)"] } ?? []))
    }

    /// `STATUS=…`, the one-line status `systemctl status` shows.
    public func status(_ text: String) throws {
        try self.notify(["STATUS=\(text)"])
    }

    /// `WATCHDOG=1`; a no-op when ``watchdogInterval`` is `nil`.
    public func watchdog() throws {
        guard self.watchdogInterval != nil else { return }
        try self.notify(["WATCHDOG=1"])
    }

    /// Sends `assignments` (each `KEY=value`, without line feeds) as one datagram.
    ///
    /// - Throws: ``SystemCallError`` for `socket` or `sendto` failures, or with `EINVAL` when the
    ///   socket path is too long or an assignment contains a line feed.
    public func notify(_ assignments: [String]) throws {
        guard let path = self.socketPath else { return }
        guard !assignments.contains(where: { $0.utf8.contains(0x0A) }) else {
            throw SystemCallError(function: "sd_notify", errno: EINVAL)
        }
        let message = Array(assignments.joined(separator: "\n").utf8)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(path.utf8)
        let abstract = pathBytes.first == UInt8(ascii: "@")
        if abstract { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        // A path needs room for its terminating NUL; an abstract name does not have one.
        guard pathBytes.count < capacity || (abstract && pathBytes.count <= capacity) else {
            throw SystemCallError(function: "sd_notify", errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        let length = socklen_t(pathOffset + pathBytes.count + (abstract ? 0 : 1))

        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError.current("socket") }
        defer { close(fd) }
        let sent = message.withUnsafeBytes { buffer in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    var result: Int
                    repeat {
                        result = sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), socketAddress, length)
                    } while result < 0 && errno == EINTR
                    return result
                }
            }
        }
        guard sent >= 0 else { throw SystemCallError.current("sendto") }
    }
}
