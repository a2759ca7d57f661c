public import ArbiterPosix
import ArbiterHTTP
import Glibc

/// A plain-HTTP listener on loopback for probes that cannot present a client certificate (the
/// kubelet's `httpGet` probes of the static Pod).
///
/// It answers `GET`/`HEAD` of `/healthz`, `/livez`, `/readyz` (and their sub-paths, with
/// `?verbose`) through `answer`, 404 for anything else, and closes every connection after one
/// answer. It never reads a body and never serves `/metrics` or a review. Bounded: at most
/// ``maxConnections`` connections at once (a new one closes the oldest that has not sent a whole
/// head: idle connections from any local process must not keep the kubelet's probes waiting in
/// the backlog past their one-second timeout), a request head of
/// at most ``maxHeadBytes`` (else 431), and ``deadline`` per connection from accept to the last
/// byte written (a stalled client is dropped). One thread, `poll`, no TLS.
public final class HealthListener: Sendable {
    public static let maxConnections = 16
    public static let maxHeadBytes = 4096
    public static let deadline: Duration = .seconds(2)

    /// Produces the answer to `GET`/`HEAD` of a health path: status, content type and body.
    public typealias Answer = @Sendable (_ method: String, _ path: String, _ query: String) -> (status: Int, contentType: String, body: [UInt8])

    /// The bound address (with the real port when asked for port 0).
    public let address: SocketAddress
    private let listenerFD: Int32
    private let stopping: Latch
    private let thread: BackgroundThread

    /// Whether `address` is a loopback address (127.0.0.0/8 or ::1): the only kind accepted,
    /// since this listener has no authentication.
    public static func isLoopback(_ address: SocketAddress) -> Bool {
        if address.isIPv6 { return address.host == "::1" }
        return address.host.split(separator: ".", omittingEmptySubsequences: false).first == "127"
    }

    /// Binds `address` and starts answering.
    ///
    /// - Throws: ``SystemCallError`` (or the transport's `SystemError`) when the address is not
    ///   loopback, is in use, or cannot be bound.
    public init(address: SocketAddress, answer: @escaping Answer) throws {
        guard Self.isLoopback(address) else {
            throw SystemCallError(function: "bind (health listener: loopback addresses only)", errno: EADDRNOTAVAIL)
        }
        try ListeningSocket.ensureNotInUse(address)
        let (fd, port) = try ListeningSocket.makeBound(address)
        self.listenerFD = fd
        self.address = SocketAddress(host: address.host, port: port)
        let stopping = try Latch()
        self.stopping = stopping
        do {
            self.thread = try BackgroundThread.start(name: "arbiter-health") {
                HealthLoop(listener: fd, stopping: stopping, answer: answer).run()
            }
        } catch {
            Posix.close(fd)
            throw error
        }
    }

    /// Stops accepting, drops open connections and joins the thread. Call once.
    public func stop() {
        self.stopping.set()
        self.thread.join()
        Posix.close(self.listenerFD)
    }
}

/// The listener thread's state: open connections and what each has sent so far.
private struct HealthLoop {
    struct Client {
        var fd: Int32
        var head: [UInt8] = []
        var output: [UInt8] = []
        var written = 0
        var deadline: ContinuousClock.Instant
    }

    let listener: Int32
    let stopping: Latch
    let answer: HealthListener.Answer

    init(listener: Int32, stopping: Latch, answer: @escaping HealthListener.Answer) {
        self.listener = listener
        self.stopping = stopping
        self.answer = answer
    }

    func run() {
        var clients: [Client] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while !stopping.isSet {
            // Always accepting: when full, a new connection replaces the oldest stalled one.
            var descriptors: [pollfd] = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            for client in clients {
                let events = client.output.isEmpty ? POLLIN : POLLOUT
                descriptors.append(pollfd(fd: client.fd, events: Int16(events), revents: 0))
            }
            // Wake at least every 100 ms to notice `stopping` and expired deadlines.
            _ = poll(&descriptors, nfds_t(descriptors.count), 100)
            let now = ContinuousClock.now
            var index = 0
            for descriptor in descriptors.dropFirst() {
                if descriptor.revents != 0 { step(&clients[index], readable: descriptor.revents, buffer: &buffer) }
                index += 1
            }
            clients.removeAll { client in
                let done = client.fd < 0 || now >= client.deadline
                if done && client.fd >= 0 { Posix.close(client.fd) }
                return done
            }
            if descriptors[0].revents & Int16(POLLIN) != 0 {
                acceptAll(into: &clients, now: now)
            }
        }
        for client in clients where client.fd >= 0 { Posix.close(client.fd) }
    }

