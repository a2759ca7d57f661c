import ArbiterHTTP
import ArbiterPosix
import Glibc
import Synchronization

/// `ArbiterBenchmarks transport-server`: an HTTPS server answering every request with a fixed JSON
/// body, for `Benchmarks/transport.sh` (wrk / h2load against it and nginx side by side).
///
/// Arguments: `--listen ADDR` (default `127.0.0.1:8443`), `--cert`, `--key`, `--ca` (PEM paths),
/// `--threads N`. Runs until SIGINT/SIGTERM, then drains for up to 2 s.
enum TransportServer {
    /// The fixed body, the same bytes nginx serves in the benchmark.
    static let body: [UInt8] = Array(
        #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","status":{"allowed":true,"reason":"benchmark"}}"#
            .utf8)

    struct FixedResponder: Responder {
        func respond(to request: HTTPRequest) -> HTTPResponse {
            HTTPResponse(status: 200, headers: [(name: "content-type", value: "application/json")], body: TransportServer.body)
        }
    }

    static func run(_ arguments: [String]) -> Int32 {
        var options: [String: String] = [:]
        var index = 0
        while index + 1 < arguments.count {
            options[arguments[index]] = arguments[index + 1]
            index += 2
        }
        guard let cert = options["--cert"], let key = options["--key"], let ca = options["--ca"],
            let address = SocketAddress(options["--listen"] ?? "127.0.0.1:8443")
        else {
            Self.log("usage: ArbiterBenchmarks transport-server --cert PEM --key PEM --ca PEM [--listen ADDR] [--threads N]")
            return 64
        }
        let http2Metrics = HTTP2Metrics()
        var configuration = HTTPServer.Configuration(
            listenAddresses: [address],
            tls: TLSConfiguration(certificateChainPath: cert, privateKeyPath: key, clientCAPath: ca),
            threads: options["--threads"].flatMap { Int($0) },
            http2HandlerFactory: { responder, peer in
                HTTP2Session(responder: responder, peer: peer, metrics: http2Metrics, now: .now)
            })
        configuration.onEvent = { event in Self.log("\(event)") }
        do {
            let server = try HTTPServer(configuration: configuration, responder: FixedResponder())
            try server.start()
            Self.log("listening on \(server.listeningAddresses.map(\.description).joined(separator: ", "))")
            var signals = sigset_t()
            sigemptyset(&signals)
            sigaddset(&signals, SIGINT)
            sigaddset(&signals, SIGTERM)
            pthread_sigmask(SIG_BLOCK, &signals, nil)
            var received: Int32 = 0
            sigwait(&signals, &received)
            server.shutdown(deadline: .seconds(2))
            let m = server.metrics
            Self.log(
                "stopped: accepted=\(m.connectionsAccepted.load(ordering: .relaxed)) requests=\(m.requests.load(ordering: .relaxed)) handshakes=\(m.handshakesSucceeded.load(ordering: .relaxed)) failed=\(m.handshakesFailedTotal) "
                    + "errors: badRequest=\(m.errors(.badRequest)) timeout=\(m.errors(.timeout)) tls=\(m.errors(.tls)) "
                    + "socket=\(m.errors(.socket)) acceptResources=\(m.errors(.acceptResources)) shed=\(m.shed.load(ordering: .relaxed))"
            )
            return 0
        } catch {
            Self.log("error: \(error)")
            return 1
        }
    }

    static func log(_ message: String) {
        let line = Array((message + "\n").utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}
