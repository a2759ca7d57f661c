// ArbiterBenchmarks: timing loops; run a release build:
//
//     swift run -c release ArbiterBenchmarks codec [ITERATIONS] [ROUNDS]
//
// Subcommands:
//   codec   SubjectAccessReview decode (+ validate + AccessRequest) and response encode of the
//           560-byte sample review, ITERATIONS in total (default 1,000,000) split into ROUNDS
//           rounds (default 20). The minimum over rounds filters out preemption on a shared
//           machine; the median shows the spread.
import ArbiterReview

let arguments = Array(CommandLine.arguments.dropFirst())

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
default:
    print("usage: ArbiterBenchmarks codec [ITERATIONS] [ROUNDS]")
}
