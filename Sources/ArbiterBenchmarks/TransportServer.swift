import ArbiterHTTP
import ArbiterPosix
import Glibc
import Synchronization

/// `ArbiterBenchmarks transport-server`: an HTTPS server answering every request with a fixed JSON
/// body, for `Benchmarks/transport.sh` (wrk / h2load against it and nginx side by side).
///
/// Arguments: `--listen ADDR` (default `127.0.0.1:8443`), `--cert`, `--key`, `--ca` (PEM paths),
/// `--threads N`, `--accepts-per-wakeup N`, `--responses-per-write N` and `--burst-us µs` (HTTP/2 answer
/// bursts), `--busy-poll-us µs` (the loops' polling budget; 0 turns it off). Runs until SIGINT/SIGTERM, then drains for up to 2 s.
///
/// `transport-server --session-benchmark REQUESTS [ROUNDS]` instead times ``HTTP2Session`` alone
/// (no socket, no TLS) answering with the same responder, 16 streams per batch, and prints the
/// minimum and median CPU ns per request over the rounds: the transport's own HTTP/2 cost, steadier
/// than any loopback run on a shared machine. `--http1-benchmark REQUESTS [ROUNDS]` does the same
/// for ``HTTP1Handler`` with wrk's request (`sar-post.lua`: capitalised field names, a 560-byte body).
enum TransportServer {
    /// The fixed body, the same bytes nginx serves in the benchmark.
    static let body: [UInt8] = Array(
        #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","status":{"allowed":true,"reason":"benchmark"}}"#
            .utf8)

    /// The fixed header list, built once like nginx's configuration (a per-call array literal would
    /// allocate on every response).
    static let headers: [(name: String, value: String)] = [(name: "content-type", value: "application/json")]

    struct FixedResponder: Responder {
        func respond(to request: HTTPRequest) -> HTTPResponse {
            HTTPResponse(status: 200, headers: TransportServer.headers, body: TransportServer.body)
        }
    }

    static func run(_ arguments: [String]) -> Int32 {
        if arguments.first == "--http1-benchmark" {
            return Self.http1Benchmark(
                requests: arguments.count > 1 ? Int(arguments[1]) ?? 200_000 : 200_000,
                rounds: arguments.count > 2 ? Int(arguments[2]) ?? 9 : 9)
        }
        if arguments.first == "--session-benchmark" {
            return Self.sessionBenchmark(
                requests: arguments.count > 1 ? Int(arguments[1]) ?? 200_000 : 200_000,
                rounds: arguments.count > 2 ? Int(arguments[2]) ?? 9 : 9)
        }
        var options: [String: String] = [:]
        var index = 0
        while index + 1 < arguments.count {
            options[arguments[index]] = arguments[index + 1]
            index += 2
        }
        guard let cert = options["--cert"], let key = options["--key"], let ca = options["--ca"],
            let address = SocketAddress(options["--listen"] ?? "127.0.0.1:8443")
        else {
            Self.log("usage: ArbiterBenchmarks transport-server --cert PEM --key PEM --ca PEM [--listen ADDR] [--threads N] [--responses-per-write N] [--burst-us MICROSECONDS] [--busy-poll-us MICROSECONDS]")
            return 64
        }
        let http2Metrics = HTTP2Metrics()
        var http2 = HTTP2Configuration()
        if let burst = options["--responses-per-write"].flatMap({ Int($0) }) { http2.responsesPerWrite = max(1, burst) }
        if let micros = options["--burst-us"].flatMap({ Int($0) }) { http2.burstDuration = .microseconds(max(0, micros)) }
        let http2Configuration = http2
        var configuration = HTTPServer.Configuration(
            listenAddresses: [address],
            tls: TLSConfiguration(certificateChainPath: cert, privateKeyPath: key, clientCAPath: ca),
            threads: options["--threads"].flatMap { Int($0) },
            http2HandlerFactory: { responder, peer in
                HTTP2Session(responder: responder, peer: peer, configuration: http2Configuration, metrics: http2Metrics, now: .now)
            })
        configuration.onEvent = { event in Self.log("\(event)") }
        if let accepts = options["--accepts-per-wakeup"].flatMap({ Int($0) }) { configuration.acceptsPerWakeup = accepts }
        if let micros = options["--busy-poll-us"].flatMap({ Int($0) }) { configuration.busyPoll = .microseconds(max(0, micros)) }
        // Block the signals before the loop threads start, so they inherit the mask and only
        // sigwait below takes SIGINT/SIGTERM (a process-directed signal may otherwise go to a loop
        // thread, which valgrind, for one, then never hands to sigwait).
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        do {
            let server = try HTTPServer(configuration: configuration, responder: FixedResponder())
            try server.start()
            Self.log("listening on \(server.listeningAddresses.map(\.description).joined(separator: ", "))")
            var received: Int32 = 0
            sigwait(&signals, &received)
            server.shutdown(deadline: .seconds(2))
            let m = server.metrics
            Self.log(
                "stopped: accepted=\(m.connectionsAccepted.load(ordering: .relaxed)) requests=\(m.requests.load(ordering: .relaxed)) handshakes=\(m.handshakesSucceeded.load(ordering: .relaxed)) failed=\(m.handshakesFailedTotal) "
                    + "errors: badRequest=\(m.errors(.badRequest)) timeout=\(m.errors(.timeout)) tls=\(m.errors(.tls)) "
                    + "socket=\(m.errors(.socket)) acceptResources=\(m.errors(.acceptResources)) shed=\(m.shed.load(ordering: .relaxed)) "
                    + "verifiedChainCache: hits=\(server.currentTLSContext.verifiedChainCacheHits) misses=\(server.currentTLSContext.verifiedChainCacheMisses)"
            )
            return 0
        } catch {
            Self.log("error: \(error)")
            return 1
        }
    }

