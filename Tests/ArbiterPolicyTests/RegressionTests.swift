import ArbiterPolicy
import ArbiterTestSupport
import Testing

/// Minimised cases found by the differential test; each once made the engine disagree with the
/// reference evaluator.
struct RegressionTests {
    /// Found by `DifferentialTests` (seed 4706897443269464625, policy 171, generator of 78d029f): an exact
    /// ServiceAccount subject whose namespace contains `:` was indexed under the user name
    /// `system:serviceaccount:a:b:c` and matched without verification, although the subject
    /// (namespace `a:b`, name `c`) does not match that user: service-account user names split at
    /// the first `:` (namespace `a`, name `b:c`). The allow reason even lacked its subject.
    @Test(arguments: [AccessPolicy.Effect.allow, .deny])
    func exactServiceAccountSubjectWithColonInNamespaceIsVerified(_ effect: AccessPolicy.Effect) throws {
        func yaml(_ name: String) -> String {
            """
            apiVersion: arbiter.dev/v1alpha1
            kind: AccessPolicy
            metadata: {name: p}
            spec:
              effect: \(effect.rawValue)
              subjects: [{kind: ServiceAccount, namespace: "a:b", name: "\(name)"}]
              rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
            """
        }
        let policy = try compilePolicy(yaml("c"))
        let reference = ReferenceEvaluator(try loadPolicySet(yaml("c")))
        let request = AccessRequest.resource("get", "pods", user: "system:serviceaccount:a:b:c")
        let result = policy.authorize(request)
        #expect(result.decision == .noOpinion)
        #expect(result.reason == "")
        #expect(reference.authorize(request).decision == .noOpinion)
        // The same subject written as a pattern was already verified.
        let patterned = try compilePolicy(yaml("c*"))
        #expect(patterned.authorize(request).decision == .noOpinion)
    }

    /// Roles are looked up by namespace and name; a `namespace + "/" + name` key made the Role
    /// `c` in namespace `a/b` and the Role `b/c` in namespace `a` collide. The loader now refuses
    /// `/` in both, as Kubernetes does, so neither object can reach the engine.
    @Test func namesAndNamespacesContainingASlashAreRefused() throws {
        let yaml = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: b/c, namespace: a}
            rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: c, namespace: a/b}
            rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
            """
        let result = PolicyLoader.load(yaml, file: "slash.yaml")
        #expect(result.errors.map(\.location?.line) == [1, 6])
        #expect(result.errors.allSatisfy { $0.message.contains("may not contain `/` or `%`") })
        #expect(result.set.roles.isEmpty)
    }

    /// Found by `DifferentialTests` once the vocabulary had U+0600 (a grapheme "prepend"
    /// scalar): the *reference* evaluator used `hasSuffix("*")` and `dropLast()`, which work on
    /// Characters, so `"/\u{600}*"` was not a prefix entry and the pattern `"\u{600}*"` lost its
    /// literal part. Kubernetes (and the engine) look at the last byte.
    @Test func trailingStarAfterAPrependScalarIsStillAPrefix() throws {
        let yaml = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: r}
            rules: [{nonResourceURLs: ["/\\u0600*"], verbs: [get]}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: b}
            roleRef: {kind: ClusterRole, name: r}
            subjects: [{kind: User, name: jane}]
            ---
            apiVersion: arbiter.dev/v1alpha1
            kind: AccessPolicy
            metadata: {name: p}
            spec:
              effect: Deny
              subjects: [{kind: User, name: "\\u0600*"}]
              rules: [{nonResourceURLs: ["*"], verbs: ["*"]}]
            """
        let policy = try compilePolicy(yaml)
        let reference = ReferenceEvaluator(try loadPolicySet(yaml))
        let allowed = AccessRequest.path("get", "/\u{600}x", user: "jane")
        let denied = AccessRequest.path("get", "/\u{600}x", user: "\u{600}admin")
        let other = AccessRequest.path("get", "/x", user: "jane")
        for request in [allowed, denied, other] {
            let engine = policy.authorize(request)
            let expected = reference.authorize(request)
            #expect(engine.decision == expected.decision && engine.reason == expected.reason, "\(request.debugText)")
        }
        #expect(policy.authorize(allowed).decision == .allow)
        #expect(policy.authorize(denied).decision == .deny)
        #expect(policy.authorize(other).decision == .noOpinion)
    }
}
