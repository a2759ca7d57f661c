import ArbiterPolicy
import ArbiterTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The compiled engine against the reference evaluator on generated policies and requests:
/// every decision and every reason must be identical.
///
/// The bounded run (200 policies x 200 requests) takes a few seconds in debug. A long run, in
/// release (1,000,000 cases take about 15 s):
///
///     swift build -c release --build-tests
///     ARBITER_DIFF_CASES=1000000 swift test -c release --skip-build \
///         --filter ArbiterPolicyTests.DifferentialTests/compiledEngineAgreesWithReferenceEvaluator
///
/// `ARBITER_DIFF_CASES` counts requests (200 per generated policy set); `ARBITER_DIFF_SEED=<n>`
/// changes the seed. A disagreement prints the seed, the policy index and the request, enough to
/// replay it with ``DifferentialRun/policySet(seed:index:yamlPercent:)``.
struct DifferentialTests {
    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }

    static let seed: UInt64 = environment("ARBITER_DIFF_SEED").flatMap { UInt64($0) } ?? 0x4152_4249_5445_5231

    @Test func compiledEngineAgreesWithReferenceEvaluator() {
        let requestsPerPolicy = 200
        let cases = Self.environment("ARBITER_DIFF_CASES").flatMap { Int($0) } ?? 200 * requestsPerPolicy
        let policies = max(1, cases / requestsPerPolicy)
        var reported = 0
        let summary = DifferentialRun.run(seed: Self.seed, policies: policies, requestsPerPolicy: requestsPerPolicy) {
            disagreement in
            reported += 1
            if reported <= 10 { Issue.record("engine and reference disagree: \(disagreement)") }
        }
        #expect(summary.loaderFailures.isEmpty, "generated YAML the loader refused: \(summary.loaderFailures.prefix(3))")
        #expect(summary.disagreements == 0)
        #expect(summary.cases == summary.policies * requestsPerPolicy)
        // The generator must actually produce every kind of outcome, or the test proves little.
        #expect(summary.allows > summary.cases / 50, "too few allows: \(summary.allows) of \(summary.cases)")
        #expect(summary.denies > summary.cases / 200, "too few denies: \(summary.denies) of \(summary.cases)")
        #expect(summary.errors > 0, "no missing-role reasons in \(summary.cases) cases")
        print(
            "differential: seed \(Self.seed), \(summary.policies) policies, \(summary.cases) cases, "
                + "\(summary.allows) allow, \(summary.denies) deny, \(summary.errors) no-opinion with errors, "
                + "\(summary.disagreements) disagreements")
    }

    /// `ARBITER_DIFF_REPLAY=<seed>:<index>` replays one policy set of a run: prints it as YAML
    /// and every disagreement on its requests (for minimising a failure by hand).
    @Test(.enabled(if: environment("ARBITER_DIFF_REPLAY") != nil))
    func replayOneCase() throws {
        let parts = try #require(Self.environment("ARBITER_DIFF_REPLAY")).split(separator: ":")
        let seed = try #require(parts.first.flatMap { UInt64($0) })
        let index = try #require(parts.last.flatMap { Int($0) })
        let (set, viaYAML, _, errors) = DifferentialRun.policySet(seed: seed, index: index, yamlPercent: 25)
        var emitter = PolicyYAMLEmitter(seed: 0)
        print("policy \(index) of seed \(seed)\(viaYAML ? " (via YAML)" : ""), loader errors \(errors):\n\(emitter.emit(set))")
        let summary = DifferentialRun.run(seed: seed, policies: 1, requestsPerPolicy: 200, startIndex: index) { print($0) }
        #expect(summary.disagreements == 0)
    }

    @Test func everyGeneratedSetLoadsFromItsYAML() {
        for index in 0..<200 {
            let (_, viaYAML, _, errors) = DifferentialRun.policySet(seed: Self.seed, index: index, yamlPercent: 100)
            #expect(viaYAML)
            #expect(errors.isEmpty, "seed \(Self.seed) policy \(index): \(errors.map(\.description))")
        }
    }

    @Test func generatorIsDeterministic() {
        var a = PolicyGenerator(seed: 42)
        var b = PolicyGenerator(seed: 42)
        let setA = a.policySet()
        let setB = b.policySet()
        var emitterA = PolicyYAMLEmitter(seed: 7)
        var emitterB = PolicyYAMLEmitter(seed: 7)
        #expect(emitterA.emit(setA).utf8.elementsEqual(emitterB.emit(setB).utf8))
        var rngA = SplitMix64(seed: 9)
        var rngB = SplitMix64(seed: 9)
        let requestsA = (0..<50).map { _ in RequestGenerator(setA).request(&rngA) }
        let requestsB = (0..<50).map { _ in RequestGenerator(setB).request(&rngB) }
        #expect(requestsA.map(\.debugText) == requestsB.map(\.debugText))
    }
}
