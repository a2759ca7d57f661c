@_spi(Testing) public import ArbiterPolicy

/// The compiled engine against ``ReferenceEvaluator`` on generated policies and requests.
///
/// Case `i` of a run with seed `s` uses its own stream (`SplitMix64.seed(s, i)`), so any failing
/// case can be replayed alone from the seed and index printed with it.
public enum DifferentialRun {
    /// One disagreement: where it came from and what each side said.
    public struct Disagreement: CustomStringConvertible, Sendable {
        public var seed: UInt64
        public var policyIndex: Int
        public var viaYAML: Bool
        public var request: AccessRequest
        public var engine: AuthorizationResult
        public var reference: (decision: Decision, reason: String)

        public var description: String {
            "seed \(seed) policy \(policyIndex)\(viaYAML ? " (via YAML)" : ""): \(request.debugText)\n"
                + "  engine:    \(engine.decision) \(goQuoted(engine.reason))\n"
                + "  reference: \(reference.decision) \(goQuoted(reference.reason))"
        }
    }

    public struct Summary: Sendable {
        public var policies = 0
        public var cases = 0
        public var disagreements = 0
        public var allows = 0
        public var denies = 0
        public var errors = 0
        /// YAML texts the loader refused (a generator or emitter bug; must be 0).
        public var loaderFailures: [String] = []

        public init() {}
    }

    /// The policy set of case `index`: generated, and for `yamlPercent`% of cases emitted as
    /// YAML (over one to three files) and loaded back; 40% of the others go beyond what the
    /// loader accepts (``PolicyGenerator/Options/beyondLoader``). Returns the set and whether it went
    /// through the loader, or the loader's errors.
    public static func policySet(
        seed: UInt64, index: Int, yamlPercent: Int
    ) -> (set: PolicySet, viaYAML: Bool, rng: SplitMix64, loaderErrors: [PolicyError]) {
        var choices = SplitMix64(seed: SplitMix64.seed(seed, index))
        let viaYAML = choices.chance(yamlPercent)
        var options = PolicyGenerator.Options()
        options.beyondLoader = !viaYAML && choices.chance(40)
        if choices.chance(15) {
            // Large sets: many bindings per subject and namespace, so the engine's indexes hold
            // long candidate lists and its "first binding in order" search is really tested.
            options.maxRoles = 30
            options.maxBindings = 60
            options.maxPolicies = 12
            options.maxSubjects = 5
        }
        var generator = PolicyGenerator(seed: choices.next(), options: options)
        let set = generator.policySet()
        var rng = generator.rng
        guard viaYAML else { return (set, false, rng, []) }
        var emitter = PolicyYAMLEmitter(seed: rng.next())
        let files = emitter.emitFiles(set, count: rng.int(1...3))
        let loaded = PolicyLoader.combine(files.enumerated().map { PolicyLoader.load($1, file: "gen-\($0).yaml") })
        return (loaded.set, true, rng, loaded.errors)
    }

    /// Runs `policies` generated policy sets with `requestsPerPolicy` requests each.
    public static func run(
        seed: UInt64, policies: Int, requestsPerPolicy: Int, yamlPercent: Int = 25, startIndex: Int = 0,
        onDisagreement: (Disagreement) -> Void
    ) -> Summary {
        var summary = Summary()
        for index in startIndex..<(startIndex + policies) {
            let (set, viaYAML, rngAfterSet, errors) = policySet(seed: seed, index: index, yamlPercent: yamlPercent)
            var rng = rngAfterSet
            if !errors.isEmpty {
                summary.loaderFailures.append("seed \(seed) policy \(index): \(errors.map(\.description))")
                continue
            }
            // Every other policy with the large-policy evaluation path (subjects prefetched).
            let compiled = PolicyCompiler.compile(set, prefetchingSubjects: index % 2 == 1)
            let reference = ReferenceEvaluator(set)
            let requests = RequestGenerator(set)
            summary.policies += 1
            for _ in 0..<requestsPerPolicy {
                let request = requests.request(&rng)
                let engine = compiled.authorize(request)
                let expected = reference.authorize(request)
                summary.cases += 1
                switch engine.decision {
                case .allow: summary.allows += 1
                case .deny: summary.denies += 1
                case .noOpinion: if !engine.reason.isEmpty { summary.errors += 1 }
                }
                if engine.decision != expected.decision || !engine.reason.bytesEqual(expected.reason) {
                    summary.disagreements += 1
                    onDisagreement(
                        Disagreement(
                            seed: seed, policyIndex: index, viaYAML: viaYAML, request: request, engine: engine,
                            reference: expected))
                }
            }
        }
        return summary
    }
}