    static func sessionBenchmark(requests: Int, rounds: Int) -> Int32 {
        let requestBody = Array(repeating: UInt8(ascii: "x"), count: 560)
        _ = HTTP2SessionBenchmark.run(requests: 16_000, requestBody: requestBody, responder: FixedResponder())
        var cpu: [Double] = []
        for _ in 0..<max(1, rounds) {
            let result = HTTP2SessionBenchmark.run(requests: requests, requestBody: requestBody, responder: FixedResponder())
            cpu.append(result.cpuNanosecondsPerRequest)
        }
        cpu.sort()
        Self.log("HTTP2Session: \(requests) requests x \(cpu.count) rounds, CPU ns/request min \(Int(cpu[0])) median \(Int(cpu[cpu.count / 2]))")
        return 0
    }

    static func http1Benchmark(requests: Int, rounds: Int) -> Int32 {
        let body = String(repeating: "x", count: 560)
        let request = Array(
            ("POST /authorize HTTP/1.1\r\nHost: 127.0.0.1:8443\r\nContent-Type: application/json\r\n"
                + "Accept: application/json, */*\r\nUser-Agent: kube-apiserver-admission\r\n"
                + "Content-Length: 560\r\n\r\n" + body).utf8)
        var cpu: [Double] = []
        var output: [UInt8] = []
        output.reserveCapacity(1 << 16)
        for round in 0...max(1, rounds) {
            let handler = HTTP1Handler(responder: FixedResponder(), peer: nil)
            let start = Self.threadCPUNanoseconds()
            for _ in 0..<requests {
                request.withUnsafeBytes { handler.receive($0, now: .now) }
                handler.produceOutput(into: &output, limit: 1 << 20)
                output.removeAll(keepingCapacity: true)
            }
            if round > 0 { cpu.append(Double(Self.threadCPUNanoseconds() - start) / Double(requests)) }
        }
        cpu.sort()
        Self.log("HTTP1Handler: \(requests) requests x \(cpu.count) rounds, CPU ns/request min \(Int(cpu[0])) median \(Int(cpu[cpu.count / 2]))")
        return 0
    }

    static func threadCPUNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    static func log(_ message: String) {
        let line = Array((message + "\n").utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}
