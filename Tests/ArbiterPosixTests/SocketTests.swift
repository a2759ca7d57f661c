import ArbiterPosix
import Glibc
import Testing

@Suite struct SocketTests {
    @Test(arguments: [
        ("127.0.0.1:8443", "127.0.0.1", 8443 as UInt16),
        ("0.0.0.0:0", "0.0.0.0", 0),
        ("[::1]:443", "::1", 443),
        ("[::]:8443", "::", 8443),
    ])
    func parsesListenAddresses(text: String, host: String, port: UInt16) {
        let address = SocketAddress(text)
        #expect(address?.host == host)
        #expect(address?.port == port)
        #expect(address?.description == text)
    }

    @Test(arguments: ["localhost:80", "127.0.0.1", "::1:80", "[::1]", "1.2.3.4:99999", "[::1:80", "1.2.3.4:-1", ""])
    func rejectsInvalidListenAddresses(text: String) {
        #expect(SocketAddress(text) == nil)
    }

    @Test func twoListenersShareAPortWithReusePort() throws {
        let first = try ListeningSocket.makeBound(SocketAddress(host: "127.0.0.1", port: 0))
        defer { close(first.fd) }
        #expect(first.port != 0)
        let second = try ListeningSocket.makeBound(SocketAddress(host: "127.0.0.1", port: first.port))
        defer { close(second.fd) }
        #expect(second.port == first.port)
    }

    @Test func acceptOnAnEmptyQueueWouldBlockAndAcceptsAConnection() throws {
        let listener = try ListeningSocket.makeBound(SocketAddress(host: "127.0.0.1", port: 0))
        defer { close(listener.fd) }
        #expect(try ListeningSocket.accept(listener.fd) == .wouldBlock)
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = listener.port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(connected == 0)
        var accepted: Int32 = -1
        for _ in 0..<100 {
            if case .processed(let fd) = try ListeningSocket.accept(listener.fd) {
                accepted = fd
                break
            }
            usleep(10_000)
        }
        #expect(accepted >= 0)
        if accepted >= 0 {
            #expect(try Posix.socketOption(accepted, level: Int32(IPPROTO_TCP), name: TCP_NODELAY) != 0)
            #expect(fcntl(accepted, F_GETFL) & O_NONBLOCK != 0)
            close(accepted)
        }
    }

    @Test func bindingAnAddressInUseWithoutReusePortFails() throws {
        // A plain socket holding the port without SO_REUSEPORT blocks our bind with EADDRINUSE.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        listen(holder, 1)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(holder, $0, &length) }
        }
        let port = UInt16(bigEndian: address.sin_port)
        #expect(throws: SystemError(errno: EADDRINUSE, function: "bind")) {
            _ = try ListeningSocket.makeBound(SocketAddress(host: "127.0.0.1", port: port))
        }
    }

    @Test func systemdListenersAreTakenOnlyForThisProcess() throws {
        setenv("LISTEN_PID", "1", 1)
        setenv("LISTEN_FDS", "1", 1)
        #expect(try ListeningSocket.takeSystemdListeners() == nil)
        unsetenv("LISTEN_PID")
        unsetenv("LISTEN_FDS")
        #expect(try ListeningSocket.takeSystemdListeners() == nil)
    }

    @Test func syscallHelperRetriesNothingAndMapsErrors() {
        #expect(throws: SystemError(errno: ENOENT, function: "open")) {
            try Posix.call("open") { open("/nonexistent/arbiter", O_RDONLY) }
        }
        var fds: [Int32] = [0, 0]
        pipe(&fds)
        defer { close(fds[0]); close(fds[1]) }
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        var byte: UInt8 = 0
        #expect((try? Posix.call("read") { read(fds[0], &byte, 1) }) == .wouldBlock)
    }
}
