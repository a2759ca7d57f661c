@_spi(Statistics) import ArbiterPolicy
import ArbiterTestSupport
import Testing

/// The subject index's role filters: a binding whose role cannot match the request's verb or
/// resource is skipped without reading its rules, and the filters never hide a binding that
/// allows (the decisions and reasons stay those of the reference evaluator).
struct CandidateFilterTests {
    static let yaml = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: pod-reader}
        rules:
        - {apiGroups: [""], resources: [pods], verbs: [get, list]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: secret-writer}
        rules:
        - {apiGroups: [""], resources: [secrets], verbs: [create]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: status-reader}
        rules:
        - {apiGroups: ["*"], resources: ["*/status"], verbs: [get]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: everything-reader}
        rules:
        - {apiGroups: ["*"], resources: ["*"], verbs: [get]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: metrics}
        rules:
        - {nonResourceURLs: [/metrics, "/debug/*"], verbs: [get]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: a-pods}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-reader}
        subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: jane}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: b-secrets}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-writer}
        subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: jane}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: c-status}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: status-reader}
        subjects: [{kind: Group, apiGroup: rbac.authorization.k8s.io, name: auditors}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: d-metrics}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: metrics}
        subjects: [{kind: Group, apiGroup: rbac.authorization.k8s.io, name: auditors}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: e-everything, namespace: team-a}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: everything-reader}
        subjects: [{kind: Group, apiGroup: rbac.authorization.k8s.io, name: auditors}]
        """

    struct Case: CustomTestStringConvertible, Sendable {
        var testDescription: String
        var request: AccessRequest
        /// Index entries the requester reaches, and how many pass the filters.
        var entries: Int
        var filtered: Int
    }

    static let cases: [Case] = [
        Case(testDescription: "only the role naming the resource passes", request: .resource("get", "pods", user: "jane"), entries: 2, filtered: 1),
        Case(testDescription: "a verb no role has filters out everything", request: .resource("delete", "pods", user: "jane"), entries: 2, filtered: 0),
        Case(testDescription: "a resource no role names filters out everything", request: .resource("get", "nodes", user: "jane"), entries: 2, filtered: 0),
        Case(testDescription: "a role with the verb but another resource is filtered", request: .resource("create", "pods", user: "jane"), entries: 2, filtered: 0),
        Case(
            testDescription: "a */subresource role passes any subresource; the URL-only role does not",
            request: .resource("get", "deployments", subresource: "status", group: "apps", user: "u", groups: ["auditors"]),
            entries: 2, filtered: 1),
        Case(
            testDescription: "a resource the policy never mentions still reaches the wildcard roles",
            request: .resource("get", "widgets", subresource: "status", group: "example.com", namespace: "team-a", user: "u", groups: ["auditors"]),
            entries: 3, filtered: 2),
        Case(
            testDescription: "a non-resource request passes only roles with URLs",
            request: .path("get", "/debug/pprof", user: "u", groups: ["auditors"]), entries: 2, filtered: 1),
    ]

    @Test(arguments: cases)
    func filtersSkipRolesThatCannotMatch(_ row: Case) throws {
        let compiled = try compilePolicy(Self.yaml)
        let counts = compiled.candidateCounts(row.request)
        #expect(counts.entries == row.entries)
        #expect(counts.filtered == row.filtered)
        let reference = ReferenceEvaluator(try loadPolicySet(Self.yaml)).authorize(row.request)
        let result = compiled.authorize(row.request)
        #expect(result.decision == reference.decision)
        #expect(result.reason.bytesEqual(reference.reason))
    }

    @Test func allowReasonReadsTheBindingAndComparesByText() throws {
        let compiled = try compilePolicy(Self.yaml)
        var result = compiled.authorize(.resource("create", "secrets", user: "jane"))
        let reason = #"RBAC: allowed by ClusterRoleBinding "b-secrets" of ClusterRole "secret-writer" to User "jane""#
        #expect(result.decision == .allow)
        #expect(result.reason.bytesEqual(reason))
        // A result is equal to (and hashes like) one built from the same text.
        let built = AuthorizationResult(decision: .allow, reason: reason, source: result.source)
        #expect(result == built)
        #expect(Set([result, built]).count == 1)
        result.reason = "changed"
        #expect(result.reason == "changed")
        #expect(result != built)
    }
}
