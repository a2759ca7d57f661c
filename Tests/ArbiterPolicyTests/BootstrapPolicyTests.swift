import ArbiterPolicy
import ArbiterTestSupport
import Testing

/// Kubernetes' own default policy (shared/fixtures/kubernetes-bootstrap) with the identities of
/// the control plane, plus admin/edit/view bound in a namespace. Every row is checked against
/// the compiled engine and the reference evaluator.
struct BootstrapPolicyTests {
    static let files = [
        "cluster-roles.yaml", "cluster-role-bindings.yaml", "namespace-roles.yaml", "namespace-role-bindings.yaml",
        "controller-roles.yaml", "controller-role-bindings.yaml",
    ]

    static let teamBindings = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: admins, namespace: team-a}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
        subjects: [{kind: Group, apiGroup: rbac.authorization.k8s.io, name: team-a-admins}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: editors, namespace: team-a}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
        subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: jane}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: viewers, namespace: team-a}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
        subjects: [{kind: ServiceAccount, name: dashboard}]
        """

    static func loadSet(files: [String] = files) throws -> PolicySet {
        let directory = sharedDirectory() + "/fixtures/kubernetes-bootstrap/"
        var results = try files.map { file in
            PolicyLoader.load(try PolicySourceReader.readFile(directory + file, limit: 1 << 24), file: file)
        }
        results.append(PolicyLoader.load(teamBindings, file: "team-a.yaml"))
        let combined = PolicyLoader.combine(results)
        #expect(combined.errors.isEmpty, "\(combined.errors)")
        return combined.set
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var description: String
        var request: AccessRequest
        var reason: String?  // nil: no opinion with an empty reason
        var testDescription: String { description }
    }

    static func crb(_ name: String, _ subject: String) -> String {
        "RBAC: allowed by ClusterRoleBinding \"\(name)\" of ClusterRole \"\(name)\" to \(subject)"
    }

    static let authenticated = ["system:authenticated"]
    static let anonymous = ["system:unauthenticated"]

    static let cases: [Case] = [
        Case(description: "scheduler binds pods", request: .resource("create", "pods", subresource: "binding", namespace: "default", user: "system:kube-scheduler"),
             reason: crb("system:kube-scheduler", #"User "system:kube-scheduler""#)),
        Case(description: "scheduler may not read pod logs", request: .resource("get", "pods", subresource: "log", namespace: "default", user: "system:kube-scheduler"), reason: nil),
        Case(description: "scheduler reads the authentication configmap by name",
             request: .resource("get", "configmaps", namespace: "kube-system", name: "extension-apiserver-authentication", user: "system:kube-scheduler"),
             reason: #"RBAC: allowed by RoleBinding "system::extension-apiserver-authentication-reader/kube-system" of Role "extension-apiserver-authentication-reader" to User "system:kube-scheduler""#),
        Case(description: "resourceNames defeat the scheduler's configmap list", request: .resource("list", "configmaps", namespace: "kube-system", user: "system:kube-scheduler"), reason: nil),
        Case(description: "controller-manager mints service account tokens",
             request: .resource("create", "serviceaccounts", subresource: "token", namespace: "kube-system", user: "system:kube-controller-manager"),
             reason: crb("system:kube-controller-manager", #"User "system:kube-controller-manager""#)),
        Case(description: "deployment controller updates deployment status",
             request: .resource("update", "deployments", subresource: "status", group: "apps", namespace: "prod", user: "system:serviceaccount:kube-system:deployment-controller"),
             reason: #"RBAC: allowed by ClusterRoleBinding "system:controller:deployment-controller" of ClusterRole "system:controller:deployment-controller" to ServiceAccount "deployment-controller/kube-system""#),
        Case(description: "deployment controller SA in another namespace gets nothing",
             request: .resource("update", "deployments", subresource: "status", group: "apps", namespace: "prod", user: "system:serviceaccount:default:deployment-controller"), reason: nil),
        Case(description: "kube-proxy lists endpointslices",
             request: .resource("list", "endpointslices", group: "discovery.k8s.io", user: "system:kube-proxy"),
             reason: #"RBAC: allowed by ClusterRoleBinding "system:node-proxier" of ClusterRole "system:node-proxier" to User "system:kube-proxy""#),
        Case(description: "nodes get nothing from RBAC (system:node has no subjects)",
             request: .resource("get", "nodes", name: "n1", user: "system:node:n1", groups: ["system:nodes"]), reason: nil),
        Case(description: "anonymous reads /healthz", request: .path("get", "/healthz", user: "system:anonymous", groups: anonymous),
             reason: crb("system:public-info-viewer", #"Group "system:unauthenticated""#)),
        Case(description: "anonymous reads /version", request: .path("get", "/version", user: "system:anonymous", groups: anonymous),
             reason: crb("system:public-info-viewer", #"Group "system:unauthenticated""#)),
        Case(description: "anonymous gets no discovery", request: .path("get", "/api", user: "system:anonymous", groups: anonymous), reason: nil),
        Case(description: "anonymous does not read /readyz/etcd", request: .path("get", "/readyz/etcd", user: "system:anonymous", groups: anonymous), reason: nil),
        Case(description: "authenticated users get discovery", request: .path("get", "/apis/apps/v1", user: "jane", groups: authenticated),
             reason: crb("system:discovery", #"Group "system:authenticated""#)),
        Case(description: "authenticated users create self reviews",
             request: .resource("create", "selfsubjectaccessreviews", group: "authorization.k8s.io", user: "jane", groups: authenticated),
             reason: crb("system:basic-user", #"Group "system:authenticated""#)),
        Case(description: "authenticated users post to /healthz/etcd? no", request: .path("get", "/healthz/etcd", user: "jane", groups: authenticated), reason: nil),
        Case(description: "admin (aggregated) creates rolebindings in its namespace",
             request: .resource("create", "rolebindings", group: "rbac.authorization.k8s.io", namespace: "team-a", user: "amy", groups: ["team-a-admins"]),
             reason: #"RBAC: allowed by RoleBinding "admins/team-a" of ClusterRole "admin" to Group "team-a-admins""#),
        Case(description: "admin creates local subject access reviews",
             request: .resource("create", "localsubjectaccessreviews", group: "authorization.k8s.io", namespace: "team-a", user: "amy", groups: ["team-a-admins"]),
             reason: #"RBAC: allowed by RoleBinding "admins/team-a" of ClusterRole "admin" to Group "team-a-admins""#),
        Case(description: "admin reads its own namespace object",
             request: .resource("get", "namespaces", namespace: "team-a", name: "team-a", user: "amy", groups: ["team-a-admins"]),
             reason: #"RBAC: allowed by RoleBinding "admins/team-a" of ClusterRole "admin" to Group "team-a-admins""#),
        Case(description: "admin has nothing in another namespace",
             request: .resource("get", "pods", namespace: "team-b", user: "amy", groups: ["team-a-admins"]), reason: nil),
        Case(description: "admin has nothing cluster-wide",
             request: .resource("list", "pods", user: "amy", groups: ["team-a-admins"]), reason: nil),
        Case(description: "edit (aggregated through admin's chain) deletes deployments",
             request: .resource("delete", "deployments", group: "apps", namespace: "team-a", name: "web", user: "jane"),
             reason: #"RBAC: allowed by RoleBinding "editors/team-a" of ClusterRole "edit" to User "jane""#),
        Case(description: "edit reads secrets", request: .resource("get", "secrets", namespace: "team-a", name: "db", user: "jane"),
             reason: #"RBAC: allowed by RoleBinding "editors/team-a" of ClusterRole "edit" to User "jane""#),
        Case(description: "edit may not create rolebindings",
             request: .resource("create", "rolebindings", group: "rbac.authorization.k8s.io", namespace: "team-a", user: "jane"), reason: nil),
        Case(description: "view (SA subject, namespace from the binding) lists pods",
             request: .resource("list", "pods", namespace: "team-a", user: "system:serviceaccount:team-a:dashboard"),
             reason: #"RBAC: allowed by RoleBinding "viewers/team-a" of ClusterRole "view" to ServiceAccount "dashboard/team-a""#),
        Case(description: "view does not read secrets",
             request: .resource("get", "secrets", namespace: "team-a", name: "db", user: "system:serviceaccount:team-a:dashboard"), reason: nil),
        Case(description: "view reads pod logs",
             request: .resource("get", "pods", subresource: "log", namespace: "team-a", name: "web-1", user: "system:serviceaccount:team-a:dashboard"),
             reason: #"RBAC: allowed by RoleBinding "viewers/team-a" of ClusterRole "view" to ServiceAccount "dashboard/team-a""#),
    ]

    @Test(arguments: cases)
    func controlPlaneIdentities(_ row: Case) throws {
        let set = try Self.loadSet()
        let compiled = PolicyCompiler.compile(set)
        let result = compiled.authorize(row.request)
        #expect(result.decision == (row.reason == nil ? .noOpinion : .allow))
        #expect(result.reason == (row.reason ?? ""))
        let reference = ReferenceEvaluator(set).authorize(row.request)
        #expect(reference.decision == result.decision)
        #expect(reference.reason == result.reason)
    }

    @Test func aggregationIsTransitive() throws {
        let compiled = PolicyCompiler.compile(try Self.loadSet())
        func rules(_ name: String) -> [PolicyRule] { compiled.rules(ofRole: .clusterRole, namespace: "", name: name) ?? [] }
        let admin = rules("admin")
        let edit = rules("edit")
        let view = rules("view")
        #expect(!view.isEmpty)
        #expect(edit.count > view.count)
        #expect(admin.count > edit.count)
        // view ⊆ edit ⊆ admin, rule by rule.
        #expect(view.allSatisfy { rule in edit.contains { $0.bytesEqual(rule) } })
        #expect(edit.allSatisfy { rule in admin.contains { $0.bytesEqual(rule) } })
    }

    @Test func loadOrderDoesNotMatter() throws {
        let directory = sharedDirectory() + "/fixtures/kubernetes-bootstrap/"
        func compile(_ files: [String]) throws -> CompiledPolicy {
            let results = try files.map { PolicyLoader.load(try PolicySourceReader.readFile(directory + $0, limit: 1 << 24), file: $0) }
            return PolicyCompiler.compile(PolicyLoader.combine(results).set)
        }
        let forward = try compile(Self.files)
        let backward = try compile(Self.files.reversed())
        for row in Self.cases {
            #expect(forward.authorize(row.request) == backward.authorize(row.request))
        }
    }

    /// The fixture's `cluster-roles-featuregates.yaml` (the default ClusterRoles with every
    /// feature gate on) loads as is in place of `cluster-roles.yaml`, and every row still
    /// decides as the reference evaluator does.
    @Test func featureGatesVariantLoadsInPlace() throws {
        let files = ["cluster-roles-featuregates.yaml"] + Self.files.dropFirst()
        let set = try Self.loadSet(files: files)
        #expect(set.roles.count > (try Self.loadSet()).roles.count)
        let compiled = PolicyCompiler.compile(set)
        let reference = ReferenceEvaluator(set)
        for row in Self.cases {
            let result = compiled.authorize(row.request)
            let expected = reference.authorize(row.request)
            #expect(result.decision == expected.decision, "\(row.description)")
            #expect(result.reason == expected.reason, "\(row.description)")
        }
    }

    /// Both variants at once (the fixture says never): every ClusterRole of one is a duplicate
    /// of the other, reported with both files.
    @Test func bothVariantsAreReportedAsDuplicates() throws {
        let directory = sharedDirectory() + "/fixtures/kubernetes-bootstrap/"
        let results = try ["cluster-roles.yaml", "cluster-roles-featuregates.yaml"].map { file in
            PolicyLoader.load(try PolicySourceReader.readFile(directory + file, limit: 1 << 24), file: file)
        }
        let combined = PolicyLoader.combine(results)
        // Every ClusterRole of cluster-roles.yaml (31) is also in the other file.
        #expect(combined.errors.count == results[0].set.roles.count)
        #expect(combined.errors.count > 20)
        #expect(combined.errors.allSatisfy { "\($0)".contains("duplicate ClusterRole") })
        #expect(combined.errors.contains { "\($0)".contains("`admin`") && "\($0)".contains("cluster-roles-featuregates.yaml") })
    }
}
