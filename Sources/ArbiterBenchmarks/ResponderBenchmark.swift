import ArbiterHTTP
import ArbiterPolicy
import ArbiterWebhook
import Foundation

/// The webhook's own work per request, without sockets: `WebhookResponder.respond` on the
/// workload's real reviews, wired as `arbiter serve` wires it (policy store, metrics observer,
/// caller allowlist), with the request values the transport would hand over.
///
/// `responder DIR SECONDS` prints requests/s and per-request p50/p99; `responder-count DIR PASSES`
/// does a fixed amount of work for instruction counts under callgrind.
enum ResponderBenchmark {
    static func makeResponder(directory: String) -> WebhookResponder {
        let store = PolicyStore()
        do {
            try store.reload(paths: [directory + "/rbac.yaml"])
        } catch {
            print("cannot load \(directory): \(error)")
            exit(1)
        }
        let observer = ServiceObserver(metrics: WebhookMetrics(), decisionLog: nil)
        let options = WebhookResponder.Options(callers: CallerPolicy(users: ["alice"]))
        return WebhookResponder(store: store, options: options, observer: observer)
    }

    /// One HTTP/2 request per review line, with the headers kube-apiserver's client sends.
    static func makeRequests(directory: String) -> [HTTPRequest] {
        let text = try! String(contentsOfFile: directory + "/requests.jsonl", encoding: .utf8)
        let peer = PeerIdentity(commonName: "alice", organizations: ["system:masters"])
        return text.split(separator: "\n").map { line in
            HTTPRequest(
                method: "POST", path: "/authorize",
                headers: [
                    ("content-type", "application/json"), ("accept", "application/json, */*"),
                    ("user-agent", "kube-apiserver-admission"), ("content-length", String(line.utf8.count)),
                ],
                body: Array(line.utf8), peer: peer, protocolVersion: .http2)
        }
    }

    static func run(directory: String, seconds: Double) {
        let responder = makeResponder(directory: directory)
        let requests = makeRequests(directory: directory)
        var ok = 0
        for request in requests where responder.respond(to: request).status == 200 { ok += 1 }
        print("responder: \(ok)/\(requests.count) answered 200")
        var passes = 0
        var bytes = 0
        let start = EngineBenchmark.now()
        let deadline = start + UInt64(seconds * 1e9)
        while EngineBenchmark.now() < deadline && passes < 10_000 {
            for request in requests { bytes &+= responder.respond(to: request).body.count }
            passes += 1
        }
        let elapsed = Double(EngineBenchmark.now() - start) / 1e9
        let count = Double(passes * requests.count)
        print(String(format: "throughput: %.0f requests/s (%.1f ns/request, %d passes, %d body bytes)",
                     count / elapsed, elapsed / count * 1e9, passes, bytes))
        var samples: [UInt64] = []
        samples.reserveCapacity(requests.count * 3)
        for _ in 0..<3 {
            for request in requests {
                let a = EngineBenchmark.now()
                let response = responder.respond(to: request)
                let b = EngineBenchmark.now()
                bytes &+= response.body.count
                samples.append(b - a)
            }
        }
        samples.sort()
        func pct(_ p: Double) -> UInt64 { samples[Int(Double(samples.count - 1) * p)] }
        print("per request: p50 \(pct(0.5)) ns, p90 \(pct(0.9)) ns, p99 \(pct(0.99)) ns")
    }

    static func count(directory: String, passes: Int) {
        let responder = makeResponder(directory: directory)
        let requests = makeRequests(directory: directory)
        var bytes = 0
        for _ in 0..<passes {
            for request in requests { bytes &+= respondOnce(responder, request) }
        }
        print("responder-count: \(passes * requests.count) requests, \(bytes) body bytes")
    }

    /// A separate, non-inlined function so callgrind can count just this (`--toggle-collect`).
    @inline(never)
    static func respondOnce(_ responder: WebhookResponder, _ request: HTTPRequest) -> Int {
        responder.respond(to: request).body.count
    }
}
