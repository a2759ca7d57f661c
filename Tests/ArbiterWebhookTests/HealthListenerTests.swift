import ArbiterPosix
import Glibc
import Testing

@testable import ArbiterWebhook

/// The plain-HTTP probe listener (`healthListen`): health paths only, bounded, loopback only.
@Suite struct HealthListenerTests {
    /// Connects to 127.0.0.1:`port`, sends `request`, and reads until the server closes (or 5 s).
    /// A TCP socket connected to 127.0.0.1:`port`, and whether the connect succeeded.
    static func connected(_ port: UInt16) -> (fd: Int32, ok: Bool) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return (fd, result == 0)
    }

    static func exchange(_ port: UInt16, _ request: String, keepOpenAfterSending: Bool = false) -> String {
        let (fd, ok) = connected(port)
        defer { close(fd) }
        guard ok else { return "connect failed: \(errno)" }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = Array(request.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        return String(decoding: received, as: UTF8.self)
    }

    static func start(answer: HealthListener.Answer? = nil) throws -> HealthListener {
        try HealthListener(address: SocketAddress(host: "127.0.0.1", port: 0)) { method, path, query in
            answer?(method, path, query) ?? (200, "text/plain", Array("\(method) \(path) ?\(query)".utf8))
        }
    }

    @Test func answersHealthPathsThroughTheCallback() throws {
        let listener = try Self.start()
        defer { listener.stop() }
        let port = listener.address.port
        let ready = Self.exchange(port, "GET /readyz?verbose HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(ready.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(ready)")
        #expect(ready.contains("Connection: close\r\n"))
        #expect(ready.hasSuffix("\r\n\r\nGET /readyz ?verbose"), "\(ready)")
        let sub = Self.exchange(port, "GET /livez/ping HTTP/1.0\r\n\r\n")
        #expect(sub.hasSuffix("GET /livez/ping ?"), "\(sub)")
        // HEAD: the head of a GET, without the body.
        let head = Self.exchange(port, "HEAD /healthz HTTP/1.1\r\n\r\n")
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n") && head.hasSuffix("\r\n\r\n"), "\(head)")
        #expect(head.contains("Content-Length: 15\r\n"), "\(head)")  // of "HEAD /healthz ?"
    }

    @Test func servesNothingElse() throws {
        let listener = try Self.start()
        defer { listener.stop() }
        let port = listener.address.port
        for path in ["/metrics", "/authorize", "/apis/authorization.k8s.io/v1/subjectaccessreviews", "/healthzz", "/"] {
            let response = Self.exchange(port, "GET \(path) HTTP/1.1\r\n\r\n")
            #expect(response.hasPrefix("HTTP/1.1 404 Not Found\r\n"), "\(path): \(response)")
        }
        let post = Self.exchange(port, "POST /healthz HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}")
        #expect(post.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"), "\(post)")
        for bad in ["GET /healthz\r\n\r\n", "GET healthz HTTP/1.1\r\n\r\n", "GET /health\u{7F}z HTTP/1.1\r\n\r\n", "GET /healthz HTTP/2\r\n\r\n"] {
            let response = Self.exchange(port, bad)
            #expect(response.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(bad.debugDescription): \(response)")
        }
    }

    @Test func boundsTheHeadAndDropsStalledClientsWithoutStarvingOthers() throws {
        let listener = try Self.start()
        defer { listener.stop() }
        let port = listener.address.port
        let huge = "GET /healthz HTTP/1.1\r\nX: " + String(repeating: "a", count: HealthListener.maxHeadBytes) + "\r\n\r\n"
        #expect(Self.exchange(port, huge).hasPrefix("HTTP/1.1 431 "))
        // Stalled clients (a head that never ends) occupy slots until the deadline; a probe
        // arriving meanwhile is still answered, and the stalled ones are closed.
        var stalled: [Int32] = []
        for _ in 0..<4 {
            let (fd, _) = Self.connected(port)
            _ = send(fd, "GET /healthz HTTP/1.1\r\n", 23, Int32(MSG_NOSIGNAL))
            stalled.append(fd)
        }
        defer { for fd in stalled { close(fd) } }
        #expect(Self.exchange(port, "GET /healthz HTTP/1.1\r\n\r\n").hasPrefix("HTTP/1.1 200 "))
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        var buffer = [UInt8](repeating: 0, count: 16)
        for fd in stalled {
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            // EOF (0) once the server drops it at its deadline, not a timeout (-1).
            #expect(recv(fd, &buffer, buffer.count, 0) == 0)
        }
    }

    /// Idle connections from any local process (no authentication here) beyond the slots: a
    /// probe is still accepted and answered at once, not left in the backlog until they time
    /// out (the kubelet's probe timeout is one second, the slots' deadline two).
    @Test func idleConnectionsDoNotStarveProbes() throws {
        let listener = try Self.start()
        defer { listener.stop() }
        let port = listener.address.port
        var idle: [Int32] = []
        defer { for fd in idle { close(fd) } }
        for _ in 0..<(HealthListener.maxConnections * 4) {
            let (fd, ok) = Self.connected(port)
            #expect(ok)
            idle.append(fd)
        }
        usleep(200_000)  // let the listener take them all in (far less than a slot's deadline)
        // All but the newest slots' worth were closed to make room (EOF waiting), none left
        // unaccepted in the backlog (which would read as "nothing yet").
        var buffer = [UInt8](repeating: 0, count: 16)
        let closed = idle.filter { recv($0, &buffer, buffer.count, Int32(MSG_DONTWAIT)) == 0 }.count
        #expect(closed == idle.count - HealthListener.maxConnections, "\(closed) of \(idle.count) closed")
        let response = Self.exchange(port, "GET /healthz HTTP/1.1\r\n\r\n")
        #expect(response.hasPrefix("HTTP/1.1 200 "), "\(response)")
    }

    @Test func refusesNonLoopbackAddresses() {
        #expect(HealthListener.isLoopback(SocketAddress(host: "127.0.0.1", port: 1)))
        #expect(HealthListener.isLoopback(SocketAddress(host: "127.1.2.3", port: 1)))
        #expect(HealthListener.isLoopback(SocketAddress(host: "::1", port: 1)))
        #expect(!HealthListener.isLoopback(SocketAddress(host: "0.0.0.0", port: 1)))
        #expect(!HealthListener.isLoopback(SocketAddress(host: "::", port: 1)))
        #expect(!HealthListener.isLoopback(SocketAddress(host: "10.0.0.1", port: 1)))
        #expect(throws: (any Error).self) {
            try HealthListener(address: SocketAddress(host: "0.0.0.0", port: 0)) { _, _, _ in (200, "text/plain", []) }
        }
        var configuration = ServerConfiguration()
        configuration.healthListen = "0.0.0.0:8444"
        #expect(configuration.problems().contains { $0.contains("must be a loopback address") })
        configuration.healthListen = "127.0.0.1:8444"
        #expect(!configuration.problems().contains { $0.contains("healthListen") })
    }

    @Test func stopClosesTheListeningSocket() throws {
        let listener = try Self.start()
        let port = listener.address.port
        listener.stop()
        #expect(Self.exchange(port, "GET /healthz HTTP/1.1\r\n\r\n").hasPrefix("connect failed"))
    }
}
