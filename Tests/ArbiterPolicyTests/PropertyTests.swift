import ArbiterPolicy
import ArbiterTestSupport
import Testing

/// Properties of the compiled engine over generated policies: monotonicity of allows and denies,
/// independence from object and file order, and YAML round trips.
struct PropertyTests {
    static let seed: UInt64 = 0x5052_4f50_4552_5459
    static let policies = 120
    static let requestsPerPolicy = 120

    /// Runs `body` for generated sets; each gets its own seed (printed on failure).
    static func forEachSet(
        _ salt: UInt64, _ body: (_ seed: UInt64, _ set: PolicySet, _ generator: inout PolicyGenerator) -> Void
    ) {
        for index in 0..<policies {
            let seed = SplitMix64.seed(Self.seed ^ salt, index)
            var generator = PolicyGenerator(seed: seed)
            let set = generator.policySet()
            body(seed, set, &generator)
        }
    }

    static func requests(_ set: PolicySet, _ rng: inout SplitMix64, count: Int = requestsPerPolicy) -> [AccessRequest] {
        let generator = RequestGenerator(set)
        return (0..<count).map { _ in generator.request(&rng) }
    }

    static func same(_ a: AuthorizationResult, _ b: AuthorizationResult) -> Bool {
        a.decision == b.decision && a.reason.bytesEqual(b.reason)
            && (a.evaluationError ?? "").bytesEqual(b.evaluationError ?? "")
    }

    // MARK: - Monotonicity

    @Test func addingADenyPolicyNeverAddsAnAllow() {
        var denied = 0
        Self.forEachSet(1) { seed, set, generator in
            var larger = set
            generator.addDeny(to: &larger)
            let before = PolicyCompiler.compile(set)
            let after = PolicyCompiler.compile(larger)
            // Requests aimed at both the old set and the new policy.
            for request in Self.requests(larger, &generator.rng) {
                let a = before.authorize(request)
                let b = after.authorize(request)
                if b.decision == .deny && a.decision != .deny { denied += 1 }
                #expect(
                    b.decision == .deny || Self.same(a, b),
                    "seed \(seed): \(request.debugText): \(a.decision) \(a.reason) -> \(b.decision) \(b.reason)")
                if a.decision == .deny { #expect(b.decision == .deny, "seed \(seed): \(request.debugText)") }
            }
        }
        #expect(denied > 0, "the added Deny policies never fired")
    }

    @Test func addingAnAllowNeverRemovesAnAllowOrADeny() {
        var gained = 0
        Self.forEachSet(2) { seed, set, generator in
            var larger = set
            generator.addAllow(to: &larger)
            let before = PolicyCompiler.compile(set)
            let after = PolicyCompiler.compile(larger)
            for request in Self.requests(larger, &generator.rng) {
                let a = before.authorize(request)
                let b = after.authorize(request)
                let context = "seed \(seed): \(request.debugText): \(a.decision) \(a.reason) -> \(b.decision) \(b.reason)"
                switch a.decision {
                case .allow: #expect(b.decision == .allow, "\(context)")
                case .deny: #expect(Self.same(a, b), "\(context)")  // Deny policies did not change
                case .noOpinion:
                    #expect(b.decision != .deny, "\(context)")
                    if b.decision == .allow { gained += 1 }
                }
            }
        }
        #expect(gained > 0, "the added allows never allowed anything new")
    }

