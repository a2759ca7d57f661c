import ArbiterPolicy
import ArbiterTestSupport
import Testing

/// Security checklist item 19 against RBAC's raw-prefix semantics (kubernetes-authorization.md
/// 3.2): what a `/healthz/*` rule allows, in the engine and in the reference evaluator.
struct NonResourcePathTests {
    static let yaml = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: health}
        rules: [{nonResourceURLs: ["/healthz/*", "/livez"], verbs: [get]}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: health}
        roleRef: {kind: ClusterRole, name: health}
        subjects: [{kind: Group, name: "system:unauthenticated"}]
        """

    static func decide(_ path: String) throws -> (Decision, Decision) {
        let request = AccessRequest.path("get", path, user: "system:anonymous", groups: ["system:unauthenticated"])
        let engine = try compilePolicy(yaml).authorize(request)
        let reference = ReferenceEvaluator(try loadPolicySet(yaml)).authorize(request)
        return (engine.decision, reference.decision)
    }

    @Test(arguments: [
        "//healthz/x", "/healthz", "/HEALTHZ/x", "healthz/x", "/healthz\u{0}/x", "/livez/", "/livez/x", "/livezz", "",
        " /healthz/x", "/\u{FF0F}healthz/x",
    ])
    func pathsOutsideThePrefixAreNotAllowed(_ path: String) throws {
        let (engine, reference) = try Self.decide(path)
        #expect(engine == .noOpinion)
        #expect(reference == .noOpinion)
    }

    @Test(arguments: ["/healthz/", "/healthz/etcd", "/healthz/a/b", "/livez"])
    func pathsUnderThePrefixAreAllowed(_ path: String) throws {
        let (engine, reference) = try Self.decide(path)
        #expect(engine == .allow)
        #expect(reference == .allow)
    }

    /// Checklist 19: a prefix grant never allows a path that is not canonical (dot segments,
    /// empty segments, `%` escapes, NUL), although RBAC's raw byte prefix would.
    @Test(arguments: ["/healthz/../api", "/healthz/%2e%2e/api", "/healthz/\u{0}", "/healthz/./x", "/healthz//x", "/healthz/x/.."])
    func checklist19NonCanonicalPathsAreNotAllowedByPrefixes(_ path: String) throws {
        let (engine, reference) = try Self.decide(path)
        #expect(engine == .noOpinion)
        #expect(reference == .noOpinion)
    }

    @Test(arguments: ["/healthz/../api", "/healthz/%2e%2e/api", "//healthz"])
    func prefixDeniesStillCoverNonCanonicalPaths(_ path: String) throws {
        let yaml = """
            apiVersion: arbiter.dev/v1alpha1
            kind: AccessPolicy
            metadata: {name: no-debug}
            spec:
              effect: Deny
              subjects: [{kind: User, name: "*"}]
              rules: [{nonResourceURLs: ["/healthz/*", "//*"], verbs: ["*"]}]
            """
        let request = AccessRequest.path("get", path, user: "mallory")
        #expect(try compilePolicy(yaml).authorize(request).decision == .deny)
        #expect(ReferenceEvaluator(try loadPolicySet(yaml)).authorize(request).decision == .deny)
    }

    @Test(arguments: [
        ("/", true), ("/apis/", true), ("/healthz", true), ("/a/b.c/..d", true), ("", false), ("a", false),
        ("//", false), ("/a//b", false), ("/a/./b", false), ("/a/..", false), ("/%2e", false), ("/a\\b", false),
    ])
    func canonicalPaths(_ path: String, _ canonical: Bool) {
        #expect(NonResourcePath.isCanonical(path) == canonical)
        #expect(ReferenceEvaluator.canonicalPath(path) == canonical)
    }

    /// Every path of up to 6 bytes over the bytes that matter (slash, dot, a letter, `%`,
    /// backslash, NUL, and the first byte of a two-byte character): the engine's one-pass test
    /// agrees with the reference's segment split on all 137,257 of them.
    @Test func canonicalTestAgreesWithTheReferenceOnEveryShortPath() {
        let alphabet: [UInt8] = [0x2F, 0x2E, 0x61, 0x25, 0x5C, 0x00, 0xC3]
        var disagreements: [String] = []
        var checked = 0
        var path: [UInt8] = []
        func visit() {
            checked += 1
            // 0xC3 alone is not UTF-8: decoding repairs it (to U+FFFD), as any request would be.
            let string = String(decoding: path, as: UTF8.self)
            if NonResourcePath.isCanonical(string) != ReferenceEvaluator.canonicalPath(string) {
                disagreements.append(string.debugDescription)
            }
            guard path.count < 6 else { return }
            for byte in alphabet {
                path.append(byte)
                visit()
                path.removeLast()
            }
        }
        visit()
        #expect(checked == 137_257)
        #expect(disagreements.isEmpty, "\(disagreements.prefix(10))")
    }
}
