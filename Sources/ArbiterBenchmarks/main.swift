// ArbiterBenchmarks: timing loops, run in release mode (`make bench` runs them all).
//
// Subcommands:
//   codec [ITERATIONS]           SubjectAccessReview decode (+ validate + AccessRequest) and response encode.
//   engine DIR [SECONDS]         load + compile a generated workload (rbacgen.py), decisions/s, p50/p99.
//   review DIR [SECONDS]         whole reviews in process: decode + evaluate + encode over the workload's mix.
//   engine-count DIR PASSES      a fixed amount of evaluation work, for instruction counts under callgrind.
//   transport-server ARGS...     a TLS server answering a fixed small JSON body (see Benchmarks/transport.sh).
import ArbiterReview
import Glibc

let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "codec":
    let iterations = arguments.dropFirst().first.flatMap { Int($0) } ?? 1_000_000
    do {
        // Warm up, then 20 rounds; the minimum filters out preemption on a shared machine.
        _ = try ReviewCodecBenchmark.run(iterations: iterations / 20)
        var rounds: [ReviewCodecBenchmark.Measurement] = []
        for _ in 0..<20 { rounds.append(try ReviewCodecBenchmark.run(iterations: max(iterations / 20, 1))) }
        func report(_ label: String, _ values: [Double]) {
            let sorted = values.sorted()
            let minimum = (sorted[0] * 10).rounded() / 10
            let median = (sorted[sorted.count / 2] * 10).rounded() / 10
            print("  \(label) \(minimum) ns/op (min), \(median) ns/op (median)")
        }
        print("codec: 20 rounds of \(rounds[0].iterations) iterations, \(ReviewCodecBenchmark.sampleRequest.count)-byte review")
        report("decode+validate+accessRequest:", rounds.map(\.decodeNanoseconds))
        report("encodeResponse:               ", rounds.map(\.encodeNanoseconds))
        print("  (checksum \(rounds.reduce(0) { $0 &+ $1.checksum }))")
    } catch {
        print("codec: \(error)")
    }
case "engine" where arguments.count >= 2:
    let rest = Array(arguments.dropFirst())
    EngineBenchmark.run(directory: rest[0], seconds: rest.count > 1 ? Double(rest[1]) ?? 3 : 3)
case "review" where arguments.count >= 2:
    let rest = Array(arguments.dropFirst())
    EngineBenchmark.review(directory: rest[0], seconds: rest.count > 1 ? Double(rest[1]) ?? 3 : 3)
case "engine-count" where arguments.count >= 3:
    let rest = Array(arguments.dropFirst())
    EngineBenchmark.count(directory: rest[0], passes: Int(rest[1]) ?? 1)
case "transport-server":
    exit(TransportServer.run(Array(arguments.dropFirst())))
default:
    print("usage: ArbiterBenchmarks codec [ITERATIONS] | engine DIR [SECONDS] | review DIR [SECONDS] | engine-count DIR PASSES | transport-server ...")
}
