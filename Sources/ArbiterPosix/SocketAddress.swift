import Glibc

/// An IPv4 or IPv6 address and port to listen on.
///
/// Written as `127.0.0.1:8443`, `0.0.0.0:8443`, `[::1]:8443` or `[::]:8443`; port 0 asks the kernel
/// for a free port.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    /// The numeric host (`127.0.0.1`, `::1`).
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` (IPv4) or `[host]:port` (IPv6); `nil` when it is neither.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard let colon = bytes.lastIndex(of: UInt8(ascii: ":")), colon + 1 < bytes.count else { return nil }
        var hostBytes = bytes[..<colon]
        if hostBytes.first == UInt8(ascii: "[") {
            guard hostBytes.last == UInt8(ascii: "]") else { return nil }
            hostBytes = hostBytes.dropFirst().dropLast()
        } else if hostBytes.contains(UInt8(ascii: ":")) {
            return nil
        }
        guard let port = UInt16(String(decoding: bytes[(colon + 1)...], as: UTF8.self)) else { return nil }
        self.init(host: String(decoding: hostBytes, as: UTF8.self), port: port)
        guard (try? self.withSockAddr { _, _ in }) != nil else { return nil }
    }

    /// True for an IPv6 host.
    public var isIPv6: Bool { self.host.utf8.contains(UInt8(ascii: ":")) }

    public var description: String { self.isIPv6 ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)" }

    /// Calls `body` with this address as a `sockaddr`.
    ///
    /// - Throws: ``SystemError`` with `EINVAL` when the host is not a numeric address.
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(SystemError) -> R) throws(SystemError) -> R {
        if self.isIPv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = self.port.bigEndian
            guard inet_pton(AF_INET6, self.host, &address.sin6_addr) == 1 else {
                throw SystemError(errno: EINVAL, function: "inet_pton")
            }
            return try withUnsafePointer(to: &address) { pointer throws(SystemError) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(SystemError) in
                    try body(sa, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = self.port.bigEndian
            guard inet_pton(AF_INET, self.host, &address.sin_addr) == 1 else {
                throw SystemError(errno: EINVAL, function: "inet_pton")
            }
            return try withUnsafePointer(to: &address) { pointer throws(SystemError) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(SystemError) in
                    try body(sa, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    /// The local port a bound socket got (after binding port 0).
    static func localPort(of fd: Int32) throws(SystemError) -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        try withUnsafeMutablePointer(to: &storage) { pointer throws(SystemError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(SystemError) in
                _ = try Posix.callBlocking("getsockname") { getsockname(fd, sa, &length) }
            }
        }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
        default:
            throw SystemError(errno: EAFNOSUPPORT, function: "getsockname")
        }
    }
}
