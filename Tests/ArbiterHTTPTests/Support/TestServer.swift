import ArbiterHTTP
import ArbiterPosix
import Foundation

/// Echoes what the transport handed over: the peer CN and groups, the request line and the body.
struct EchoResponder: Responder {
    func respond(to request: HTTPRequest) -> HTTPResponse {
        var text = "cn=\(request.peer?.commonName ?? "-")\n"
        text += "groups=\(request.peer?.organizations.joined(separator: ",") ?? "-")\n"
        text += "\(request.method) \(request.path) \(request.query)\n"
        text += "body=\(String(decoding: request.body, as: UTF8.self))"
        return HTTPResponse(status: 200, headers: [(name: "content-type", value: "text/plain")], body: Array(text.utf8))
    }
}

/// An in-process server on `127.0.0.1` with an ephemeral port, using the test PKI.
final class TestServer {
    let server: HTTPServer
    let port: UInt16

    static func tlsConfiguration() throws -> TLSConfiguration {
        TLSConfiguration(
            certificateChainPath: try TestPKI.path("server.crt"), privateKeyPath: try TestPKI.path("server.key"),
            clientCAPath: try TestPKI.path("ca.crt"))
    }

    /// Starts a server; `configure` may adjust the configuration first.
    init(
        threads: Int = 2, responder: any Responder = EchoResponder(),
        configure: (inout HTTPServer.Configuration) -> Void = { _ in }
    ) throws {
        var configuration = HTTPServer.Configuration(
            listenAddresses: [SocketAddress(host: "127.0.0.1", port: 0)], tls: try Self.tlsConfiguration(),
            threads: threads, useSystemdSocketActivation: false)
        configuration.handshakeTimeout = .seconds(2)
        configure(&configuration)
        self.server = try HTTPServer(configuration: configuration, responder: responder)
        try self.server.start()
        self.port = self.server.listeningAddresses[0].port
    }

    deinit {
        self.server.shutdown(deadline: .seconds(1))
    }

    var metrics: HTTPServerMetrics { self.server.metrics }

    /// A connected client presenting the main test client certificate.
    func client(alpn: [String] = ["http/1.1"]) throws -> TLSTestClient {
        try TLSTestClient(
            port: self.port, certificate: try TestPKI.path("client.crt"), key: try TestPKI.path("client.key"), alpn: alpn)
    }

    /// Sends `request` on a fresh connection and returns everything until the server closes.
    func exchange(_ request: String, readResponses count: Int? = nil) throws -> [ParsedResponse] {
        let client = try self.client()
        client.send(request)
        if let count { return client.readResponses(count) }
        return ParsedResponse.parseAll(client.readUntilClose())
    }

    /// Polls `condition` every 10 ms for at most `seconds`; returns whether it became true.
    static func eventually(seconds: Double = 5, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }
}
