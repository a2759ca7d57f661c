import ArbiterPolicy
import ArbiterTestSupport
import Testing

/// A subject-index entry names its role's first rule, and that rule's head says how many rules
/// the role has (or that the role is indexed). The rules of all roles lie back to back, so a
/// wrong count or a wrong first rule reads a neighbouring role's rules: these policies put a
/// role that allows everything next to each role under test, in compiled order (ClusterRoles
/// by name), so that any such read turns a no-opinion into an allow.
struct RoleBoundaryTests {
    static func policy(roles: String, bindings: [(binding: String, role: String)]) -> String {
        roles
            + bindings.map { binding, role in
                """
                ---
                apiVersion: rbac.authorization.k8s.io/v1
                kind: ClusterRoleBinding
                metadata: {name: \(binding)}
                roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: \(role)}
                subjects: [{kind: User, name: \(binding)-user}]

                """
            }.joined()
    }

    /// `b-empty` has no rules and `c-all` allows everything; `a-one` allows only `get pods`.
    static let neighbours = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: a-one}
        rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: b-empty}
        rules: []
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: c-all}
        rules:
        - {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}
        - {nonResourceURLs: ["*"], verbs: ["*"]}

        """

    @Test func aRoleEndsAtItsOwnLastRule() throws {
        let yaml = Self.policy(roles: Self.neighbours, bindings: [("one", "a-one"), ("empty", "b-empty"), ("all", "c-all")])
        let policy = try compilePolicy(yaml)
        let reference = ReferenceEvaluator(try loadPolicySet(yaml))
        let requests: [AccessRequest] = [
            .resource("get", "pods", user: "one-user"), .resource("delete", "pods", user: "one-user"),
            .resource("get", "secrets", user: "one-user"), .path("get", "/healthz", user: "one-user"),
            .resource("get", "pods", user: "empty-user"), .resource("delete", "nodes", user: "empty-user"),
            .path("get", "/metrics", user: "empty-user"), .resource("delete", "nodes", user: "all-user"),
        ]
        for request in requests {
            let result = policy.authorize(request)
            let expected = reference.authorize(request)
            #expect(result.decision == expected.decision, "\(request)")
            #expect(result.reason == expected.reason, "\(request)")
        }
        #expect(policy.authorize(.resource("get", "pods", user: "one-user")).decision == .allow)
        #expect(policy.authorize(.resource("delete", "pods", user: "one-user")).decision == .noOpinion)
        // A role without rules allows nothing and is not reported missing.
        let empty = policy.authorize(.resource("get", "pods", user: "empty-user"))
        #expect(empty.decision == .noOpinion && empty.reason == "" && empty.evaluationError == nil)
        #expect(policy.authorize(.resource("delete", "nodes", user: "all-user")).reason
            == #"RBAC: allowed by ClusterRoleBinding "all" of ClusterRole "c-all" to User "all-user""#)
    }

    /// A binding to a missing role still reports it, beside a binding to an empty one.
    @Test func aMissingRoleIsReportedAndAnEmptyOneIsNot() throws {
        let yaml = Self.policy(roles: Self.neighbours, bindings: [("empty", "b-empty"), ("gone", "b-gone")])
        let policy = try compilePolicy(yaml)
        let result = policy.authorize(.resource("get", "pods", user: "gone-user"))
        #expect(result.decision == .noOpinion)
        #expect(result.evaluationError == #"clusterrole.rbac.authorization.k8s.io "b-gone" not found"#)
        #expect(policy.authorize(.resource("get", "pods", user: "empty-user")).evaluationError == nil)
    }

    /// Roles over the indexing threshold (``CompiledPolicy`` indexes roles of more than 8 rules)
    /// and at it, each followed by the allow-everything role: the deciding rule position is the
    /// role's own, and a request none of its rules allow gets no opinion.
    @Test(arguments: [8, 9, 20])
    func longRolesStayInsideTheirRules(ruleCount: Int) throws {
        let rules = (0..<ruleCount).map { i in
            #"- {apiGroups: [""], resources: [kind\#(i)], verbs: [get]}"#
        }.joined(separator: "\n")
        let roles = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: a-long}
            rules:
            \(rules)
            - {nonResourceURLs: [/long], verbs: [get]}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: b-all}
            rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}, {nonResourceURLs: ["*"], verbs: ["*"]}]

            """
        let policy = try compilePolicy(Self.policy(roles: roles, bindings: [("long", "a-long")]))
        let last = policy.authorize(.resource("get", "kind\(ruleCount - 1)", user: "long-user"))
        #expect(last.decision == .allow)
        #expect(last.source == .binding(BindingMatch(binding: 0, subject: 0, rule: ruleCount - 1)))
        #expect(policy.authorize(.path("get", "/long", user: "long-user")).source
            == .binding(BindingMatch(binding: 0, subject: 0, rule: ruleCount)))
        #expect(policy.authorize(.resource("get", "kind\(ruleCount)", user: "long-user")).decision == .noOpinion)
        #expect(policy.authorize(.resource("delete", "kind0", user: "long-user")).decision == .noOpinion)
        #expect(policy.authorize(.path("get", "/other", user: "long-user")).decision == .noOpinion)
    }
}
