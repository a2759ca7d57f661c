import ArbiterPolicy
import ArbiterTestSupport
import Testing

/// What `explain` says about a rule must agree with what the engine decided.
@Suite struct ExplanationTests {
    static let prefix = PolicyRule(verbs: ["get"], nonResourceURLs: ["/healthz/*"])

    @Test func anAllowingPrefixNeedsACanonicalPath() {
        let request = AccessRequest.path("get", "/healthz/../api", user: "bob")
        let differences = CompiledPolicy.differences(Self.prefix, request)
        #expect(differences.count == 1)
        #expect(differences.first?.contains("is not canonical") == true)
        // The engine agrees: the prefix grant does not allow it.
        let policy = try? compilePolicy(
            """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: health}
            rules: [{nonResourceURLs: ["/healthz/*"], verbs: [get]}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: health}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: health}
            subjects: [{kind: User, name: bob}]
            """)
        #expect(policy?.authorize(request).decision == .noOpinion)
        #expect(CompiledPolicy.differences(Self.prefix, .path("get", "/healthz/etcd", user: "bob")).isEmpty)
    }

    @Test func aDenyingPrefixMatchesTheRawPath() {
        let request = AccessRequest.path("get", "/healthz/../api", user: "bob")
        #expect(CompiledPolicy.differences(Self.prefix, request, forDeny: true).isEmpty)
    }

    /// `"/x\u{600}*"` ends in the byte `*`, though its last Character is `\u{600}*`.
    @Test func aPrefixIsFoundByItsLastByte() {
        let rule = PolicyRule(verbs: ["get"], nonResourceURLs: ["/x\u{600}*"])
        #expect(CompiledPolicy.differences(rule, .path("get", "/x\u{600}abc", user: "bob")).isEmpty)
        #expect(CompiledPolicy.differences(rule, .path("get", "/y", user: "bob")).count == 1)
    }
}
