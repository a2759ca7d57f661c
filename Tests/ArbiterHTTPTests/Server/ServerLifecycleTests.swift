@testable import ArbiterHTTP
import ArbiterPosix
import Foundation
import Synchronization
import Testing

@Suite struct ServerLifecycleTests {
    @Test func gracefulShutdownFinishesTheRequestInFlightThenCloses() throws {
        let server = try TestServer(threads: 2)
        let busy = try server.client()
        busy.send("POST /slow HTTP/1.1\r\nhost: a\r\ncontent-length: 4\r\n\r\nab")
        let idle = try server.client()
        idle.send("GET /first HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(idle.readResponses(1).first?.status == 200)
        // Make sure the partial request has reached the server before draining starts.
        #expect(TestServer.eventually { server.metrics.handshakesSucceeded.load(ordering: .relaxed) == 2 })

        let finished = BlockingSemaphore()
        let serverRef = server.server
        DispatchQueue.global().async {
            serverRef.shutdown(deadline: .seconds(5))
            finished.signal()
        }
        // The idle connection is closed at once, without a response.
        #expect(idle.readUntilClose().isEmpty)
        // New connections are refused once the listeners are closed.
        #expect(TestServer.eventually { (try? TLSTestClient(port: server.port, handshake: false)) == nil })
        busy.send("cd")
        let responses = ParsedResponse.parseAll(busy.readUntilClose())
        #expect(responses.map(\.status) == [200])
        #expect(responses.first?.header("connection") == "close")
        #expect(responses.first?.bodyText.hasSuffix("body=abcd") == true)
        #expect(finished.wait(seconds: 10))
        #expect(server.metrics.connectionsOpen.load(ordering: .relaxed) == 0)
    }

    /// A responder that holds its loop thread on `/block` until released.
    final class BlockingResponder: Responder, Sendable {
        let blocking = BlockingSemaphore()
        let release = BlockingSemaphore()
        func respond(to request: HTTPRequest) -> HTTPResponse {
            if request.path == "/block" {
                blocking.signal()
                _ = release.wait(seconds: 10)
            }
            return EchoResponder().respond(to: request)
        }
    }

    /// A request whose first bytes are in the socket but not yet read when draining starts (the
    /// loop was busy) is in flight: it is read and answered, not closed as idle. (Found in CI:
    /// `gracefulShutdownFinishesTheRequestInFlightThenCloses` lost this race now and then.)
    @Test func gracefulShutdownReadsRequestsWaitingInTheSocket() throws {
        let responder = BlockingResponder()
        let server = try TestServer(threads: 1, responder: responder)
        let busy = try server.client()
        #expect(TestServer.eventually { server.metrics.handshakesSucceeded.load(ordering: .relaxed) == 1 })
        let blocker = try server.client()
        blocker.send("GET /block HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(responder.blocking.wait(seconds: 10))
        // The only loop is busy: these bytes stay in the socket until draining has begun.
        busy.send("POST /slow HTTP/1.1\r\nhost: a\r\ncontent-length: 4\r\n\r\nab")
        let finished = BlockingSemaphore()
        let shuttingDown = BlockingSemaphore()
        let serverRef = server.server
        DispatchQueue.global().async {
            shuttingDown.signal()
            serverRef.shutdown(deadline: .seconds(5))
            finished.signal()
        }
        // Wait for the shutdown thread itself (a busy machine can start it late), then give it
        // time to queue the drain on the loop behind the blocked request: a few microseconds of
        // non-blocking work, so 200 ms is ample.
        #expect(shuttingDown.wait(seconds: 10))
        usleep(200_000)
        responder.release.signal()
        #expect(ParsedResponse.parseAll(blocker.readUntilClose()).map(\.status) == [200])
        busy.send("cd")
        let responses = ParsedResponse.parseAll(busy.readUntilClose())
        #expect(responses.map(\.status) == [200])
        #expect(responses.first?.header("connection") == "close", "\(responses)")
        #expect(responses.first?.bodyText.hasSuffix("body=abcd") == true)
        #expect(finished.wait(seconds: 10))
    }

    @Test func shutdownDeadlineClosesConnectionsThatDoNotFinish() throws {
        let server = try TestServer(threads: 1)
        let stuck = try server.client()
        stuck.send("POST /never HTTP/1.1\r\nhost: a\r\ncontent-length: 100\r\n\r\nab")
        #expect(TestServer.eventually { server.metrics.handshakesSucceeded.load(ordering: .relaxed) == 1 })
        server.server.shutdown(deadline: .milliseconds(300))
        #expect(server.metrics.connectionsOpen.load(ordering: .relaxed) == 0)
        #expect(stuck.readUntilClose().isEmpty)
    }

    /// An HTTP/2 connection over the limit gets a 503 for each request of its first flight, then
    /// GOAWAY, instead of a bare close after the handshake.
    @Test func http2ConnectionsOverTheLimitGetA503ThenGoAway() throws {
        let server = try TestServer(threads: 1) {
            $0.maxConnections = 1
            $0.overloadConnectionAllowance = 1
            $0.http2HandlerFactory = { responder, peer in HTTP2Session(responder: responder, peer: peer, now: .now) }
        }
        let first = try server.client()
        first.send("GET /1 HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(first.readResponses(1).first?.status == 200)

        let h2 = try server.client(alpn: ["h2"])
        #expect(h2.negotiatedProtocol == "h2")
        typealias Frames = HTTP2FrameBuilder
        h2.send(
            Frames.clientPreface + Frames.settings()
                + Frames.headers(streamID: 1, block: HTTP2TestClient.requestBlock(), endStream: true))
        var bytes = h2.readUntilClose()
        var frames: [(type: UInt8, stream: UInt32, payload: [UInt8])] = []
        while bytes.count >= 9 {
            let length = Int(bytes[0]) << 16 | Int(bytes[1]) << 8 | Int(bytes[2])
            guard bytes.count >= 9 + length else { break }
            let stream = bytes[5..<9].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } & 0x7fff_ffff
            frames.append((bytes[3], stream, Array(bytes[9..<(9 + length)])))
            bytes.removeFirst(9 + length)
        }
        let headers = frames.first { $0.type == Frames.FrameType.headers.rawValue && $0.stream == 1 }
        let status = headers.flatMap { HTTP2HPACKDecoder().decode($0.payload) }?.first { $0.name == ":status" }?.value
        #expect(status == "503")
        #expect(frames.contains { $0.type == Frames.FrameType.goAway.rawValue })
        #expect(server.metrics.shed.load(ordering: .relaxed) == 1)
        first.send("GET /again HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(first.readResponses(1).first?.status == 200)
    }

    @Test func connectionsOverTheLimitGetAFast503WithoutRetryAfter() throws {
        let server = try TestServer(threads: 1) {
            $0.maxConnections = 1
            $0.overloadConnectionAllowance = 1
        }
        let first = try server.client()
        first.send("GET /1 HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(first.readResponses(1).first?.status == 200)

        let second = try server.client()
        second.send("GET /2 HTTP/1.1\r\nhost: a\r\n\r\n")
        let shed = ParsedResponse.parseAll(second.readUntilClose())
        #expect(shed.map(\.status) == [503])
        #expect(shed.first?.header("retry-after") == nil)
        #expect(server.metrics.shed.load(ordering: .relaxed) == 1)

        // Over limit + allowance: closed at accept (the second connection may still be lingering).
        let third = try server.client()
        let fourth = try server.client()
        third.send("GET /3 HTTP/1.1\r\nhost: a\r\n\r\n")
        fourth.send("GET /4 HTTP/1.1\r\nhost: a\r\n\r\n")
        let answered = ParsedResponse.parseAll(third.readUntilClose()) + ParsedResponse.parseAll(fourth.readUntilClose())
        #expect(answered.allSatisfy { $0.status == 503 })
        #expect(server.metrics.connectionsRejected.load(ordering: .relaxed) >= 1)

        // The first connection is still served normally.
        first.send("GET /again HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(first.readResponses(1).first?.status == 200)
    }

    /// A client that merely holds a certificate fills every connection slot; a prioritized
    /// client (the webhook's callers) is still served: the oldest connection of another client
    /// is closed gracefully to make room, and the other client's new connections are shed.
    /// A CA bundle trusting both test CAs: two client identities, alice (ca) and mallory (other-ca).
    static func twoCABundle() throws -> String {
        let bundle = NSTemporaryDirectory() + "arbiter-two-cas-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).crt"
        let cas = try String(contentsOfFile: try TestPKI.path("ca.crt"), encoding: .utf8)
            + String(contentsOfFile: try TestPKI.path("other-ca.crt"), encoding: .utf8)
        try cas.write(toFile: bundle, atomically: true, encoding: .utf8)
        return bundle
    }

    static func mallory(_ server: TestServer) throws -> TLSTestClient {
        try TLSTestClient(
            port: server.port, certificate: try TestPKI.path("other-client.crt"), key: try TestPKI.path("other-client.key"))
    }

    @Test func aPrioritizedClientIsServedOverTheLimitByClosingAnotherClientsConnection() throws {
        let bundle = try Self.twoCABundle()
        defer { unlink(bundle) }
        let server = try TestServer(threads: 1) {
            $0.tls.clientCAPath = bundle
            $0.maxConnections = 1
            $0.overloadConnectionAllowance = 4
            $0.prioritizedPeer = { $0?.commonName == "alice" }
        }
        func mallory() throws -> TLSTestClient { try Self.mallory(server) }
        let squatter = try mallory()
        squatter.send("GET /1 HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(squatter.readResponses(1).first?.status == 200)

        // alice is over the limit at accept, but served: mallory's idle connection is closed.
        let alice = try server.client()
        alice.send("GET /2 HTTP/1.1\r\nhost: a\r\n\r\n")
        let answered = alice.readResponses(1)
        #expect(answered.first?.status == 200)
        #expect(answered.first?.bodyText.hasPrefix("cn=alice") == true)
        #expect(squatter.readUntilClose().isEmpty)
        #expect(server.metrics.connectionsEvicted.load(ordering: .relaxed) == 1)

        // mallory's next connection is over the limit and not prioritized: shed.
        let late = try mallory()
        late.send("GET /3 HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(ParsedResponse.parseAll(late.readUntilClose()).map(\.status) == [503])
        // A second prioritized connection finds no other client's connection to close: shed too.
        let alice2 = try server.client()
        alice2.send("GET /4 HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(ParsedResponse.parseAll(alice2.readUntilClose()).map(\.status) == [503])
        #expect(server.metrics.connectionsEvicted.load(ordering: .relaxed) == 1)
        // alice's first connection is still served normally.
        alice.send("GET /again HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(alice.readResponses(1).first?.status == 200)
    }

    /// Sockets that never finish a handshake need no certificate: they must not make a client
    /// that completes one be shed (only served connections count against the limit), and at
    /// the hard limit a new connection displaces the oldest of them.
    @Test func connectionsStillHandshakingNeverCountAgainstTheLimit() throws {
        let server = try TestServer(threads: 1) {
            $0.maxConnections = 1
            $0.overloadConnectionAllowance = 2
        }
        let silent = try (0..<3).map { _ in try TLSTestClient(port: server.port, handshake: false) }
        #expect(TestServer.eventually { server.metrics.connectionsOpen.load(ordering: .relaxed) == 3 })
        let client = try server.client()
        client.send("GET /1 HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(client.readResponses(1).first?.status == 200)
        // The hard limit (1 + 2) was reached: the oldest silent socket made way for the client.
        #expect(silent[0].waitForTCPClose())
        #expect(server.metrics.connectionsRejected.load(ordering: .relaxed) == 1)
        // One connection is served: the next one that completes a handshake is shed.
        let shed = try server.client()
        shed.send("GET /2 HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(ParsedResponse.parseAll(shed.readUntilClose()).map(\.status) == [503])
    }

    /// At the hard limit a new connection displaces the oldest shed one (which serves nobody)
    /// rather than being refused: the new one may be a client that matters.
    @Test func aNewConnectionAtTheHardLimitDisplacesAShedOne() throws {
        let server = try TestServer(threads: 1) {
            $0.maxConnections = 1
            $0.overloadConnectionAllowance = 1
        }
        let served = try server.client()
        served.send("GET /1 HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(served.readResponses(1).first?.status == 200)
        let shed = try server.client()
        #expect(TestServer.eventually { server.metrics.handshakesSucceeded.load(ordering: .relaxed) == 2 })
        let newer = try server.client()
        #expect(shed.waitForTCPClose())
        newer.send("GET /2 HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(ParsedResponse.parseAll(newer.readUntilClose()).map(\.status) == [503])
        #expect(server.metrics.connectionsRejected.load(ordering: .relaxed) == 1)
        served.send("GET /again HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(served.readResponses(1).first?.status == 200)
    }

    /// At the hard limit the connection displaced is, in this order, one lingering after its
    /// close, one being shed, one still handshaking: a client's handshake in progress is the
    /// last to go (a review found it the first, so that any new connection killed it), and
    /// connections lingering after a failed handshake (which need no certificate) cannot hold
    /// the limit against new ones.
    @Test func displacementSparesAHandshakeInProgress() throws {
        let server = try TestServer(threads: 1) {
            $0.maxConnections = 1
            $0.overloadConnectionAllowance = 2
        }
        let served = try server.client()
        served.send("GET /1 HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(served.readResponses(1).first?.status == 200)
        let shed = try server.client()  // shed, idle
        #expect(TestServer.eventually { server.metrics.handshakesSucceeded.load(ordering: .relaxed) == 2 })
        let pending = try TLSTestClient(  // a handshake about to start
            port: server.port, certificate: try TestPKI.path("client.crt"), key: try TestPKI.path("client.key"), handshake: false)
        #expect(TestServer.eventually { server.metrics.connectionsOpen.load(ordering: .relaxed) == 3 })
        // A fourth connection is over the hard limit (1 + 2): the shed one goes, not `pending`.
        let newcomer = try TLSTestClient(port: server.port, handshake: false)
        #expect(shed.waitForTCPClose())
        pending.handshake()
        #expect(pending.handshakeError == nil)
        pending.send("GET /2 HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(ParsedResponse.parseAll(pending.readUntilClose()).map(\.status) == [503])
        withExtendedLifetime(newcomer) {}
    }

    /// Connections lingering after a failed handshake (they need no certificate: any bytes
    /// that are not TLS) do not hold the hard limit against a new connection.
    @Test func lingeringConnectionsAreDisplacedAtTheHardLimit() throws {
        let server = try TestServer(threads: 1) {
            $0.maxConnections = 1
            $0.overloadConnectionAllowance = 2
            $0.lingerTimeout = .seconds(10)
        }
        let served = try server.client()
        served.send("GET /1 HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(served.readResponses(1).first?.status == 200)
        let garbage = try (0..<2).map { _ in try TLSTestClient(port: server.port, handshake: false) }
        for socket in garbage { socket.sendRaw(Array("GET / HTTP/1.1\r\n\r\n".utf8)) }
        #expect(TestServer.eventually { server.metrics.handshakesFailed(.protocolError) + server.metrics.handshakesFailed(.other) == 2 })
        #expect(server.metrics.connectionsOpen.load(ordering: .relaxed) == 3)
        let late = try server.client()
        #expect(late.handshakeError == nil)
        late.send("GET /2 HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(ParsedResponse.parseAll(late.readUntilClose()).map(\.status) == [503])
        #expect(server.metrics.connectionsRejected.load(ordering: .relaxed) == 1)
    }

    /// The prioritized client served over the limit on every loop: a loop with no connection of
    /// another client to close asks a loop that has one.
    @Test func aPrioritizedClientMakesRoomOnAnotherLoop() throws {
        let bundle = try Self.twoCABundle()
        defer { unlink(bundle) }
        let server = try TestServer(threads: 2) {
            $0.tls.clientCAPath = bundle
            $0.maxConnections = 4
            $0.overloadConnectionAllowance = 16
            $0.prioritizedPeer = { $0?.commonName == "alice" }
        }
        let squatters = try (0..<4).map { _ in try Self.mallory(server) }
        for (index, squatter) in squatters.enumerated() {
            squatter.send("GET /m\(index) HTTP/1.1\r\nhost: a\r\n\r\n")
            #expect(squatter.readResponses(1).first?.status == 200)
        }
        // However the kernel spreads them over the two loops, each of alice's four connections
        // is served, and each closes one of mallory's.
        var alices: [TLSTestClient] = []
        for index in 0..<4 {
            let alice = try server.client()
            alice.send("GET /a\(index) HTTP/1.1\r\nhost: a\r\n\r\n")
            #expect(alice.readResponses(1).first?.status == 200, "alice \(index)")
            alices.append(alice)
        }
        #expect(TestServer.eventually { server.metrics.connectionsEvicted.load(ordering: .relaxed) == 4 })
        for squatter in squatters { #expect(squatter.waitForTCPClose()) }
    }

    @Test func servesIPv6Loopback() throws {
        var configuration = HTTPServer.Configuration(
            listenAddresses: [SocketAddress(host: "::1", port: 0)], tls: try TestServer.tlsConfiguration(), threads: 1,
            useSystemdSocketActivation: false)
        configuration.handshakeTimeout = .seconds(2)
        let server = try HTTPServer(configuration: configuration, responder: EchoResponder())
        try server.start()
        defer { server.shutdown(deadline: .seconds(1)) }
        let port = server.listeningAddresses[0].port
        let output = try ProcessRunner.run(
            "/usr/bin/curl",
            [
                "-sS", "--http1.1", "--max-time", "10", "--cacert", try TestPKI.path("ca.crt"),
                "--cert", try TestPKI.path("client.crt"), "--key", try TestPKI.path("client.key"),
                "-o", "/dev/null", "-w", "%{http_code}", "https://[::1]:\(port)/",
            ])
        #expect(String(decoding: output.stdout, as: UTF8.self) == "200", "\(output.stderr)")
    }

    @Test func manyConcurrentClientsOnSeveralLoopsAreAllAnswered() throws {
        let server = try TestServer(threads: 2)
        let port = server.port
        let successes = Atomic<Int>(0)
        let done = BlockingSemaphore()
        let clients = 8
        for index in 0..<clients {
            DispatchQueue.global().async {
                defer { done.signal() }
                guard let client = try? TLSTestClient(
                    port: port, certificate: try? TestPKI.path("client.crt"), key: try? TestPKI.path("client.key"))
                else { return }
                for request in 0..<20 {
                    client.send("GET /\(index)/\(request) HTTP/1.1\r\nhost: a\r\n\r\n")
                    if client.readResponses(1).first?.bodyText.contains("GET /\(index)/\(request) ") == true {
                        successes.add(1, ordering: .relaxed)
                    }
                }
            }
        }
        for _ in 0..<clients { #expect(done.wait(seconds: 30)) }
        #expect(successes.load(ordering: .relaxed) == clients * 20)
        #expect(server.metrics.requests.load(ordering: .relaxed) == clients * 20)
    }

    /// One accept per listener wakeup still drains a burst: the listener stays readable while
    /// connections wait, and each loop iteration takes the next one.
    @Test func oneAcceptPerWakeupServesABurstOfNewConnections() throws {
        let server = try TestServer(threads: 1) { $0.acceptsPerWakeup = 1 }
        let port = server.port
        let successes = Atomic<Int>(0)
        let done = BlockingSemaphore()
        let clients = 16
        for index in 0..<clients {
            DispatchQueue.global().async {
                defer { done.signal() }
                guard let client = try? TLSTestClient(
                    port: port, certificate: try? TestPKI.path("client.crt"), key: try? TestPKI.path("client.key"))
                else { return }
                client.send("GET /\(index) HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n")
                if ParsedResponse.parseAll(client.readUntilClose()).first?.bodyText.contains("GET /\(index) ") == true {
                    successes.add(1, ordering: .relaxed)
                }
            }
        }
        for _ in 0..<clients { #expect(done.wait(seconds: 30)) }
        #expect(successes.load(ordering: .relaxed) == clients)
        #expect(server.metrics.connectionsAccepted.load(ordering: .relaxed) == clients)
    }
}

@Suite struct ServerStartFailureTests {
    @Test func bindingAPortInUseThrowsAndLeavesNothingRunning() throws {
        // A plain listener without SO_REUSEPORT makes our bind fail with EADDRINUSE.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, length) }
        }
        listen(holder, 1)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(holder, $0, &length) }
        }
        let port = UInt16(bigEndian: address.sin_port)
        let configuration = HTTPServer.Configuration(
            listenAddresses: [SocketAddress(host: "127.0.0.1", port: port)], tls: try TestServer.tlsConfiguration(),
            threads: 2, useSystemdSocketActivation: false)
        let server = try HTTPServer(configuration: configuration, responder: EchoResponder())
        #expect(throws: SystemError(errno: EADDRINUSE, function: "bind")) { try server.start() }
        #expect(server.listeningAddresses.isEmpty)
        // Shutting down a server that never started is a no-op.
        server.shutdown(deadline: .milliseconds(10))
    }
}
