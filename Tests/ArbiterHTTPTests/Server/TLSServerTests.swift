import ArbiterHTTP
import ArbiterPosix
import Foundation
import Synchronization
import Testing

@Suite struct TLSServerTests {
    @Test func curlWithAClientCertificateSeesItsIdentityEchoed() throws {
        let server = try TestServer()
        let output = try ProcessRunner.run(
            "/usr/bin/curl",
            [
                "-sS", "--http1.1", "--max-time", "10", "--cacert", try TestPKI.path("ca.crt"),
                "--cert", try TestPKI.path("client.crt"), "--key", try TestPKI.path("client.key"),
                "-d", "hello", "-w", "\n%{http_code} %{http_version}",
                "https://localhost:\(server.port)/authorize?x=1",
            ])
        let text = String(decoding: output.stdout, as: UTF8.self)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(text.contains("cn=alice\n"))
        #expect(text.contains("groups=team-a,team-b\n"))
        #expect(text.contains("POST /authorize x=1\n"))
        #expect(text.contains("body=hello"))
        #expect(text.hasSuffix("200 1.1"))
    }

    @Test func curlAskingForHTTP2GetsHTTP11WithoutAnHTTP2Handler() throws {
        let server = try TestServer()
        let output = try ProcessRunner.run(
            "/usr/bin/curl",
            [
                "-sS", "--http2", "--max-time", "10", "--cacert", try TestPKI.path("ca.crt"),
                "--cert", try TestPKI.path("client.crt"), "--key", try TestPKI.path("client.key"),
                "-o", "/dev/null", "-w", "%{http_code} %{http_version}", "https://localhost:\(server.port)/",
            ])
        #expect(String(decoding: output.stdout, as: UTF8.self) == "200 1.1")
    }

    static let rejectedClients: [(String, String?, HandshakeFailure)] = [
        ("no certificate", nil, .noCertificate),
        ("another CA", "other-client", .unknownCA),
        ("expired", "expired", .expired),
    ]

