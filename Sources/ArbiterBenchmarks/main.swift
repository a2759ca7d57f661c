// ArbiterBenchmarks: timing loops, run in release mode (`swift run -c release ArbiterBenchmarks codec`).
//
// Subcommands:
//   codec [ITERATIONS]   SubjectAccessReview decode (+ validate + AccessRequest) and response encode.
import ArbiterReview

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
        print(
            "codec: 20 rounds of \(rounds[0].iterations) iterations, \(ReviewCodecBenchmark.sampleRequest.count)-byte review"
        )
        report("decode+validate+accessRequest:", rounds.map(\.decodeNanoseconds))
        report("encodeResponse:               ", rounds.map(\.encodeNanoseconds))
        print("  (checksum \(rounds.reduce(0) { $0 &+ $1.checksum }))")
    } catch {
        print("codec: \(error)")
    }
default:
    print("usage: ArbiterBenchmarks codec [ITERATIONS]")
}
