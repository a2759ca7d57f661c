import Glibc
import Testing

@testable import ArbiterWebhook

/// A datagram socket standing in for systemd's notification socket.
final class NotifySocketListener {
    let fd: Int32
    let address: String

    /// Binds `address` (a path, or `@name` for the abstract namespace).
    init(address: String) throws {
        self.address = address
        self.fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(address.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count + (abstract ? 0 : 1))
        let rc = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(self.fd, $0, length) }
        }
        guard self.fd >= 0, rc == 0 else { throw SystemCallError.current("bind") }
    }

    deinit {
        close(self.fd)
        if !self.address.hasPrefix("@") { unlink(self.address) }
    }

    /// The next datagram, waiting at most 10 s.
    func receive() -> String? {
        var descriptor = pollfd(fd: self.fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, 10_000) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(self.fd, &buffer, buffer.count, 0)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }
}

@Suite struct SystemdNotifierTests {
    @Test func withoutNotifySocketEverythingIsANoOp() throws {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.isEnabled)
        #expect(notifier.watchdogInterval == nil)
        try notifier.ready(status: "ignored")
        try notifier.watchdog()
        try notifier.stopping()
    }

    @Test func sendsToAPathSocket() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let listener = try NotifySocketListener(address: directory.file("notify.sock"))
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.address])
        #expect(notifier.isEnabled)
        try notifier.ready(status: "serving 3 policies")
        #expect(listener.receive() == "READY=1\nSTATUS=serving 3 policies")
        try notifier.stopping()
        #expect(listener.receive() == "STOPPING=1")
        try notifier.status("draining")
        #expect(listener.receive() == "STATUS=draining")
    }

    @Test func sendsToAnAbstractSocketWithReloadingTimestamp() throws {
        let listener = try NotifySocketListener(address: "@arbiter-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.address])
        try notifier.reloading()
        let message = try #require(listener.receive())
        let lines = message.split(separator: "\n")
        #expect(lines.first == "RELOADING=1")
        let monotonic = try #require(lines.first { $0.hasPrefix("MONOTONIC_USEC=") })
        let usec = try #require(UInt64(monotonic.dropFirst("MONOTONIC_USEC=".count)))
        #expect(usec > 0)
    }

    @Test func watchdogIntervalComesFromWatchdogUsecForThisProcessOnly() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let listener = try NotifySocketListener(address: directory.file("n.sock"))
        let mine = SystemdNotifier(
            environment: ["NOTIFY_SOCKET": listener.address, "WATCHDOG_USEC": "15000000", "WATCHDOG_PID": "\(getpid())"])
        #expect(mine.watchdogInterval == .seconds(15))
        let unpinned = SystemdNotifier(environment: ["WATCHDOG_USEC": "500"])
        #expect(unpinned.watchdogInterval == .microseconds(500))
        let other = SystemdNotifier(
            environment: ["NOTIFY_SOCKET": listener.address, "WATCHDOG_USEC": "15000000", "WATCHDOG_PID": "1"],
            processID: 4242)
        #expect(other.watchdogInterval == nil)

        try other.watchdog()  // no watchdog for this process: nothing is sent
        try mine.status("after")
        #expect(listener.receive() == "STATUS=after")
        try mine.watchdog()
        #expect(listener.receive() == "WATCHDOG=1")
    }

    @Test func rejectsLineFeedsAndOverlongPaths() {
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/tmp/" + String(repeating: "x", count: 200)])
        #expect(throws: SystemCallError.self) { try notifier.ready() }
        #expect(throws: SystemCallError.self) { try notifier.status("two\nlines") }
    }
}