    @Test func defaultDenyOnlyReplacesNoOpinion() {
        Self.forEachSet(7) { seed, set, generator in
            let policy = PolicyCompiler.compile(set)
            for request in Self.requests(set, &generator.rng, count: 60) {
                let plain = policy.authorize(request)
                let strict = policy.authorize(request, defaultDecision: .deny)
                let context = "seed \(seed): \(request.debugText)"
                if plain.decision == .noOpinion {
                    #expect(strict.decision == .deny, "\(context)")
                    #expect(strict.source == .defaultDecision, "\(context)")
                    #expect((strict.evaluationError ?? "").bytesEqual(plain.evaluationError ?? ""), "\(context)")
                    // Missing-role errors stay visible in the reason.
                    if !plain.reason.isEmpty { #expect(strict.reason.bytesEqual(plain.reason), "\(context)") }
                } else {
                    #expect(Self.same(plain, strict) && plain.source == strict.source, "\(context)")
                }
            }
        }
    }

    // MARK: - Order

    @Test func objectOrderNeverChangesAnAnswer() {
        Self.forEachSet(3) { seed, set, generator in
            var shuffled = set
            generator.rng.shuffle(&shuffled.roles)
            generator.rng.shuffle(&shuffled.bindings)
            generator.rng.shuffle(&shuffled.accessPolicies)
            let reversed = PolicySet(
                roles: set.roles.reversed(), bindings: set.bindings.reversed(), accessPolicies: set.accessPolicies.reversed())
            let original = PolicyCompiler.compile(set)
            let others = [PolicyCompiler.compile(shuffled), PolicyCompiler.compile(reversed)]
            for request in Self.requests(set, &generator.rng) {
                let a = original.authorize(request)
                for other in others {
                    let b = other.authorize(request)
                    // The whole result, including what decided it (indices into compiled order).
                    #expect(Self.same(a, b) && a.source == b.source, "seed \(seed): \(request.debugText)")
                }
            }
        }
    }

    @Test func fileSplitAndFileOrderNeverChangeAnAnswer() throws {
        Self.forEachSet(4) { seed, set, generator in
            var emitter = PolicyYAMLEmitter(seed: generator.rng.next())
            let files = emitter.emitFiles(set, count: generator.rng.int(1...4))
            let forward = PolicyLoader.combine(files.enumerated().map { PolicyLoader.load($1, file: "f\($0).yaml") })
            let backward = PolicyLoader.combine(
                files.enumerated().reversed().map { PolicyLoader.load($1, file: "f\($0).yaml") })
            #expect(forward.errors.isEmpty && backward.errors.isEmpty, "seed \(seed): \(forward.errors) \(backward.errors)")
            let a = PolicyCompiler.compile(forward.set)
            let b = PolicyCompiler.compile(backward.set)
            for request in Self.requests(set, &generator.rng) {
                let x = a.authorize(request)
                let y = b.authorize(request)
                #expect(Self.same(x, y) && x.source == y.source, "seed \(seed): \(request.debugText)")
            }
        }
    }

    // MARK: - YAML round trip

    @Test func yamlRoundTripKeepsEveryDecision() {
        var checked = 0
        Self.forEachSet(5) { seed, set, generator in
            var emitter = PolicyYAMLEmitter(seed: generator.rng.next())
            let text = emitter.emit(set)
            let loaded = PolicyLoader.combine([PolicyLoader.load(text, file: "roundtrip.yaml")])
            guard loaded.errors.isEmpty else {
                Issue.record("seed \(seed): the loader refused emitted YAML: \(loaded.errors)\n\(text)")
                return
            }
            #expect(loaded.set.roles.count == set.roles.count, "seed \(seed)")
            #expect(loaded.set.bindings.count == set.bindings.count, "seed \(seed)")
            #expect(loaded.set.accessPolicies.count == set.accessPolicies.count, "seed \(seed)")
            let original = PolicyCompiler.compile(set)
            let roundTripped = PolicyCompiler.compile(loaded.set)
            let reference = ReferenceEvaluator(loaded.set)
            for request in Self.requests(set, &generator.rng) {
                let a = original.authorize(request)
                let b = roundTripped.authorize(request)
                let r = reference.authorize(request)
                checked += 1
                #expect(Self.same(a, b) && a.source == b.source, "seed \(seed): \(request.debugText)")
                #expect(b.decision == r.decision && b.reason.bytesEqual(r.reason), "seed \(seed): \(request.debugText)")
            }
        }
        #expect(checked == Self.policies * Self.requestsPerPolicy)
    }

    @Test func emittedYAMLReadsBackTheSameObjects() {
        Self.forEachSet(6) { seed, set, generator in
            var emitter = PolicyYAMLEmitter(seed: generator.rng.next())
            let loaded = PolicyLoader.combine([PolicyLoader.load(emitter.emit(set), file: "same.yaml")])
            #expect(loaded.errors.isEmpty, "seed \(seed)")
            // Compare field by field, bytes, after sorting both by identity.
            func roleKey(_ role: Role) -> [UInt8] { Array((role.kind.rawValue + "\u{0}" + role.namespace + "\u{0}" + role.name).utf8) }
            let a = set.roles.sorted { roleKey($0).lexicographicallyPrecedes(roleKey($1)) }
            let b = loaded.set.roles.sorted { roleKey($0).lexicographicallyPrecedes(roleKey($1)) }
            #expect(a.count == b.count, "seed \(seed)")
            for (x, y) in zip(a, b) {
                #expect(roleKey(x) == roleKey(y), "seed \(seed)")
                #expect(x.rules.count == y.rules.count && zip(x.rules, y.rules).allSatisfy { $0.bytesEqual($1) }, "seed \(seed)")
                #expect((x.aggregationRule == nil) == (y.aggregationRule == nil), "seed \(seed)")
                #expect(x.labels.count == y.labels.count, "seed \(seed)")
            }
            func bindingKey(_ b: Binding) -> [UInt8] { Array((b.kind.rawValue + "\u{0}" + b.namespace + "\u{0}" + b.name).utf8) }
            let c = set.bindings.sorted { bindingKey($0).lexicographicallyPrecedes(bindingKey($1)) }
            let d = loaded.set.bindings.sorted { bindingKey($0).lexicographicallyPrecedes(bindingKey($1)) }
            for (x, y) in zip(c, d) {
                #expect(bindingKey(x) == bindingKey(y), "seed \(seed)")
                #expect(
                    x.subjects.count == y.subjects.count
                        && zip(x.subjects, y.subjects).allSatisfy {
                            $0.kind == $1.kind && $0.name.bytesEqual($1.name) && $0.namespace.bytesEqual($1.namespace)
                        }, "seed \(seed)")
                #expect(x.roleRef.kind == y.roleRef.kind && x.roleRef.name.bytesEqual(y.roleRef.name), "seed \(seed)")
            }
        }
    }
}
