import ArbiterPolicy
import ArbiterTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Security checklist item 20: policy-file abuse never crashes the loader, is bounded, and every
/// refusal says where (`file:line:column`). Random mutations of valid generated policy text,
/// then one test per known abuse.
struct LoaderRobustnessTests {
    static let seed: UInt64 = 0x4c4f_4144_4552_2121

    // MARK: - Mutation fuzzing

    /// A billion-laughs stream of `levels` levels, 9 aliases each.
    static func aliasBomb(levels: Int = 9) -> String {
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1..<levels {
            text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ") + "]\n"
        }
        return text
    }

    static func lines(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
    }

    static func joined(_ lines: [[UInt8]]) -> [UInt8] {
        Array(lines.joined(separator: [UInt8(ascii: "\n")]))
    }

    /// One random mutation of `bytes`.
    static func mutate(_ bytes: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        guard !bytes.isEmpty else { return Array("x: [".utf8) }
        switch rng.below(12) {
        case 0:  // flip a byte to anything (invalid UTF-8, NUL, tabs, ...)
            bytes[rng.below(bytes.count)] = UInt8(truncatingIfNeeded: rng.next())
        case 1:  // flip one bit
            let i = rng.below(bytes.count)
            bytes[i] ^= 1 << UInt8(rng.below(8))
        case 2:  // truncate
            bytes.removeSubrange(rng.below(bytes.count)...)
        case 3:  // duplicate a line (duplicate keys, duplicate list entries)
            var lines = Self.lines(bytes)
            let i = rng.below(lines.count)
            lines.insert(lines[i], at: i)
            bytes = Self.joined(lines)
        case 4:  // delete a line
            var lines = Self.lines(bytes)
            lines.remove(at: rng.below(lines.count))
            bytes = Self.joined(lines)
        case 5:  // swap two lines
            var lines = Self.lines(bytes)
            lines.swapAt(rng.below(lines.count), rng.below(lines.count))
            bytes = Self.joined(lines)
        case 6:  // deep nesting, sometimes just under the limit
            let depth = rng.pick([30, 62, 63, 64, 65, 200, 2000])
            let open = rng.chance(50) ? "[" : "{a: "
            let close = open == "[" ? "]" : "}"
            var lines = Self.lines(bytes)
            let nest = "deep: " + String(repeating: open, count: depth) + String(repeating: close, count: depth)
            lines.insert(Array(nest.utf8), at: rng.below(lines.count + 1))
            bytes = Self.joined(lines)
        case 7:  // an alias bomb, as its own document or appended to a line
            let bomb = Array(("\n---\n" + aliasBomb(levels: rng.pick([3, 5, 6, 9]))).utf8)
            bytes.insert(contentsOf: bomb, at: rng.chance(50) ? bytes.count : rng.below(bytes.count))
        case 8:  // YAML syntax fragments at a random place
            let fragment = rng.pick([
                "<<: *x\n", "&a ", "*a", "\t", ": ", "- ", "{", "}", "[", "]", "'", "\"", "\\", "%YAML 1.1\n",
                "!!binary ", "!custom ", "? ", "|\n", ">\n", "---\n", "...\n", "#", "\u{FEFF}", "&anchor [1, *anchor]",
                "yes", "null", "~", "0x1F", "1e3", "\u{0}", "\r", "\u{2028}", "!!str ", "!!map {}",
            ])
            bytes.insert(contentsOf: Array(fragment.utf8), at: rng.below(bytes.count + 1))
        case 9:  // repeat a chunk (long lines, many documents)
            let start = rng.below(bytes.count)
            let end = min(bytes.count, start + rng.int(1...200))
            let chunk = Array(bytes[start..<end])
            for _ in 0..<rng.int(2...20) { bytes.insert(contentsOf: chunk, at: start) }
        case 10:  // indentation change on one line
            var lines = Self.lines(bytes)
            let i = rng.below(lines.count)
            if rng.chance(50) { lines[i].insert(contentsOf: Array("  ".utf8), at: 0) } else if lines[i].first == UInt8(ascii: " ") {
                lines[i].removeFirst()
            }
            bytes = Self.joined(lines)
        default:  // replace a scalar value with a type the decoder must refuse
            var lines = Self.lines(bytes)
            let i = rng.below(lines.count)
            if let colon = lines[i].lastIndex(of: UInt8(ascii: ":")) {
                lines[i].removeSubrange((colon + 1)...)
                lines[i] += Array(rng.pick([" yes", " 12", " [a, b]", " {a: b}", " null", " ~", " *nope", " -"]).utf8)
            }
            bytes = Self.joined(lines)
        }
        return bytes
    }

    /// Every error names the file and a line and column inside (or just past) the text.
    static func checkLocations(_ errors: [PolicyError], file: String, bytes: [UInt8], context: String) {
        let lineCount = bytes.count { $0 == UInt8(ascii: "\n") } + 1
        for error in errors {
            guard let location = error.location else {
                Issue.record("\(context): error without a location: \(error)")
                continue
            }
            #expect(location.file == file, "\(context): \(error)")
            #expect(location.line >= 1 && location.line <= lineCount + 1, "\(context): \(error) (\(lineCount) lines)")
            #expect(location.column >= 1, "\(context): \(error)")
            #expect(!error.message.isEmpty, "\(context)")
            #expect(error.description.hasPrefix("\(file):\(location.line):\(location.column): "), "\(context)")
        }
    }

    @Test func mutatedPolicyTextNeverCrashesAndAlwaysLocatesItsErrors() {
        var loaded = 0
        var refused = 0
        var codes = Set<PolicyError.Code>()
        for index in 0..<400 {
            let seed = SplitMix64.seed(Self.seed, index)
            var generator = PolicyGenerator(seed: seed)
            let set = generator.policySet()
            var rng = generator.rng
            var emitter = PolicyYAMLEmitter(seed: rng.next())
            var bytes = Array(emitter.emit(set).utf8)
            for _ in 0..<rng.int(1...3) { bytes = Self.mutate(bytes, &rng) }
            let file = "mutated-\(index).yaml"
            let result = PolicyLoader.combine([PolicyLoader.load(bytes, file: file)])
            Self.checkLocations(result.errors, file: file, bytes: bytes, context: "seed \(seed)")
            codes.formUnion(result.errors.map(\.code))
            if result.errors.isEmpty {
                loaded += 1
            } else {
                refused += 1
            }
            // Whatever was read compiles and answers (an error never stops the other objects).
            let compiled = PolicyCompiler.compile(result.set)
            let requests = RequestGenerator(result.set)
            for _ in 0..<20 { _ = compiled.authorize(requests.request(&rng)) }
        }
        #expect(loaded > 0 && refused > 0, "mutations should both keep and break files: \(loaded) loaded, \(refused) refused")
        for code in [PolicyError.Code.syntax, .duplicateKey, .aliasLimit, .nestingLimit, .wrongType] {
            #expect(codes.contains(code), "no mutation produced \(code); produced \(codes)")
        }
    }

    @Test func randomBytesNeverCrashTheLoader() {
        var rng = SplitMix64(seed: Self.seed)
        let alphabet = Array("abc:-[]{}&*!|>'\"#%@`,? \n\t\\0123456789<".utf8)
        for index in 0..<300 {
            let count = rng.int(0...400)
            let bytes: [UInt8] = (0..<count).map { _ in
                rng.chance(80) ? rng.pick(alphabet) : UInt8(truncatingIfNeeded: rng.next())
            }
            let file = "random-\(index).yaml"
            let result = PolicyLoader.load(bytes, file: file)
            Self.checkLocations(result.errors, file: file, bytes: bytes, context: "random \(index)")
        }
    }

    // MARK: - Known abuse

    @Test func billionLaughsFailsWithAliasLimit() {
        let text = Self.aliasBomb(levels: 9)  // 9^9 = 387,420,489 scalars if expanded
        #expect(text.utf8.count < 1000)
        let result = PolicyLoader.load(text, file: "bomb.yaml")
        #expect(result.errors.map(\.code) == [.aliasLimit])
        let location = result.errors.first?.location
        #expect(location?.file == "bomb.yaml")
        // Expansion passes 100,000 nodes while reading level 6 (9^5 * 10 > 100,000 after a few aliases).
        #expect((location?.line ?? 0) >= 2 && (location?.line ?? 0) <= 9)
        #expect(result.set.roles.isEmpty)
    }

    @Test func aliasesWithinTheLimitLoad() throws {
        let text = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: r}
            rules:
            - {apiGroups: &core [""], resources: &res [pods, services], verbs: &read [get, list]}
            - {apiGroups: *core, resources: [secrets], verbs: *read}
            """
        let set = try loadPolicySet(text)
        #expect(set.roles.first?.rules.count == 2)
        #expect(set.roles.first?.rules[1].verbs == ["get", "list"])
    }

    @Test func duplicateKeysAreRefusedWithTheirLine() {
        let text = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata:
              name: a
              name: b
            rules: []
            """
        let result = PolicyLoader.load(text, file: "dup.yaml")
        #expect(result.errors.map(\.code) == [.duplicateKey])
        #expect(result.errors.first?.location == SourceLocation(file: "dup.yaml", line: 5, column: 3))
        #expect(result.set.roles.isEmpty)
    }

    @Test func duplicateKeysAreComparedAsBytes() {
        // `K` and the Kelvin sign are different keys (Kubernetes compares bytes); `a` twice is not.
        let distinct = PolicyLoader.load("metadata: {labels: {\"K\": x, \"\u{212A}\": y}}", file: "k.yaml")
        #expect(!distinct.errors.contains { $0.code == .duplicateKey })
        let duplicate = PolicyLoader.load("a: 1\n\"a\": 2\n", file: "a.yaml")
        #expect(duplicate.errors.map(\.code) == [.duplicateKey])
        #expect(duplicate.errors.first?.location?.line == 2)
    }

    static func nested(_ depth: Int) -> String {
        "apiVersion: v1\nkind: ConfigMap\ndata: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
    }

    @Test func nestingDeeperThan64IsRefused() {
        // The document's mapping is one level, so 63 brackets reach the limit of 64 exactly.
        let atLimit = PolicyLoader.load(Self.nested(63), file: "ok.yaml")
        #expect(atLimit.errors.isEmpty, "\(atLimit.errors)")
        #expect(atLimit.set.skipped["v1/ConfigMap"] == 1)
        // Very deep flow input trips libyaml's own limit (its scanner reads ahead); same code.
        for depth in [64, 65, 1000, 100_000] {
            let result = PolicyLoader.load(Self.nested(depth), file: "deep.yaml")
            #expect(result.errors.map(\.code) == [.nestingLimit], "depth \(depth)")
            #expect(result.errors.first?.location?.line == 3, "depth \(depth)")
        }
    }

    /// Bytes alone do not bound a tree's memory: a flow list of tiny nodes is refused by count,
    /// where it passes the node limit, with the position of the first node too many.
    @Test func sourcesWithTooManyNodesAreRefused() {
        let limits = YAMLLimits(maxNodes: 1_000)
        let flood = "x: [" + Array(repeating: "a", count: 2_000).joined(separator: ",") + "]\n"
        let result = PolicyLoader.load(flood, file: "nodes.yaml", limits: limits)
        #expect(result.errors.map(\.code) == [.fileTooLarge])
        #expect(result.errors.first?.message.contains("more than 1000 YAML nodes") == true)
        #expect(result.errors.first?.location?.line == 1)
        let fits = "x: [" + Array(repeating: "a", count: 900).joined(separator: ",") + "]\n"
        #expect(PolicyLoader.load(fits, file: "fits.yaml", limits: limits).errors.allSatisfy { $0.code != .fileTooLarge })
    }

    @Test func oversizedSourcesAreRefused() throws {
        let role = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: r}
            rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]

            """
        let limits = YAMLLimits(maxBytes: 1024)
        let big = String(repeating: "# padding padding padding padding\n", count: 40) + role
        let result = PolicyLoader.load(big, file: "big.yaml", limits: limits)
        #expect(result.errors.map(\.code) == [.fileTooLarge])
        #expect(result.errors.first?.location == SourceLocation(file: "big.yaml", line: 1, column: 1))
        #expect(PolicyLoader.load(role, file: "small.yaml", limits: limits).errors.isEmpty)

        // The same through the file reader, which must stop reading at the limit.
        let path = "/tmp/arbiter-oversized-\(getpid()).yaml"
        let handle = try #require(fopen(path, "w"))
        _ = big.utf8CString.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count - 1, handle) }
        fclose(handle)
        defer { unlink(path) }
        let fromDisk = PolicySourceReader.load(paths: [path], limits: limits)
        #expect(fromDisk.errors.map(\.code) == [.fileTooLarge])
        #expect(fromDisk.errors.first?.location?.file == path)
    }

    @Test func mergeKeysAreRefused() {
        let text = """
            base: &base {name: a}
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata:
              <<: *base
            rules: []
            """
        let result = PolicyLoader.load(text, file: "merge.yaml")
        #expect(result.errors.map(\.code) == [.unsupportedYAML])
        #expect(result.errors.first?.location == SourceLocation(file: "merge.yaml", line: 5, column: 3))
        // A quoted "<<" is an ordinary key.
        #expect(PolicyLoader.load("\"<<\": 1\n", file: "q.yaml").errors.allSatisfy { $0.code != .unsupportedYAML })
    }

    @Test(arguments: ["yes", "on", "no", "true", "12", "0x1F", "1e3", "~", "null", ".inf"])
    func nonStringVerbsAreWrongType(_ value: String) {
        let text = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: r}
            rules:
            - apiGroups: [""]
              resources: [pods]
              verbs: [get, \(value)]
            """
        let result = PolicyLoader.load(text, file: "types.yaml")
        #expect(result.errors.map(\.code) == [.wrongType], "\(value): \(result.errors)")
        #expect(result.errors.first?.location == SourceLocation(file: "types.yaml", line: 7, column: 16), "\(value)")
        // Quoted, the same text is a verb.
        let quoted = PolicyLoader.load(text.replacingLast(value, with: "\"\(value)\""), file: "types.yaml")
        #expect(quoted.errors.isEmpty, "\(value): \(quoted.errors)")
        #expect(quoted.set.roles.first?.rules.first?.verbs == ["get", value])
    }

    @Test func kindsOfOtherGroupsAreSkippedAndCounted() throws {
        let text = """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: a}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: b}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: d}
            spec: {replicas: 3}
            ---
            apiVersion: arbiter.dev/v1alpha1
            kind: ServerConfiguration
            policies: [x]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: r}
            rules: []
            """
        let result = PolicyLoader.load(text, file: "kinds.yaml")
        #expect(result.errors.isEmpty)
        #expect(result.set.skipped == ["v1/ConfigMap": 2, "apps/v1/Deployment": 1])
        #expect(result.set.roles.count == 1)
        #expect(PolicyCompiler.compile(result.set).summary.contains("skipped 3 other objects"))
    }

    /// A misspelt kind in our own groups would silently drop a Deny or a binding.
    @Test(arguments: [
        ("rbac.authorization.k8s.io/v1", "ClusterRoel"), ("rbac.authorization.k8s.io/v1", "SomethingNew"),
        ("arbiter.dev/v1alpha1", "Accesspolicy"), ("arbiter.dev/v1alpha1", "DenyPolicy"),
    ])
    func unknownKindsOfOurGroupsAreErrors(_ apiVersion: String, _ kind: String) {
        let text = "apiVersion: \(apiVersion)\nkind: \(kind)\nmetadata: {name: n}\n"
        let result = PolicyLoader.load(text, file: "kinds.yaml")
        #expect(result.errors.map(\.code) == [.invalidValue], "\(kind): \(result.errors)")
        #expect(result.errors.first?.message.contains("unknown kind `\(kind)`") == true)
        #expect(result.errors.first?.location == SourceLocation(file: "kinds.yaml", line: 1, column: 1))
        #expect(result.set.skipped.isEmpty)
    }

    /// JSON's surrogate-pair escapes (Python's `json.dump` writes them) load as the character,
    /// a lone surrogate as U+FFFD, as Go's decoder reads them; the columns of what follows the
    /// string stay those of the file.
    @Test func jsonSurrogateEscapesLoadAsGoReadsThem() throws {
        let text = #"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"r\ud83d\ude00\ud800x"},"rules":[]}"#
        let loaded = PolicyLoader.load(text, file: "p.json")
        #expect(loaded.errors.isEmpty, "\(loaded.errors)")
        #expect(loaded.set.roles.first?.name == "r\u{1F600}\u{FFFD}x")
        // An error after the rewritten string points at the column it has in the file.
        let bad = #"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"r\ud83d\ude00"},"rulez":[]}"#
        let key = Array(#""rulez""#.utf8)
        let bytes = Array(bad.utf8)
        let column = bytes.indices.first { bytes[$0...].starts(with: key) }  // the key's opening quote, 0-based
        let errors = PolicyLoader.load(bad, file: "p.json").errors
        #expect(errors.count == 1 && errors.first?.message.contains("unknown field `rulez`") == true, "\(errors)")
        #expect(errors.first?.location?.column == column.map { $0 + 1 }, "\(errors)")
        // YAML files keep YAML's rule.
        #expect(!PolicyLoader.load(text, file: "p.yaml").errors.isEmpty)
    }

    /// `validate` lists every problem of an object in one run, not only the first.
    @Test func everyProblemOfAnObjectIsReported() {
        let text = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: r}
            rules:
            - {apiGroups: [""], resources: [pods]}
            - {apiGroups: [""], resources: [secrets], verbs: [get], resourcename: [a]}
            - {apiGroups: [""], resources: [configmaps], verbs: [get]}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: b}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
            subjects:
            - {kind: ServiceAccount, name: sa}
            - {kind: Robot, name: r2d2}
            - {kind: User, name: jane}
            """
        let result = PolicyLoader.load(text, file: "many.yaml")
        #expect(result.errors.map(\.location?.line) == [5, 6, 14, 15], "\(result.errors)")
        #expect(result.set.roles.isEmpty)
        #expect(result.set.bindings.isEmpty)
    }

    /// Also a metadata problem together with the fields' problems, and several bad fields of
    /// one rule (each had hidden the others: `validate` showed one per run).
    @Test func metadataAndEachFieldOfARuleAreReportedTogether() {
        let text = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: a/b}
            rules:
            - apiGroups: [""]
              resources: [yes]
              verbs: [1]
            - apiGroups: [""]
              verbz: [get]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: rb}
            subjects: [{kind: User, name: x, bogus: 1}]
            """
        let result = PolicyLoader.load(text, file: "multi.yaml")
        #expect(result.errors.map(\.location?.line) == [1, 6, 7, 9, 11, 11, 14], "\(result.errors)")
        #expect(result.errors.map(\.message).contains { $0.contains("RoleBinding `rb` has no `roleRef`") }, "\(result.errors)")
        #expect(result.errors.map(\.message).contains { $0.contains("RoleBinding `rb` has no `metadata.namespace`") })
        #expect(result.set.roles.isEmpty)
        #expect(result.set.bindings.isEmpty)
    }

    /// A problem confined to one YAML document (a merge key, a duplicate key, a refused tag, an
    /// unknown anchor) drops that document only: the others are still read and their problems
    /// listed, in file order. The file still fails to load.
    @Test func aDocumentsYAMLProblemDoesNotHideTheOtherDocuments() {
        let text = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: a}
            bogus: 1
            rules: []
            ---
            base: &b {apiGroups: [""]}
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: c}
            rules:
            - <<: *b
              resources: [pods]
              verbs: [get]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: d, name: e}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: f}
            rules: [{apiGroups: [""], resources: !!binary aGk=, verbs: [get]}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: g}
            rules: [{apiGroups: [""], resources: [pods], verbs: [*nowhere]}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: ok}
            rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: h}
            rules: []
            """
        let result = PolicyLoader.load(text, file: "docs.yaml")
        #expect(result.errors.map(\.location?.line) == [4, 12, 18, 23, 28, 35], "\(result.errors)")
        #expect(result.errors[1].message.contains("merge keys"))
        #expect(result.errors[2].message.contains("duplicate key `name`"))
        #expect(result.errors[3].message.contains("!!binary"))
        #expect(result.errors[4].message.contains("unknown anchor"))
        #expect(result.set.roles.map(\.name) == ["ok"])
        // A syntax error ends the file but keeps what was found before it.
        let broken = PolicyLoader.load(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r1, name: r1b}\n---\na: [b\n",
            file: "broken.yaml")
        #expect(broken.errors.map(\.location?.line) == [3, 6], "\(broken.errors)")
        #expect(broken.errors.first?.message.contains("duplicate key `name`") == true)
        // A broken limit still ends the file at once.
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            + "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
            + "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n---\nkind: x\n"
        let bombed = PolicyLoader.load(bomb, file: "bomb.yaml")
        #expect(bombed.errors.count == 1 && bombed.errors[0].code == .aliasLimit, "\(bombed.errors)")
    }

    @Test func metadataMayCarryWhatTheAPIServerAdds() throws {
        let text = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata:
              name: r
              annotations: {note: "x"}
              uid: 1234
              resourceVersion: "99"
              managedFields: [{manager: kubectl}]
            rules:
            - apiGroups: [""]
              resources: [pods]
              verbs: [get]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: b, creationTimestamp: null}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
            subjects: [{kind: User, name: jane}]
            """
        let policy = try compilePolicy(text)
        #expect(policy.authorize(.resource("get", "pods", user: "jane")).decision == .allow)
    }

    /// RBAC objects are decoded strictly, as `kubectl apply` does: a misspelt `resourceNames`
    /// ignored would widen the rule to every name.
    @Test(arguments: [
        ("rule", "rules:\n- {apiGroups: [\"\"], resources: [secrets], resourcename: [a], verbs: [get]}", 5, 43),
        ("top level", "rules: []\nstatus: {}", 5, 1),
        ("aggregation rule", "aggregationRule: {clusterRoleSelectors: [{matchLabels: {a: b}}], selector: {}}", 4, 66),
        ("label selector", "aggregationRule: {clusterRoleSelectors: [{matchLabel: {a: b}}]}", 4, 43),
        (
            "match expression",
            "aggregationRule: {clusterRoleSelectors: [{matchExpressions: [{key: a, operator: Exists, value: [b]}]}]}", 4, 89
        ),
    ])
    func unknownFieldsAreErrorsInRoles(_ place: String, _ body: String, _ line: Int, _ column: Int) {
        Self.expectUnknownField(kind: "ClusterRole", body, at: line, column, place)
    }

    /// Loads `kind` with `body` after its metadata and expects one unknown-field error at
    /// `line`:`column`, and the object refused.
    static func expectUnknownField(kind: String, _ body: String, at line: Int, _ column: Int, _ place: String) {
        let text = "apiVersion: rbac.authorization.k8s.io/v1\nkind: \(kind)\nmetadata: {name: o}\n\(body)\n"
        let result = PolicyLoader.load(text, file: "object.yaml")
        #expect(result.errors.map(\.code) == [.invalidValue], "\(place): \(result.errors)")
        #expect(result.errors.first?.message.contains("unknown field") == true, "\(place)")
        #expect(result.errors.first?.location == SourceLocation(file: "object.yaml", line: line, column: column), "\(place)")
        #expect(result.set.roles.isEmpty && result.set.bindings.isEmpty, "\(place)")
    }

    @Test(arguments: [
        ("roleRef", "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r, extra: 1}\nsubjects: []", 4, 76),
        ("subject", "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}\nsubjects: [{kind: User, name: j, uid: 2}]", 5, 34),
        ("top level", "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}\nsubject: [{kind: User, name: j}]", 5, 1),
    ])
    func unknownFieldsAreErrorsInBindings(_ place: String, _ body: String, _ line: Int, _ column: Int) {
        Self.expectUnknownField(kind: "ClusterRoleBinding", body, at: line, column, place)
    }

    /// Kubernetes' path-segment rule (`ValidateRBACName`) for names and namespaces. Without it
    /// `RoleBinding "a/b"` in `c` and `RoleBinding "a"` in `b/c` would have the same reason string.
    @Test(arguments: [
        ("kind: RoleBinding\nmetadata: {name: a/b, namespace: c}", "name `a/b`: may not contain"),
        ("kind: RoleBinding\nmetadata: {name: a, namespace: b/c}", "namespace `b/c`: may not contain"),
        ("kind: RoleBinding\nmetadata: {name: a, namespace: \"%\"}", "namespace `%`: may not contain"),
        ("kind: RoleBinding\nmetadata: {name: \"..\", namespace: c}", "may not be `.` or `..`"),
        ("kind: ClusterRoleBinding\nmetadata: {name: \"a%2f\"}", "may not contain `/` or `%`"),
    ])
    func namesFollowKubernetesRules(_ head: String, _ message: String) {
        let text = """
            apiVersion: rbac.authorization.k8s.io/v1
            \(head)
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
            """
        let result = PolicyLoader.load(text, file: "names.yaml")
        #expect(result.errors.map(\.code) == [.invalidValue], "\(head): \(result.errors)")
        #expect(result.errors.first?.message.contains(message) == true, "\(result.errors)")
    }

    @Test func roleRefAndServiceAccountNamesFollowKubernetesRules() {
        func load(_ roleRef: String, _ subject: String) -> [PolicyError] {
            PolicyLoader.load(
                """
                apiVersion: rbac.authorization.k8s.io/v1
                kind: RoleBinding
                metadata: {name: b, namespace: team-a}
                roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "\(roleRef)"}
                subjects: [{kind: ServiceAccount, name: "\(subject)"}]
                """, file: "b.yaml"
            ).errors
        }
        #expect(load("system:controller:x", "ci-bot.v2").isEmpty)
        #expect(load("a/b", "ci").first?.message.contains("`roleRef.name` `a/b`") == true)
        #expect(load("r", "ci/bot").first?.message.contains("ServiceAccount subject name `ci/bot`") == true)
        #expect(load("r", "..").first?.message.contains("ServiceAccount subject name `..`") == true)
        // Kubernetes does not validate a service-account subject's namespace: such a binding
        // loads, and its subject matches the user name Kubernetes would build from it.
        let odd = PolicyLoader.load(
            """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: b}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
            subjects: [{kind: ServiceAccount, name: ci, namespace: "a/b%c"}]
            """, file: "b.yaml")
        #expect(odd.errors.isEmpty, "\(odd.errors)")
        #expect(odd.set.bindings.first?.subjects.first?.namespace == "a/b%c")
    }

    @Test(arguments: ["!!merge \"<<\": {resourceNames: [only-this]}", "x: !!binary YWRtaW4=", "x: !!int \"5\"", "x: !custom y", "x: !!set {a}"])
    func explicitTagsOtherThanTheNodesOwnAreRefused(_ line: String) {
        let result = PolicyLoader.load("a: 1\n\(line)\n", file: "tags.yaml")
        #expect(result.errors.map(\.code) == [.unsupportedYAML], "\(line): \(result.errors)")
        #expect(result.errors.first?.location?.line == 2)
        #expect(result.errors.first?.message.contains("is not supported") == true)
    }

    @Test func theTagsThatSayWhatANodeIsAreAccepted() throws {
        let text = """
            apiVersion: !!str rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: !!map {name: r}
            rules: !!seq
            - apiGroups: [""]
              resources: [pods]
              verbs: [!!str get]
            """
        let result = PolicyLoader.load(text, file: "tags.yaml")
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.set.roles.first?.rules.first?.verbs == ["get"])
    }

    @Test func aByteOrderMarkIsSkipped() {
        let text = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules: []\n"
        let result = PolicyLoader.load([0xEF, 0xBB, 0xBF] + Array(text.utf8), file: "bom.yaml")
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.set.roles.count == 1)
    }

    @Test func invalidUTF8IsReportedWhereItIs() {
        let bytes = Array("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"ab".utf8) + [0xFF] + Array("\"\n".utf8)
        let result = PolicyLoader.load(bytes, file: "utf.yaml")
        #expect(result.errors.map(\.code) == [.syntax])
        #expect(result.errors.first?.location == SourceLocation(file: "utf.yaml", line: 4, column: 12))
    }

    @Test(arguments: [
        ("spec", "  effect: Deny\n  subjects: [{kind: User, name: jane}]\n  rules: [{apiGroups: [\"\"], resources: [pods], verbs: [get]}]\n  excpet: [{kind: User, name: admin}]", 8, 3),
        ("subject", "  effect: Deny\n  subjects: [{kind: User, name: jane, nmespace: x}]\n  rules: [{apiGroups: [\"\"], resources: [pods], verbs: [get]}]", 6, 39),
        ("top level", "  effect: Deny\n  subjects: [{kind: User, name: jane}]\n  rules: [{apiGroups: [\"\"], resources: [pods], verbs: [get]}]\nstatus: {}", 8, 1),
    ])
    func unknownFieldsAreErrorsInAccessPolicies(_ place: String, _ spec: String, _ line: Int, _ column: Int) {
        let text = """
            apiVersion: arbiter.dev/v1alpha1
            kind: AccessPolicy
            metadata: {name: p}
            spec:
            \(spec)
            """
        let result = PolicyLoader.load(text, file: "ap.yaml")
        #expect(result.errors.map(\.code) == [.invalidValue], "\(place): \(result.errors)")
        #expect(result.errors.first?.message.contains("unknown field") == true, "\(place)")
        #expect(result.errors.first?.location == SourceLocation(file: "ap.yaml", line: line, column: column), "\(place)")
        #expect(result.set.accessPolicies.isEmpty, "\(place): a misspelt policy must not half-load")
    }

    @Test func duplicateObjectsAcrossFilesAreRefused() {
        let role = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: r, namespace: ns}
            rules: []
            """
        let other = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: other}\nrules: []\n---\n"
        let result = PolicyLoader.combine([
            PolicyLoader.load(role, file: "a.yaml"), PolicyLoader.load(other + role, file: "b.yaml"),
        ])
        #expect(result.errors.map(\.code) == [.duplicateObject])
        #expect(result.errors.first?.location == SourceLocation(file: "b.yaml", line: 6, column: 1))
        #expect(result.errors.first?.message.contains("a.yaml:1:1") == true, "\(result.errors)")
        // Names that differ only by canonical equivalence are different objects.
        let kelvin = PolicyLoader.combine([
            PolicyLoader.load(role.replacingLast("name: r,", with: "name: \"K\","), file: "a.yaml"),
            PolicyLoader.load(role.replacingLast("name: r,", with: "name: \"\u{212A}\","), file: "b.yaml"),
        ])
        #expect(kelvin.errors.isEmpty)
    }

    @Test func listsAndTypedListsLoad() throws {
        let text = """
            apiVersion: v1
            kind: List
            items:
            - apiVersion: rbac.authorization.k8s.io/v1
              kind: ClusterRole
              metadata: {name: a}
              rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
            - apiVersion: v1
              kind: ConfigMap
              metadata: {name: c}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleList
            items:
            - metadata: {name: b}
              rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
            - metadata: {name: c}
              rules: []
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBindingList
            items:
            - metadata: {name: rb, namespace: ns}
              roleRef: {kind: ClusterRole, name: b}
              subjects: [{kind: ServiceAccount, name: sa}]
            ---
            apiVersion: arbiter.dev/v1alpha1
            kind: AccessPolicyList
            items:
            - metadata: {name: p}
              spec:
                effect: Allow
                subjects: [{kind: User, name: jane}]
                rules: [{apiGroups: [""], resources: [pods], verbs: [list]}]
            """
        let set = try loadPolicySet(text)
        #expect(set.roles.map(\.name) == ["a", "b", "c"])
        #expect(set.bindings.map(\.name) == ["rb"])
        #expect(set.accessPolicies.map(\.name) == ["p"])
        #expect(set.skipped == ["v1/ConfigMap": 1])
        let policy = PolicyCompiler.compile(set)
        #expect(policy.authorize(.resource("get", "secrets", namespace: "ns", user: "system:serviceaccount:ns:sa")).decision == .allow)
        #expect(policy.authorize(.resource("list", "pods", user: "jane")).decision == .allow)
        // A typed list item that names another kind is read as that kind.
        let explicit = try loadPolicySet(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleList\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: x}}\n")
        #expect(explicit.roles.isEmpty)
        #expect(explicit.skipped == ["v1/ConfigMap": 1])
    }
}

extension String {
    /// Replaces the last occurrence of `target` (bytes) with `replacement`.
    fileprivate func replacingLast(_ target: String, with replacement: String) -> String {
        let bytes = Array(utf8)
        let needle = Array(target.utf8)
        guard needle.count <= bytes.count else { return self }
        for start in stride(from: bytes.count - needle.count, through: 0, by: -1)
        where Array(bytes[start..<(start + needle.count)]) == needle {
            return String(decoding: bytes[..<start] + Array(replacement.utf8) + bytes[(start + needle.count)...], as: UTF8.self)
        }
        return self
    }
}

/// An entry the reader cannot examine fails the load instead of being skipped: a dangling
/// symlink (or a directory without search permission, which root cannot be shown) could hold the
/// file with a Deny.
@Suite struct PolicySourceReaderTests {
    static let deny = """
        apiVersion: arbiter.dev/v1alpha1
        kind: AccessPolicy
        metadata: {name: no-secrets}
        spec:
          effect: Deny
          subjects: [{kind: User, name: "*"}]
          rules: [{apiGroups: [""], resources: [secrets], verbs: ["*"]}]
        """

    @Test func aDanglingSymlinkFailsTheLoad() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.deny.write(toFile: directory.path + "/deny.yaml", atomically: true, encoding: .utf8)
        #expect(PolicySourceReader.load(paths: [directory.path]).set.accessPolicies.count == 1)
        #expect(symlink("/nonexistent/arbiter/deny.yaml", directory.path + "/other.yaml") == 0)
        let result = PolicySourceReader.load(paths: [directory.path])
        #expect(result.errors.map(\.code) == [.unreadable])
        #expect(result.errors.first?.message.contains("other.yaml") == true)
        #expect(result.errors.first?.message.contains("symbolic link to a missing file") == true)
    }
}