    /// Accepts what is waiting (at most ``HealthListener/maxConnections`` per wake). When all
    /// slots are taken, each new connection closes the oldest one still waiting for its head
    /// (or, if every one has an answer being written, the oldest of all).
    func acceptAll(into clients: inout [Client], now: ContinuousClock.Instant) {
        for _ in 0..<HealthListener.maxConnections {
            guard case .processed(let fd)? = try? ListeningSocket.accept(listener) else { return }
            if clients.count >= HealthListener.maxConnections {
                let stalled = clients.indices.filter { clients[$0].output.isEmpty }
                let candidates = stalled.isEmpty ? Array(clients.indices) : stalled
                if let oldest = candidates.min(by: { clients[$0].deadline < clients[$1].deadline }) {
                    Posix.close(clients[oldest].fd)
                    clients.remove(at: oldest)
                }
            }
            clients.append(Client(fd: fd, deadline: now + HealthListener.deadline))
        }
    }

    /// Reads the head or writes the answer; sets `fd` to -1 (after closing) when finished.
    func step(_ client: inout Client, readable events: Int16, buffer: inout [UInt8]) {
        if client.output.isEmpty {
            let result = buffer.withUnsafeMutableBytes { try? Posix.read(client.fd, $0) }
            guard case .processed(let count)? = result, count > 0 else {
                if case .wouldBlock? = result { return }
                finish(&client)  // EOF or error before a whole head
                return
            }
            client.head.append(contentsOf: buffer[0..<count])
            if let end = headEnd(client.head) {
                client.output = respond(to: client.head[0..<end])
            } else if client.head.count >= HealthListener.maxHeadBytes {
                client.output = Self.render(status: 431, contentType: "text/plain; charset=utf-8", body: Array("request header too large\n".utf8), includeBody: true)
            }
            // Write right away: the socket is almost always writable.
        }
        guard !client.output.isEmpty else { return }
        let result = client.output.withUnsafeBytes { bytes in
            try? Posix.write(client.fd, UnsafeRawBufferPointer(rebasing: bytes[client.written...]))
        }
        switch result {
        case .processed(let count)?:
            client.written += count
            if client.written >= client.output.count { finish(&client) }
        case .wouldBlock?:
            return
        case nil:
            finish(&client)
        }
    }

    func finish(_ client: inout Client) {
        Posix.close(client.fd)
        client.fd = -1
    }

    /// The index just past `\r\n\r\n`, or `nil`.
    func headEnd(_ head: [UInt8]) -> Int? {
        guard head.count >= 4 else { return nil }
        for index in 3..<head.count
        where head[index] == 0x0A && head[index - 1] == 0x0D && head[index - 2] == 0x0A && head[index - 3] == 0x0D {
            return index + 1
        }
        return nil
    }

    /// The answer to one request head (only its request line matters).
    func respond(to head: ArraySlice<UInt8>) -> [UInt8] {
        let text = "text/plain; charset=utf-8"
        let lineEnd = head.firstIndex(of: 0x0D) ?? head.endIndex
        let parts = head[head.startIndex..<lineEnd].split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].elementsEqual("HTTP/1.1".utf8) || parts[2].elementsEqual("HTTP/1.0".utf8),
            parts[1].first == UInt8(ascii: "/"),
            parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else {
            return Self.render(status: 400, contentType: text, body: Array("bad request\n".utf8), includeBody: true)
        }
        let method = String(decoding: parts[0], as: UTF8.self)
        guard method == "GET" || method == "HEAD" else {
            return Self.render(status: 405, contentType: text, body: Array("use GET\n".utf8), includeBody: true, extra: "Allow: GET, HEAD\r\n")
        }
        let target = String(decoding: parts[1], as: UTF8.self)
        let path = String(target.prefix { $0 != "?" })
        let query = path.count < target.count ? String(target.dropFirst(path.count + 1)) : ""
        let isHealth = ["/healthz", "/livez", "/readyz"].contains { path == $0 || path.hasPrefix($0 + "/") }
        guard isHealth else {
            return Self.render(status: 404, contentType: text, body: Array("only /healthz, /livez and /readyz are served here\n".utf8), includeBody: method == "GET")
        }
        let (status, contentType, body) = answer(method, path, query)
        return Self.render(status: status, contentType: contentType, body: body, includeBody: method == "GET")
    }

    static func render(status: Int, contentType: String, body: [UInt8], includeBody: Bool, extra: String = "") -> [UInt8] {
        let reason = HTTPResponse.reasonPhrase(for: status)
        let head =
            "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n"
            + "Cache-Control: no-store\r\n\(extra)Connection: close\r\n\r\n"
        return Array(head.utf8) + (includeBody ? body : [])
    }
}
