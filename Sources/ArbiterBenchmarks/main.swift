// ArbiterBenchmarks: timing loops; run a release build (`make bench` runs them all).
//
// Subcommands:
//   codec [ITERATIONS] [ROUNDS]  SubjectAccessReview decode (+ validate + AccessRequest) and response
//                                encode of the 560-byte sample review; minimum and median over rounds.
//   engine DIR [SECONDS]         load + compile a generated workload (rbacgen.py), decisions/s, p50/p99.
//   review DIR [SECONDS]         whole reviews in process: decode + evaluate + encode over the workload's mix.
//   engine-count DIR PASSES [warm]  a fixed amount of evaluation work, for instruction counts under callgrind
//                                (warm: each request read just before its decision, as after decoding;
//                                workload options as for engine-ratio).
//   engine-levels DIR [PASSES]   what each level of a decision's cache misses costs (the request's strings,
//                                attribute and name lookups, index slots, binding entries, roles and rules:
//                                each read just before the decision).
//   engine-candidates DIR        subject-index entries per request, and how many pass the role filters.
//   engine-ratio DIR1 DIR2... [ROUNDS] [SECONDS]  workloads side by side, round by round (the host's
//                                noise falls on all): borrowed loop and request-just-read mean, and the ratios
//                                to the first. Options after a workload: :plain or :prefetch forces the
//                                subject prefetching off or on, :first=N decides only its first N requests.
//   engine-ab DIR[:opt] DIR[:opt] [PAIRS] [BLOCK]  one workload's policy
//                                compiled two ways and compared in interleaved pairs of short blocks (the
//                                host's noise cancels within a pair): median paired difference B − A.
//   responder DIR [SECONDS]      the webhook's own work per request (WebhookResponder, no sockets).
//   responder-count DIR PASSES   the same, a fixed amount of work for callgrind.
//   transport-server ARGS...     a TLS server answering a fixed small JSON body (see Benchmarks/transport.sh).
import ArbiterReview
import Glibc

let arguments = Array(CommandLine.arguments.dropFirst())

/// Writes `message` to standard error after the tool's name and exits with status 2 (a usage
/// error: a missing workload, an unknown option).
func fail(_ message: String) -> Never {
    let line = "ArbiterBenchmarks: \(message)\n"
    _ = line.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    exit(2)
}

/// Exits with a message unless each directory holds a generated workload (`rbac.yaml` and
/// `requests.jsonl`), rather than crashing on the first read.
func requireWorkloads(_ directories: [String]) {
    for directory in directories {
        for file in ["rbac.yaml", "requests.jsonl"] where access(directory + "/" + file, R_OK) != 0 {
            fail("cannot read \(directory)/\(file): generate the workload with"
                + " python3 ../shared/bench/rbacgen.py small|medium|large --out \(directory)")
        }
    }
}

switch arguments.first {
case "engine", "review", "engine-levels", "engine-candidates", "responder", "responder-count":
    if arguments.count >= 2 { requireWorkloads([arguments[1]]) }
default:
    break
}

/// Prints `label` with the minimum and median of `values` (ns/op).
func report(_ label: String, _ values: [Double]) {
    let sorted = values.sorted()
    let minimum = (sorted[0] * 10).rounded() / 10
    let median = (sorted[sorted.count / 2] * 10).rounded() / 10
    print("  \(label) \(minimum) ns/op (min), \(median) ns/op (median)")
}

switch arguments.first {
case "codec":
    let iterations = arguments.count > 1 ? Int(arguments[1]) ?? 1_000_000 : 1_000_000
    let roundCount = max(arguments.count > 2 ? Int(arguments[2]) ?? 20 : 20, 1)
    let perRound = max(iterations / roundCount, 1)
    do {
        _ = try ReviewCodecBenchmark.run(iterations: perRound)  // warm-up
        var rounds: [ReviewCodecBenchmark.Measurement] = []
        for _ in 0..<roundCount { rounds.append(try ReviewCodecBenchmark.run(iterations: perRound)) }
        let size = ReviewCodecBenchmark.sampleRequest.count
        print("codec: \(roundCount) rounds of \(perRound) iterations, \(size)-byte review")
        report("decode+validate+accessRequest:", rounds.map(\.decodeNanoseconds))
        report("encodeResponse:               ", rounds.map(\.encodeNanoseconds))
        print("  (checksum \(rounds.reduce(0) { $0 &+ $1.checksum }))")
    } catch {
        print("codec: \(error)")
    }
case "engine" where arguments.count >= 2:
    EngineBenchmark.run(directory: arguments[1], seconds: arguments.count > 2 ? Double(arguments[2]) ?? 3 : 3)
case "review" where arguments.count >= 2:
    EngineBenchmark.review(directory: arguments[1], seconds: arguments.count > 2 ? Double(arguments[2]) ?? 3 : 3)
case "engine-count" where arguments.count >= 3:
    let spec = EngineBenchmark.WorkloadSpec(arguments[1])
    requireWorkloads([spec.directory])
    EngineBenchmark.count(spec, passes: Int(arguments[2]) ?? 1, warm: arguments.count > 3 && arguments[3] == "warm")
case "engine-levels" where arguments.count >= 2:
    EngineBenchmark.levels(directory: arguments[1], passes: arguments.count > 2 ? Int(arguments[2]) ?? 3 : 3)
case "engine-ratio" where arguments.count >= 3:
    // Directories first, then the optional rounds and seconds (numbers).
    let specs = arguments.dropFirst().prefix { Double($0) == nil }.map(EngineBenchmark.WorkloadSpec.init)
    requireWorkloads(specs.map(\.directory))
    let numbers = arguments.dropFirst(1 + specs.count)
    EngineBenchmark.ratio(
        specs, rounds: numbers.first.flatMap { Int($0) } ?? 9,
        seconds: numbers.dropFirst().first.flatMap { Double($0) } ?? 0.5)
case "engine-ab" where arguments.count >= 3:
    let specs = [arguments[1], arguments[2]].map(EngineBenchmark.WorkloadSpec.init)
    requireWorkloads(specs.map(\.directory))
    guard specs[0].directory == specs[1].directory, specs[0].firstRequests == specs[1].firstRequests else {
        fail("engine-ab compares one workload compiled two ways: give the same DIR (and the same :first=N) twice"
            + " (DIR:plain DIR, say)")
    }
    EngineBenchmark.ab(
        specs[0], specs[1], pairs: arguments.count > 3 ? Int(arguments[3]) ?? 2000 : 2000,
        block: arguments.count > 4 ? Int(arguments[4]) ?? 200 : 200)
case "engine-candidates" where arguments.count >= 2:
    EngineBenchmark.candidates(directory: arguments[1])
case "responder" where arguments.count >= 2:
    ResponderBenchmark.run(directory: arguments[1], seconds: arguments.count > 2 ? Double(arguments[2]) ?? 3 : 3)
case "responder-count" where arguments.count >= 3:
    ResponderBenchmark.count(directory: arguments[1], passes: Int(arguments[2]) ?? 1)
case "transport-server":
    exit(TransportServer.run(Array(arguments.dropFirst())))
default:
    print(
        "usage: ArbiterBenchmarks codec [ITERATIONS] [ROUNDS] | engine DIR [SECONDS] | review DIR [SECONDS] | engine-count DIR PASSES"
            + " | engine-levels DIR [PASSES] | engine-ratio DIR1 DIR2... [ROUNDS] [SECONDS] | engine-ab DIR[:opt] DIR[:opt] [PAIRS] [BLOCK]"
            + " | engine-candidates DIR | responder DIR [SECONDS] | responder-count DIR PASSES | transport-server ...")
}