    @Test(arguments: rejectedClients)
    func rejectedClientNeverGetsAnHTTPByte(name: String, certificate: String?, reason: HandshakeFailure) throws {
        let events = LockedValue<[TransportEvent]>([])
        let server = try TestServer(threads: 1) { configuration in
            configuration.onEvent = { event in events.withLock { $0.append(event) } }
        }
        let client = try TLSTestClient(
            port: server.port, certificate: try certificate.map { try TestPKI.path("\($0).crt") },
            key: try certificate.map { try TestPKI.path("\($0).key") })
        // With TLS 1.3 the client believes the handshake is done and sends its request.
        client.send("GET / HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(client.readUntilClose().isEmpty, "\(name)")
        #expect(TestServer.eventually { server.metrics.handshakesFailed(reason) == 1 }, "\(name)")
        #expect(server.metrics.requests.load(ordering: .relaxed) == 0)
        #expect(server.metrics.handshakesSucceeded.load(ordering: .relaxed) == 0)
        // The event sink got the same reason, with OpenSSL's detail for the log.
        let reported = events.withLock { $0 }
        #expect(reported.count == 1, "\(name)")
        if case .handshakeFailed(let reportedReason, let detail)? = reported.first {
            #expect(reportedReason == reason)
            #expect(!detail.isEmpty)
        } else {
            Issue.record("no handshakeFailed event for \(name): \(reported)")
        }
    }

    @Test func stalledHandshakeIsClosedWhileAnotherClientIsServed() throws {
        let server = try TestServer(threads: 1) { $0.handshakeTimeout = .milliseconds(500) }
        let stalled = try TLSTestClient(port: server.port, handshake: false)
        // Half a TLS record header, then silence.
        stalled.sendRaw([0x16, 0x03, 0x01])
        let healthy = try server.client()
        healthy.send("GET /ok HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(healthy.readResponses(1).first?.status == 200)
        #expect(stalled.waitForTCPClose())
        #expect(server.metrics.handshakesFailed(.timeout) == 1)
        healthy.send("GET /still HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(healthy.readResponses(1).first?.status == 200)
    }

    /// Connections that never finish a handshake need no certificate; beyond the handshake
    /// limit each new connection closes the oldest one still handshaking, so a flood of stalled
    /// sockets cannot lock a client out for the whole handshake timeout.
    @Test func stalledHandshakesBeyondTheLimitMakeRoomForNewClients() throws {
        let server = try TestServer(threads: 1) {
            $0.handshakeTimeout = .seconds(30)
            $0.maxHandshakingConnections = 4
        }
        var stalled: [TLSTestClient] = []
        for _ in 0..<10 {
            let client = try TLSTestClient(port: server.port, handshake: false)
            client.sendRaw([0x16, 0x03, 0x01])
            stalled.append(client)
        }
        // The six oldest were closed to make room, long before the 30 s handshake timeout.
        #expect(TestServer.eventually { server.metrics.handshakesFailed(.timeout) == 6 })
        #expect(stalled.prefix(6).allSatisfy { $0.waitForTCPClose() })
        let healthy = try server.client()
        healthy.send("GET /ok HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(healthy.readResponses(1).first?.status == 200)
        #expect(server.metrics.handshakesSucceeded.load(ordering: .relaxed) == 1)
    }

    /// Eviction follows accept order even when a connection closed meanwhile and a newer one got
    /// its address (the queue once found the newer connection through the older one's entry and
    /// evicted it first).
    @Test func handshakeEvictionKeepsAcceptOrderAcrossAddressReuse() throws {
        let server = try TestServer(threads: 1) {
            $0.handshakeTimeout = .seconds(30)
            $0.maxHandshakingConnections = 4
        }
        func stalled() throws -> TLSTestClient {
            let client = try TLSTestClient(port: server.port, handshake: false)
            client.sendRaw([0x16, 0x03, 0x01])
            return client
        }
        let first = try stalled()
        let vanishing = try stalled()
        let second = try stalled()
        #expect(TestServer.eventually { server.metrics.connectionsOpen.load(ordering: .relaxed) == 3 })
        vanishing.closeNow()  // the server closes it: its queue entry stays behind `first`
        #expect(TestServer.eventually { server.metrics.connectionsOpen.load(ordering: .relaxed) == 2 })
        let newest = try stalled()  // likely allocated where `vanishing` was
        let filler = try stalled()  // four in progress: first, second, newest, filler
        #expect(TestServer.eventually { server.metrics.connectionsOpen.load(ordering: .relaxed) == 4 })
        let fifth = try stalled()  // evicts `first`
        let sixth = try stalled()  // evicts `second`, not `newest`
        withExtendedLifetime((fifth, sixth)) {
            #expect(first.waitForTCPClose())
            #expect(second.waitForTCPClose())
            #expect(!newest.isClosedByPeer())
            #expect(!filler.isClosedByPeer())
        }
    }

    @Test func plaintextHTTPIsAProtocolFailure() throws {
        let server = try TestServer(threads: 1)
        let client = try TLSTestClient(port: server.port, handshake: false)
        client.sendRaw(Array("GET / HTTP/1.1\r\nhost: a\r\n\r\n".utf8))
        #expect(client.waitForTCPClose())
        #expect(TestServer.eventually { server.metrics.handshakesFailed(.protocolError) == 1 })
    }

    @Test func swappedTLSContextIsUsedByNewConnectionsOnly() throws {
        let server = try TestServer(threads: 1)
        let established = try server.client()
        established.send("GET /before HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(established.readResponses(1).first?.status == 200)

        var rotated = try TestServer.tlsConfiguration()
        rotated.clientCAPath = try TestPKI.path("other-ca.crt")
        server.server.replaceTLSContext(try server.server.makeTLSContext(rotated))

        let other = try TLSTestClient(
            port: server.port, certificate: try TestPKI.path("other-client.crt"), key: try TestPKI.path("other-client.key"))
        other.send("GET /other HTTP/1.1\r\nhost: a\r\n\r\n")
        let responses = other.readResponses(1)
        #expect(responses.first?.status == 200)
        #expect(responses.first?.bodyText.contains("cn=mallory") == true)

        let alice = try server.client()
        alice.send("GET / HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(alice.readUntilClose().isEmpty)

        established.send("GET /after HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(established.readResponses(1).first?.bodyText.contains("GET /after") == true)
    }

    @Test func failedReloadKeepsTheOldContextServingAndIsCounted() throws {
        let server = try TestServer(threads: 1)
        let before = server.server.currentTLSContext
        let corrupt = NSTemporaryDirectory() + "arbiter-corrupt-\(getpid()).pem"
        try Data("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n".utf8).write(to: URL(fileURLWithPath: corrupt))
        defer { try? FileManager.default.removeItem(atPath: corrupt) }
        var broken = try TestServer.tlsConfiguration()
        broken.certificateChainPath = corrupt
        #expect(throws: TLSError(.certificateChain, "")) { try server.server.reloadTLS(broken) }
        #expect(server.server.currentTLSContext === before)
        #expect(server.metrics.tlsReloadFailures.load(ordering: .relaxed) == 1)
        let client = try server.client()
        client.send("GET / HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(client.readResponses(1).first?.status == 200)

        try server.server.reloadTLS(try TestServer.tlsConfiguration())
        #expect(server.server.currentTLSContext !== before)
        #expect(server.metrics.tlsReloads.load(ordering: .relaxed) == 1)
    }

    @Test func peerClosingWithoutCloseNotifyIsANormalClose() throws {
        let server = try TestServer(threads: 1)
        do {
            let client = try server.client()
            client.send("GET / HTTP/1.1\r\nhost: a\r\n\r\n")
            #expect(client.readResponses(1).first?.status == 200)
            // Dropping the client closes the socket without a TLS close_notify.
        }
        #expect(TestServer.eventually { server.metrics.connectionsOpen.load(ordering: .relaxed) == 0 })
        #expect(server.metrics.errors(.tls) == 0)
        #expect(server.metrics.errors(.socket) == 0)
    }

    @Test func corruptTLSMaterialIsRejectedWithAClearError() throws {
        var configuration = try TestServer.tlsConfiguration()
        configuration.privateKeyPath = try TestPKI.path("client.key")
        #expect(throws: TLSError(.privateKey, "")) { try TLSContext(configuration: configuration, offerHTTP2: false) }
        configuration = try TestServer.tlsConfiguration()
        configuration.clientCAPath = "/nonexistent/ca.crt"
        #expect(throws: TLSError(.clientCA, "")) { try TLSContext(configuration: configuration, offerHTTP2: false) }
        configuration = try TestServer.tlsConfiguration()
        configuration.cipherList = "NOT-A-CIPHER"
        #expect(throws: TLSError(.protocolPolicy, "")) { try TLSContext(configuration: configuration, offerHTTP2: false) }
        // An expired certificate (with its own key) would fail every client: refused at load.
        configuration = try TestServer.tlsConfiguration()
        configuration.certificateChainPath = try TestPKI.path("expired.crt")
        configuration.privateKeyPath = try TestPKI.path("expired.key")
        #expect {
            try TLSContext(configuration: configuration, offerHTTP2: false)
        } throws: { error in
            (error as? TLSError)?.code == .certificateChain && "\(error)".contains("expired at Jan  2 00:00:00 2020 GMT")
        }
    }

    @Test func alpnH2SelectsTheConfiguredHTTP2Handler() throws {
        let seenPeers = LockedValue<[String]>([])
        let server = try TestServer(threads: 1) { configuration in
            configuration.http2HandlerFactory = { _, peer in
                seenPeers.withLock { $0.append(peer?.commonName ?? "-") }
                return StubHandler(reply: Array("H2STUB".utf8))
            }
        }
        let h2 = try server.client(alpn: ["h2", "http/1.1"])
        #expect(h2.negotiatedProtocol == "h2")
        h2.send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        #expect(h2.readUntilClose() == Array("H2STUB".utf8))
        #expect(seenPeers.withLock { $0 } == ["alice"])
        #expect(server.metrics.http2Connections.load(ordering: .relaxed) == 1)

        let h1 = try server.client(alpn: ["http/1.1"])
        #expect(h1.negotiatedProtocol == "http/1.1")
        h1.send("GET / HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(h1.readResponses(1).first?.status == 200)
    }

    /// (server certificate file, client-CA bundle, certificates the client must receive).
    static let certificateChains: [(String, String, Int)] = [
        // Leaf signed by the root: the root is never sent (the client must already trust it).
        ("server.crt", "ca.crt", 1),
        // Leaf only, intermediate in the client-CA bundle: completed from it, once, without the root.
        ("int-server.crt", "ca-and-int.crt", 2),
        // Intermediates in the chain file are sent as they are.
        ("int-server-chain.crt", "ca.crt", 2),
    ]

    @Test(arguments: certificateChains)
    func serverSendsItsChainWithoutTheRoot(certificate: String, clientCA: String, expected: Int) throws {
        let chainPath = try TestPKI.path(certificate)
        let keyPath = try TestPKI.path(certificate.hasPrefix("int-") ? "int-server.key" : "server.key")
        let clientCAPath = try TestPKI.path(clientCA)
        let server = try TestServer(threads: 1) { configuration in
            configuration.tls.certificateChainPath = chainPath
            configuration.tls.privateKeyPath = keyPath
            configuration.tls.clientCAPath = clientCAPath
        }
        let client = try server.client()
        #expect(client.handshakeError == nil)
        #expect(client.peerChainLength == expected)
        client.send("GET / HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(client.readResponses(1).first?.status == 200)
    }

    @Test func noSessionTicketIsIssued() throws {
        let server = try TestServer(threads: 1)
        let client = try server.client()
        client.send("GET / HTTP/1.1\r\nhost: a\r\n\r\n")
        // TLS 1.3 tickets follow the server's Finished; reading the answer processes any that came.
        #expect(client.readResponses(1).first?.status == 200)
        #expect(!client.sessionIsResumable)
    }

    @Test func tlsVersionsBelow12AreRefused() throws {
        let server = try TestServer(threads: 1)
        let output = try ProcessRunner.run(
            "/usr/bin/openssl",
            ["s_client", "-connect", "127.0.0.1:\(server.port)", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0",
             "-cert", try TestPKI.path("client.crt"), "-key", try TestPKI.path("client.key")], stdin: Data(), timeout: 10)
        #expect(output.status != 0)
        // The server saw the TLS 1.1 ClientHello and refused it (not a client-side refusal).
        #expect(TestServer.eventually { server.metrics.handshakesFailed(.protocolError) == 1 })
    }
}

/// A protocol handler that answers the first input with fixed bytes and finishes.
final class StubHandler: HTTPProtocolHandler {
    private var pending: [UInt8] = []
    private let reply: [UInt8]
    private var done = false

    init(reply: [UInt8]) { self.reply = reply }

    func receive(_ bytes: UnsafeRawBufferPointer, now: ContinuousClock.Instant) {
        if !self.done {
            self.pending = self.reply
            self.done = true
        }
    }

    func produceOutput(into output: inout [UInt8], limit: Int) {
        output.append(contentsOf: self.pending)
        self.pending = []
    }

    var hasPendingOutput: Bool { !self.pending.isEmpty }
    var isFinished: Bool { self.done }
    var nextDeadline: ContinuousClock.Instant? { nil }
    func deadlineReached(now: ContinuousClock.Instant) {}
    func beginGracefulShutdown() { self.done = true }
}

/// Reports pending output it cannot produce until it reads `GO` (like HTTP/2 blocked on the peer's
/// flow-control window), then answers `DONE` and finishes.
final class BlockedUntilGoHandler: HTTPProtocolHandler {
    private var received: [UInt8] = []
    private var pending: [UInt8] = []
    private var blocked = false
    private var done = false

    func receive(_ bytes: UnsafeRawBufferPointer, now: ContinuousClock.Instant) {
        self.received.append(contentsOf: bytes)
        let text = String(decoding: self.received, as: UTF8.self)
        if text.contains("GO") {
            self.blocked = false
            self.pending = Array("DONE".utf8)
            self.done = true
        } else if text.contains("WAIT") {
            self.blocked = true
        }
    }

    func produceOutput(into output: inout [UInt8], limit: Int) {
        output.append(contentsOf: self.pending)
        self.pending = []
    }

    var hasPendingOutput: Bool { self.blocked || !self.pending.isEmpty }
    var isFinished: Bool { self.done }
    var nextDeadline: ContinuousClock.Instant? { nil }
    func deadlineReached(now: ContinuousClock.Instant) {}
    func beginGracefulShutdown() { self.done = true }
}

@Suite struct ConnectionFlowControlTests {
    @Test func keepsReadingWhileAHandlerIsBlockedWithoutOutput() throws {
        let server = try TestServer(threads: 1) { configuration in
            configuration.http2HandlerFactory = { _, _ in BlockedUntilGoHandler() }
        }
        let client = try server.client(alpn: ["h2"])
        #expect(client.negotiatedProtocol == "h2")
        client.send("WAIT")
        usleep(100_000)
        client.send("GO")
        #expect(client.readUntilClose() == Array("DONE".utf8))
    }
}
