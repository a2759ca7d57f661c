import ArbiterPolicy
import ArbiterTestSupport
import Testing

/// Subjects, scopes and reasons: service accounts, groups, namespaces, missing roles.
struct SubjectMatchingTests {
    static let yaml = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: pod-reader}
        rules:
        - {apiGroups: [""], resources: [pods], verbs: [get, list]}
        - {nonResourceURLs: [/metrics], verbs: [get]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: secret-reader, namespace: team-a}
        rules:
        - {apiGroups: [""], resources: [secrets], verbs: [get]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: sa-pods, namespace: team-a}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-reader}
        subjects:
        - {kind: ServiceAccount, name: builder}
        - {kind: ServiceAccount, name: deployer, namespace: ci}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: secrets, namespace: team-a}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: secret-reader}
        subjects:
        - {kind: Group, apiGroup: rbac.authorization.k8s.io, name: "system:serviceaccounts:team-a"}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: monitoring}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-reader}
        subjects:
        - {kind: ServiceAccount, name: prometheus, namespace: monitoring}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: dangling}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: does-not-exist}
        subjects:
        - {kind: User, apiGroup: rbac.authorization.k8s.io, name: ghost}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: dangling-role, namespace: team-a}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: gone}
        subjects:
        - {kind: User, apiGroup: rbac.authorization.k8s.io, name: ghost}
        """

    struct Case: CustomTestStringConvertible, Sendable {
        var description: String
        var request: AccessRequest
        var decision: Decision
        var reason: String
        var testDescription: String { description }
    }

    static let cases: [Case] = [
        Case(description: "SA subject defaults its namespace from the RoleBinding",
             request: .resource("get", "pods", namespace: "team-a", user: "system:serviceaccount:team-a:builder"),
             decision: .allow, reason: #"RBAC: allowed by RoleBinding "sa-pods/team-a" of ClusterRole "pod-reader" to ServiceAccount "builder/team-a""#),
        Case(description: "SA subject with an explicit namespace",
             request: .resource("list", "pods", namespace: "team-a", user: "system:serviceaccount:ci:deployer"),
             decision: .allow, reason: #"RBAC: allowed by RoleBinding "sa-pods/team-a" of ClusterRole "pod-reader" to ServiceAccount "deployer/ci""#),
        Case(description: "SA in another namespace does not match",
             request: .resource("get", "pods", namespace: "team-a", user: "system:serviceaccount:team-b:builder"),
             decision: .noOpinion, reason: ""),
        Case(description: "RoleBindings never apply to the empty namespace",
             request: .resource("list", "pods", user: "system:serviceaccount:team-a:builder"),
             decision: .noOpinion, reason: ""),
        Case(description: "RoleBindings never apply in another namespace",
             request: .resource("get", "pods", namespace: "team-b", user: "system:serviceaccount:team-a:builder"),
             decision: .noOpinion, reason: ""),
        Case(description: "a RoleBinding to a ClusterRole grants no non-resource URLs",
             request: .path("get", "/metrics", user: "system:serviceaccount:team-a:builder"),
             decision: .noOpinion, reason: ""),
        Case(description: "a ClusterRoleBinding grants non-resource URLs",
             request: .path("get", "/metrics", user: "system:serviceaccount:monitoring:prometheus"),
             decision: .allow, reason: #"RBAC: allowed by ClusterRoleBinding "monitoring" of ClusterRole "pod-reader" to ServiceAccount "prometheus/monitoring""#),
        Case(description: "group subjects need the group in the request",
             request: .resource("get", "secrets", namespace: "team-a", user: "system:serviceaccount:team-a:app", groups: ["system:serviceaccounts:team-a"]),
             decision: .allow, reason: #"RBAC: allowed by RoleBinding "secrets/team-a" of Role "secret-reader" to Group "system:serviceaccounts:team-a""#),
        Case(description: "groups are never inferred from the user name",
             request: .resource("get", "secrets", namespace: "team-a", user: "system:serviceaccount:team-a:app"),
             decision: .noOpinion, reason: ""),
        Case(description: "a missing ClusterRole is reported in the reason",
             request: .resource("get", "pods", user: "ghost"),
             decision: .noOpinion, reason: #"RBAC: clusterrole.rbac.authorization.k8s.io "does-not-exist" not found"#),
        Case(description: "several missing roles are aggregated",
             request: .resource("get", "pods", namespace: "team-a", user: "ghost"),
             decision: .noOpinion, reason: #"RBAC: [clusterrole.rbac.authorization.k8s.io "does-not-exist" not found, role.rbac.authorization.k8s.io "gone" not found]"#),
        Case(description: "missing roles of other subjects are not reported",
             request: .resource("get", "pods", user: "jane"), decision: .noOpinion, reason: ""),
    ]

    @Test(arguments: cases)
    func subjectMatches(_ row: Case) throws {
        let compiled = try compilePolicy(Self.yaml)
        let result = compiled.authorize(row.request)
        #expect(result.decision == row.decision)
        #expect(result.reason == row.reason)
        let reference = ReferenceEvaluator(try loadPolicySet(Self.yaml)).authorize(row.request)
        #expect(reference.decision == row.decision)
        #expect(reference.reason == row.reason)
    }

    @Test func defaultDenyKeepsRBACErrorsAndNeverAllows() throws {
        let compiled = try compilePolicy(Self.yaml)
        let result = compiled.authorize(.resource("get", "pods", user: "ghost"), defaultDecision: .deny)
        #expect(result.decision == .deny)
        #expect(result.evaluationError == #"clusterrole.rbac.authorization.k8s.io "does-not-exist" not found"#)
        let plain = compiled.authorize(.resource("get", "pods", user: "nobody"), defaultDecision: .deny)
        #expect(plain.decision == .deny)
        #expect(plain.source == .defaultDecision)
    }

    @Test func allowRecordsWhatDecided() throws {
        let compiled = try compilePolicy(Self.yaml)
        let result = compiled.authorize(.path("get", "/metrics", user: "system:serviceaccount:monitoring:prometheus"))
        guard case .binding(let match)? = result.source else {
            Issue.record("expected a binding source, got \(String(describing: result.source))")
            return
        }
        let binding = compiled.bindings[match.binding]
        #expect(binding.name == "monitoring")
        #expect(binding.roleRef.name == "pod-reader")
        #expect(match.rule == 1)
        #expect(binding.subjects[match.subject].kind == .serviceAccount)
    }

    @Test func reasonsQuoteLikeGo() {
        #expect(goQuoted("plain") == "\"plain\"")
        #expect(goQuoted("a\"b\\c") == #""a\"b\\c""#)
        #expect(goQuoted("tab\there\n") == #""tab\there\n""#)
        #expect(goQuoted("\u{1}") == #""\x01""#)
        #expect(goQuoted("josé") == "\"josé\"")
        #expect(goQuoted("zero\u{200B}width") == #""zero\u200bwidth""#)
        // Printable as of Go's Unicode 15.0 tables: a letter added in 15.0 stays, letters and
        // symbols added in 15.1, 16.0 and 17.0 are escaped as Go escapes unassigned code points.
        #expect(goQuoted("a\u{1E030}b") == "\"a\u{1E030}b\"")
        #expect(goQuoted("b\u{2EBF0}\u{1C89}\u{20C1}") == #""b\U0002ebf0\u1c89\u20c1""#)
    }
}
