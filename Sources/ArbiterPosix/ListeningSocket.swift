import CArbiterLinux
import Glibc

/// Factories for listening sockets: bound here with `SO_REUSEPORT`, or inherited from systemd.
public enum ListeningSocket {
    /// The backlog passed to `listen(2)`; the kernel caps it at `net.core.somaxconn`.
    public static let backlog: Int32 = 1024

    /// Creates a non-blocking listening socket bound to `address` with `SO_REUSEADDR` and
    /// `SO_REUSEPORT`, so that each loop thread can bind its own socket to the same port.
    ///
    /// IPv6 sockets are `IPV6_V6ONLY`, so `[::]` and `0.0.0.0` can be listed side by side.
    /// - Returns: the descriptor and the bound port (useful after binding port 0).
    public static func makeBound(_ address: SocketAddress) throws(SystemError) -> (fd: Int32, port: UInt16) {
        let fd = try Posix.socket(domain: address.isIPv6 ? AF_INET6 : AF_INET, type: Int32(SOCK_STREAM.rawValue))
        do {
            try Posix.setSocketOption(fd, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
            try Posix.setSocketOption(fd, level: SOL_SOCKET, name: SO_REUSEPORT, value: 1)
            if address.isIPv6 {
                try Posix.setSocketOption(fd, level: Int32(IPPROTO_IPV6), name: IPV6_V6ONLY, value: 1)
            }
            try address.withSockAddr { sa, length throws(SystemError) in
                _ = try Posix.callBlocking("bind") { bind(fd, sa, length) }
            }
            try Posix.callBlocking("listen") { listen(fd, backlog) }
            return (fd, try SocketAddress.localPort(of: fd))
        } catch {
            Posix.close(fd)
            throw error
        }
    }

    /// Fails with `EADDRINUSE` when another socket already listens on `address`.
    ///
    /// `SO_REUSEPORT` lets every loop bind the same port, but it would also let a second Arbiter
    /// (or any process setting the option) share the port silently and take part of the traffic.
    /// A probe bound *without* `SO_REUSEPORT` fails if anyone listens there. Port 0 is skipped.
    public static func ensureNotInUse(_ address: SocketAddress) throws(SystemError) {
        guard address.port != 0 else { return }
        let fd = try Posix.socket(domain: address.isIPv6 ? AF_INET6 : AF_INET, type: Int32(SOCK_STREAM.rawValue))
        defer { Posix.close(fd) }
        try Posix.setSocketOption(fd, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
        if address.isIPv6 {
            try Posix.setSocketOption(fd, level: Int32(IPPROTO_IPV6), name: IPV6_V6ONLY, value: 1)
        }
        try address.withSockAddr { sa, length throws(SystemError) in
            _ = try Posix.callBlocking("bind") { bind(fd, sa, length) }
        }
    }

    /// Takes the listening sockets passed by systemd socket activation (`LISTEN_PID`, `LISTEN_FDS`;
    /// descriptors from 3), or `nil` when the process was not socket-activated.
    ///
    /// The variables are unset afterwards so that children do not inherit them; each descriptor is
    /// made non-blocking and close-on-exec.
    public static func takeSystemdListeners() throws(SystemError) -> [Int32]? {
        guard let pidText = getenv("LISTEN_PID").map({ String(cString: $0) }),
            let countText = getenv("LISTEN_FDS").map({ String(cString: $0) }),
            let pid = Int32(pidText), pid == getpid(),
            let count = Int32(countText), count > 0, count < 1024
        else { return nil }
        unsetenv("LISTEN_PID")
        unsetenv("LISTEN_FDS")
        unsetenv("LISTEN_FDNAMES")
        var result: [Int32] = []
        for fd in Int32(3)..<(3 + count) {
            let flags = try Posix.callBlocking("fcntl") { fcntl(fd, F_GETFL) }
            try Posix.callBlocking("fcntl") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
            try Posix.callBlocking("fcntl") { fcntl(fd, F_SETFD, FD_CLOEXEC) }
            result.append(fd)
        }
        return result
    }

    /// Accepts one connection: non-blocking, close-on-exec, with `TCP_NODELAY`.
    ///
    /// - Returns: the new descriptor, or `.wouldBlock` when the accept queue is empty.
    /// - Throws: ``SystemError``; `EMFILE`/`ENFILE`/`ENOBUFS`/`ENOMEM` mean "out of resources" and
    ///   the caller should pause accepting; `ECONNABORTED` and friends can be ignored.
    public static func accept(_ listener: Int32) throws(SystemError) -> IOResult<Int32> {
        let result = try Posix.accept(listener)
        if case .processed(let fd) = result {
            // Best effort: a socket that reset already fails here, and the first read reports it.
            try? Posix.setSocketOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
        }
        return result
    }
}
