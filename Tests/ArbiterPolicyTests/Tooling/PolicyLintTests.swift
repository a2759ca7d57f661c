import ArbiterPolicy
import ArbiterTestSupport
import Testing

struct ToolingLintTests {
    static let risky = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: wildcard-all}
        rules:
        - {apiGroups: ["*"], resources: ["*"], verbs: [get]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: star-verbs-secrets}
        rules:
        - {apiGroups: [""], resources: [secrets], verbs: ["*"]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: escalator}
        rules:
        - {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind, escalate]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: node-proxy}
        rules:
        - {apiGroups: [""], resources: [nodes/proxy], verbs: [get]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: exec, namespace: team-a}
        rules:
        - {apiGroups: [""], resources: [pods/exec], verbs: [create]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: token-minter}
        rules:
        - {apiGroups: [""], resources: [serviceaccounts/token], verbs: [create]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: csr-approver}
        rules:
        - {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: webhook-writer}
        rules:
        - {apiGroups: [admissionregistration.k8s.io], resources: [validatingwebhookconfigurations], verbs: [update]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: secret-reader}
        rules:
        - {apiGroups: [""], resources: [secrets], verbs: [get, list]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: secret-readers}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
        subjects: [{kind: Group, name: readers}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: pod-creator}
        rules:
        - {apiGroups: [""], resources: [pods], verbs: [create]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: deployers, namespace: kube-system}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-creator}
        subjects: [{kind: User, name: deployer}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: pod-reader}
        rules:
        - {apiGroups: [""], resources: [pods], verbs: [get]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: anonymous-pods}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-reader}
        subjects: [{kind: Group, name: system:unauthenticated}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: never}
        rules:
        - {apiGroups: [""], resources: [configmaps], resourceNames: [a], verbs: [create, deletecollection]}
        - {apiGroups: [""], resources: [pods/*], verbs: [get]}
        - {apiGroups: [""], resources: [services], verbs: [reed]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: dangling, namespace: team-a}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: does-not-exist}
        subjects: [{kind: User, name: someone}]
        ---
        apiVersion: arbiter.dev/v1alpha1
        kind: AccessPolicy
        metadata: {name: deny-a}
        spec:
          effect: Deny
          subjects: [{kind: Group, name: dev}]
          rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
        ---
        apiVersion: arbiter.dev/v1alpha1
        kind: AccessPolicy
        metadata: {name: deny-b}
        spec:
          effect: Deny
          subjects: [{kind: Group, name: "d*"}]
          rules: [{apiGroups: [""], resources: [secrets, configmaps], verbs: ["*"]}]
        ---
        apiVersion: arbiter.dev/v1alpha1
        kind: AccessPolicy
        metadata: {name: allow-c}
        spec:
          effect: Allow
          subjects: [{kind: Group, name: dev-team}]
          namespaces: [team-a]
          rules: [{apiGroups: [""], resources: [configmaps], verbs: [get, list]}]
        ---
        apiVersion: arbiter.dev/v1alpha1
        kind: AccessPolicy
        metadata: {name: audit-secrets}
        spec:
          effect: Allow
          subjects: [{kind: User, name: auditor}]
          rules: [{apiGroups: [""], resources: [secrets], verbs: [list]}]
        ---
        apiVersion: arbiter.dev/v1alpha1
        kind: AccessPolicy
        metadata: {name: team-secrets}
        spec:
          effect: Allow
          subjects: [{kind: User, name: auditor}]
          namespaces: [team-a]
          rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
        ---
        apiVersion: arbiter.dev/v1alpha1
        kind: AccessPolicy
        metadata: {name: ci-system}
        spec:
          effect: Allow
          subjects: [{kind: User, name: "ci-*"}]
          namespaces: ["kube-*"]
          rules: [{apiGroups: [apps], resources: [deployments], verbs: [create]}]
        """

    /// The 1-based line of the `apiVersion` that starts the object whose metadata names `name`.
    static func line(of name: String, in text: String) -> Int {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let at = lines.firstIndex(where: { $0.contains("{name: \(name)") }) else { return -1 }
        var i = at
        while i > 0 && !lines[i].hasPrefix("apiVersion") { i -= 1 }
        return i + 1
    }

    @Test func findsEveryPlantedRiskWithItsRuleAndLine() throws {
        let findings = PolicyLint.lint(try loadPolicySet(Self.risky, file: "risky.yaml"))
        let expected: [(rule: String, object: String, name: String)] = [
            ("wildcard-resources", "ClusterRole/wildcard-all", "wildcard-all"),
            ("wildcard-verbs", "ClusterRole/star-verbs-secrets", "star-verbs-secrets"),
            ("escalation-verbs", "ClusterRole/escalator", "escalator"),
            ("nodes-proxy", "ClusterRole/node-proxy", "node-proxy"),
            ("pod-exec", "Role/team-a/exec", "exec"),
            ("serviceaccount-token", "ClusterRole/token-minter", "token-minter"),
            ("csr-approval", "ClusterRole/csr-approver", "csr-approver"),
            ("webhook-config-write", "ClusterRole/webhook-writer", "webhook-writer"),
            ("secrets-cluster-read", "ClusterRoleBinding/secret-readers", "secret-readers"),
            ("kube-system-workload-create", "RoleBinding/kube-system/deployers", "deployers"),
            // Allow AccessPolicies grant as bindings do: cluster-wide (no `spec.namespaces`) and
            // through a namespace pattern; `team-secrets` is limited to team-a and is not reported.
            ("secrets-cluster-read", "AccessPolicy/audit-secrets", "audit-secrets"),
            ("kube-system-workload-create", "AccessPolicy/ci-system", "ci-system"),
            ("public-group-binding", "ClusterRoleBinding/anonymous-pods", "anonymous-pods"),
            ("never-matches", "ClusterRole/never", "never"),
            ("never-matches", "ClusterRole/never", "never"),
            ("unknown-verb", "ClusterRole/never", "never"),
            ("missing-role", "RoleBinding/team-a/dangling", "dangling"),
            ("shadowed-access-policy", "AccessPolicy/deny-a", "deny-a"),
            ("shadowed-access-policy", "AccessPolicy/allow-c", "allow-c"),
        ]
        let got = findings.map { "\($0.rule) \($0.object) \($0.location?.file ?? ""):\($0.location?.line ?? 0)" }.sorted()
        let want = expected.map { "\($0.rule) \($0.object) risky.yaml:\(Self.line(of: $0.name, in: Self.risky))" }.sorted()
        #expect(got == want)
        #expect(!want.contains { $0.hasSuffix(":-1") })
        for finding in findings {
            #expect(finding.severity == PolicyLint.rules.first { $0.id == finding.rule }?.severity)
        }
    }

    static let clean = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: app-reader}
        rules:
        - {apiGroups: ["", apps], resources: [configmaps, pods, deployments], verbs: [get, list, watch]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: devs, namespace: team-a}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app-reader}
        subjects: [{kind: Group, name: devs}, {kind: ServiceAccount, name: ci}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: settings, namespace: team-a}
        rules:
        - {apiGroups: [""], resources: [configmaps], resourceNames: [settings], verbs: [get, update]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: settings, namespace: team-a}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: settings}
        subjects: [{kind: User, name: jane}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: basic}
        rules:
        - {nonResourceURLs: [/healthz, /version, /api, /api/*], verbs: [get]}
        - {apiGroups: [authorization.k8s.io], resources: [selfsubjectaccessreviews], verbs: [create]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: basic}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: basic}
        subjects: [{kind: Group, name: system:authenticated}]
        ---
        apiVersion: arbiter.dev/v1alpha1
        kind: AccessPolicy
        metadata: {name: no-configmap-writes}
        spec:
          effect: Deny
          subjects: [{kind: Group, name: devs}]
          rules: [{apiGroups: [""], resources: [configmaps], verbs: [update]}]
        ---
        apiVersion: arbiter.dev/v1alpha1
        kind: AccessPolicy
        metadata: {name: interns}
        spec:
          effect: Allow
          subjects: [{kind: Group, name: interns}]
          rules: [{apiGroups: [""], resources: [configmaps], verbs: [get]}]
        """

    /// Allow AccessPolicies grant as roles do and are linted rule by rule; one for everyone is a
    /// public grant; of two Denies that cover each other only one is redundant; a named
    /// subresource's create carries a name; `system:anonymous` is public.
    @Test func allowPoliciesDuplicatesNamedCreatesAndAnonymous() throws {
        let text = """
            apiVersion: arbiter.dev/v1alpha1
            kind: AccessPolicy
            metadata: {name: everyone}
            spec:
              effect: Allow
              subjects: [{kind: User, name: "*"}]
              rules: [{apiGroups: [""], resources: [nodes/proxy], verbs: [get, impersonate]}]
            ---
            apiVersion: arbiter.dev/v1alpha1
            kind: AccessPolicy
            metadata: {name: d1}
            spec: {effect: Deny, subjects: [{kind: User, name: bob}], rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]}
            ---
            apiVersion: arbiter.dev/v1alpha1
            kind: AccessPolicy
            metadata: {name: d2}
            spec: {effect: Deny, subjects: [{kind: User, name: bob}], rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: tok}
            rules: [{apiGroups: [""], resources: [serviceaccounts/token], resourceNames: [a], verbs: [create]}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: anon}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: tok}
            subjects: [{kind: User, name: "system:anonymous"}]
            """
        let findings = PolicyLint.lint(try loadPolicySet(text, file: "more.yaml"))
        let found = Set(findings.map { "\($0.rule) \($0.object)" })
        #expect(found.contains("escalation-verbs AccessPolicy/everyone"))
        #expect(found.contains("nodes-proxy AccessPolicy/everyone"))
        #expect(found.contains("public-group-binding AccessPolicy/everyone"))
        #expect(found.contains("public-group-binding ClusterRoleBinding/anon"))
        #expect(findings.filter { $0.rule == "shadowed-access-policy" }.map(\.object) == ["AccessPolicy/d2"])
        #expect(!findings.contains { $0.rule == "never-matches" }, "\(findings)")
    }

    @Test func aCleanPolicyHasNoFindings() throws {
        let findings = PolicyLint.lint(try loadPolicySet(Self.clean, file: "clean.yaml"))
        #expect(findings.isEmpty, "\(findings)")
    }
}
