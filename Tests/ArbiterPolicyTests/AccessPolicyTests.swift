import ArbiterPolicy
import ArbiterTestSupport
import Testing

/// Arbiter's own policy kind: deny wins, exceptions, patterns, namespaces.
struct AccessPolicyTests {
    static let yaml = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: everything}
        rules:
        - {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}
        - {nonResourceURLs: ["*"], verbs: ["*"]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: ops-everything}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: everything}
        subjects: [{kind: Group, apiGroup: rbac.authorization.k8s.io, name: ops}]
        ---
        apiVersion: arbiter.dev/v1alpha1
        kind: AccessPolicy
        metadata: {name: no-secrets-in-kube-system}
        spec:
          effect: Deny
          subjects: [{kind: Group, name: system:authenticated}]
          except: [{kind: Group, name: secret-admins}]
          namespaces: [kube-system]
          rules:
          - {apiGroups: [""], resources: [secrets], verbs: [get, list, watch]}
        ---
        apiVersion: arbiter.dev/v1alpha1
        kind: AccessPolicy
        metadata: {name: no-exec-in-prod}
        spec:
          effect: Deny
          subjects: [{kind: User, name: "*"}]
          except: [{kind: Group, name: oncall}]
          namespaces: ["prod-*"]
          rules:
          - {apiGroups: [""], resources: [pods/exec, pods/attach], verbs: ["*"]}
        ---
        apiVersion: arbiter.dev/v1alpha1
        kind: AccessPolicy
        metadata: {name: ci-deploys}
        spec:
          effect: Allow
          subjects:
          - {kind: User, name: "ci-*"}
          - {kind: ServiceAccount, namespace: "build-*", name: "*"}
          namespaces: ["team-*"]
          rules:
          - {apiGroups: [apps], resources: [deployments], verbs: [get, update, patch]}
        ---
        apiVersion: arbiter.dev/v1alpha1
        kind: AccessPolicy
        metadata: {name: nobody-escalates}
        spec:
          effect: Deny
          subjects: [{kind: Group, name: "system:*"}, {kind: Group, name: ops}]
          except: [{kind: User, name: break-glass}]
          rules:
          - {apiGroups: ["*"], resources: ["*"], verbs: [escalate, bind, impersonate]}
          - {nonResourceURLs: ["/debug/*"], verbs: ["*"]}
        """

    struct Case: CustomTestStringConvertible, Sendable {
        var description: String
        var request: AccessRequest
        var decision: Decision
        var reason: String
        var testDescription: String { description }
    }

    static let opsAllow = #"RBAC: allowed by ClusterRoleBinding "ops-everything" of ClusterRole "everything" to Group "ops""#

    static let cases: [Case] = [
        Case(description: "deny beats an RBAC allow",
             request: .resource("get", "secrets", namespace: "kube-system", user: "olga", groups: ["ops", "system:authenticated"]),
             decision: .deny, reason: #"AccessPolicy: denied by AccessPolicy "no-secrets-in-kube-system" rule 0"#),
        Case(description: "an exception lets the RBAC allow through",
             request: .resource("get", "secrets", namespace: "kube-system", user: "sam", groups: ["ops", "secret-admins", "system:authenticated"]),
             decision: .allow, reason: opsAllow),
        Case(description: "deny is scoped to its namespaces",
             request: .resource("get", "secrets", namespace: "default", user: "olga", groups: ["ops", "system:authenticated"]),
             decision: .allow, reason: opsAllow),
        Case(description: "deny does not apply to the cluster scope when namespaces are set",
             request: .resource("list", "secrets", user: "olga", groups: ["ops", "system:authenticated"]),
             decision: .allow, reason: opsAllow),
        Case(description: "namespace patterns: prod-* covers prod-eu",
             request: .resource("create", "pods", subresource: "exec", namespace: "prod-eu", user: "olga", groups: ["ops"]),
             decision: .deny, reason: #"AccessPolicy: denied by AccessPolicy "no-exec-in-prod" rule 0"#),
        Case(description: "namespace patterns are byte prefixes: production is not prod-*",
             request: .resource("create", "pods", subresource: "exec", namespace: "production", user: "olga", groups: ["ops"]),
             decision: .allow, reason: opsAllow),
        Case(description: "on-call is excepted from the exec deny",
             request: .resource("create", "pods", subresource: "exec", namespace: "prod-eu", user: "olga", groups: ["ops", "oncall"]),
             decision: .allow, reason: opsAllow),
        Case(description: "a deny without an allow is still a deny",
             request: .resource("get", "pods", subresource: "attach", namespace: "prod-us", user: "mallory"),
             decision: .deny, reason: #"AccessPolicy: denied by AccessPolicy "no-exec-in-prod" rule 0"#),
        Case(description: "user prefix pattern allows",
             request: .resource("patch", "deployments", group: "apps", namespace: "team-a", name: "web", user: "ci-runner-7"),
             decision: .allow, reason: #"AccessPolicy: allowed by AccessPolicy "ci-deploys" rule 0 to User "ci-*""#),
        Case(description: "service-account namespace pattern allows",
             request: .resource("update", "deployments", group: "apps", namespace: "team-b", name: "api", user: "system:serviceaccount:build-42:deployer"),
             decision: .allow, reason: #"AccessPolicy: allowed by AccessPolicy "ci-deploys" rule 0 to ServiceAccount "*/build-*""#),
        Case(description: "allow policy outside its namespaces gives no opinion",
             request: .resource("patch", "deployments", group: "apps", namespace: "prod-eu", user: "ci-runner-7"),
             decision: .noOpinion, reason: ""),
        Case(description: "patterns are byte-exact: ci- does not match cI-",
             request: .resource("patch", "deployments", group: "apps", namespace: "team-a", user: "cI-runner"),
             decision: .noOpinion, reason: ""),
        Case(description: "group prefix pattern denies escalate",
             request: .resource("escalate", "clusterroles", group: "rbac.authorization.k8s.io", name: "admin", user: "x", groups: ["system:serviceaccounts"]),
             decision: .deny, reason: #"AccessPolicy: denied by AccessPolicy "nobody-escalates" rule 0"#),
        Case(description: "break-glass user is excepted",
             request: .resource("impersonate", "users", user: "break-glass", groups: ["ops"]),
             decision: .allow, reason: opsAllow),
        Case(description: "deny on non-resource URLs when namespaces are absent",
             request: .path("get", "/debug/pprof", user: "olga", groups: ["ops"]),
             decision: .deny, reason: #"AccessPolicy: denied by AccessPolicy "nobody-escalates" rule 1"#),
        Case(description: "deny with namespaces never matches non-resource URLs",
             request: .path("get", "/metrics", user: "olga", groups: ["ops", "system:authenticated"]),
             decision: .allow, reason: opsAllow),
    ]

    @Test(arguments: cases)
    func accessPolicyDecides(_ row: Case) throws {
        let compiled = try compilePolicy(Self.yaml)
        let result = compiled.authorize(row.request)
        #expect(result.decision == row.decision)
        #expect(result.reason == row.reason)
        let reference = ReferenceEvaluator(try loadPolicySet(Self.yaml)).authorize(row.request)
        #expect(reference.decision == row.decision)
        #expect(reference.reason == row.reason)
    }

    @Test func denySourceNamesThePolicy() throws {
        let compiled = try compilePolicy(Self.yaml)
        let result = compiled.authorize(.path("get", "/debug/x", user: "o", groups: ["ops"]))
        guard case .accessPolicy(let index, let rule)? = result.source else {
            Issue.record("expected an AccessPolicy source")
            return
        }
        #expect(compiled.accessPolicies[index].name == "nobody-escalates")
        #expect(rule == 1)
    }

    @Test(arguments: [
        ("spec: {effect: Maybe, subjects: [{kind: User, name: a}], rules: [{verbs: [get], apiGroups: [''], resources: [pods]}]}", PolicyError.Code.invalidValue),
        ("spec: {effect: Deny, rules: [{verbs: [get], apiGroups: [''], resources: [pods]}]}", .missingField),
        ("spec: {effect: Deny, subjects: [{kind: User, name: a}]}", .missingField),
        ("spec: {effect: Deny, exept: [], subjects: [{kind: User, name: a}], rules: [{verbs: [get], apiGroups: [''], resources: [pods]}]}", .invalidValue),
        ("spec: {effect: Deny, subjects: [{kind: User, name: 'a*b'}], rules: [{verbs: [get], apiGroups: [''], resources: [pods]}]}", .invalidValue),
        ("spec: {effect: Deny, subjects: [{kind: ServiceAccount, name: a}], rules: [{verbs: [get], apiGroups: [''], resources: [pods]}]}", .missingField),
        ("spec: {effect: Deny, namespaces: [], subjects: [{kind: User, name: a}], rules: [{verbs: [get], apiGroups: [''], resources: [pods]}]}", .invalidValue),
        ("spec: {effect: Deny, namespaces: [a], subjects: [{kind: User, name: a}], rules: [{verbs: [get], nonResourceURLs: [/x]}]}", .invalidValue),
    ])
    func invalidAccessPoliciesAreRefusedWithALocation(_ spec: String, _ code: PolicyError.Code) {
        let text = "apiVersion: arbiter.dev/v1alpha1\nkind: AccessPolicy\nmetadata: {name: p}\n" + spec + "\n"
        let result = PolicyLoader.load(text, file: "p.yaml")
        // One problem, reported once (no second "has no" for a field that was written wrong).
        #expect(result.errors.map(\.code) == [code], "\(result.errors)")
        #expect(result.errors.first?.location?.file == "p.yaml")
        #expect(result.set.accessPolicies.isEmpty)
    }

    /// A field written with the wrong type is reported once, not also as missing; a wrong
    /// namespace does not hide the name.
    @Test(arguments: [
        "metadata: {name: p}\nspec: {effect: Deny, subjects: notalist, rules: [{verbs: [get], apiGroups: [''], resources: [pods]}]}",
        "metadata: {name: p}\nspec: {effect: Deny, subjects: [{kind: User, name: a}], rules: 5}",
        "metadata: {name: [x]}\nspec: {effect: Deny, subjects: [{kind: User, name: a}], rules: [{verbs: [get], apiGroups: [''], resources: [pods]}]}",
        "metadata: {namespace: foo, name: p}\nspec: {effect: Deny, subjects: [{kind: User, name: a}], rules: [{verbs: [get], apiGroups: [''], resources: [pods]}]}",
        "metadata: 5\nspec: {effect: Deny, subjects: [{kind: User, name: a}], rules: [{verbs: [get], apiGroups: [''], resources: [pods]}]}",
    ])
    func aWrongFieldIsReportedOnce(_ body: String) {
        let result = PolicyLoader.load("apiVersion: arbiter.dev/v1alpha1\nkind: AccessPolicy\n" + body + "\n", file: "p.yaml")
        #expect(result.errors.count == 1, "\(result.errors)")
        #expect(!result.errors.contains { $0.message.contains("has no") }, "\(result.errors)")
    }

    /// Every bad namespace pattern is reported, each at its own line.
    @Test func everyBadNamespacePatternIsReportedWhereItIs() {
        let text = """
            apiVersion: arbiter.dev/v1alpha1
            kind: AccessPolicy
            metadata: {name: p}
            spec:
              effect: Deny
              subjects: [{kind: User, name: a}]
              namespaces:
              - 'a*b'
              - ok-*
              - 'c*d'
              rules: [{verbs: [get], apiGroups: [''], resources: [pods]}]
            """
        let result = PolicyLoader.load(text, file: "p.yaml")
        #expect(result.errors.map(\.location?.line) == [8, 10], "\(result.errors)")
        #expect(result.errors.allSatisfy { $0.message.contains("only allowed at the end") })
    }

    /// `spec:` with nothing under it, and an empty effect, are one "has no" each.
    @Test(arguments: [
        ("metadata: {name: p}\nspec:", "has no `spec`"),
        ("metadata: {name: p}\nspec: {effect: '', subjects: [{kind: User, name: a}], rules: [{verbs: [get], apiGroups: [''], resources: [pods]}]}", "has no `spec.effect`"),
    ])
    func anEmptyPartIsOneMissingField(_ body: String, _ message: String) {
        let result = PolicyLoader.load("apiVersion: arbiter.dev/v1alpha1\nkind: AccessPolicy\n" + body + "\n", file: "p.yaml")
        #expect(result.errors.map(\.message) == ["AccessPolicy `p` " + message], "\(result.errors)")
    }

    /// `validate` lists every problem of an AccessPolicy in one run, as it does for roles and
    /// bindings: each subject, rule and field, not only the first.
    @Test func everyProblemOfAnAccessPolicyIsReported() {
        let text = """
            apiVersion: arbiter.dev/v1alpha1
            kind: AccessPolicy
            metadata: {name: p}
            statuss: {}
            spec:
              effect: Maybe
              subjects:
              - {kind: User, name: ok}
              - {kind: Robot, name: r2d2}
              except:
              - {kind: User, name: 'a*b'}
              rules:
              - {verbs: [get], apiGroups: [""], resources: [pods], resourcename: [x]}
              - {verbs: [get], apiGroups: [""], resources: [pods]}
              - {verbs: [get], apiGroups: [""]}
              extra: 1
            ---
            apiVersion: arbiter.dev/v1alpha1
            kind: AccessPolicy
            metadata: {name: q}
            spec: {effect: Deny}
            """
        let result = PolicyLoader.load(text, file: "many.yaml")
        #expect(result.errors.map(\.location?.line) == [4, 6, 9, 11, 13, 15, 16, 18, 18], "\(result.errors)")
        #expect(result.errors.filter { $0.message.contains("`q` has no") }.count == 2, "\(result.errors)")
        #expect(result.set.accessPolicies.isEmpty)
    }
}
