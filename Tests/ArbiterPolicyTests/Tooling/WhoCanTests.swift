import ArbiterPolicy
import ArbiterTestSupport
import Foundation
import Testing

/// Shared loading of the bootstrap fixture for the tooling tests.
enum ToolingFixtures {
    static let bootstrapFiles = [
        "cluster-roles.yaml", "cluster-role-bindings.yaml", "namespace-roles.yaml", "namespace-role-bindings.yaml",
        "controller-roles.yaml", "controller-role-bindings.yaml",
    ]
    static var bootstrapPaths: [String] {
        bootstrapFiles.map { sharedDirectory() + "/fixtures/kubernetes-bootstrap/" + $0 }
    }

    /// The bootstrap policy set plus optional extra YAML documents.
    static func bootstrapSet(extra: String? = nil) throws -> PolicySet {
        var results = try bootstrapPaths.map { path in
            PolicyLoader.load(try PolicySourceReader.readFile(path, limit: 1 << 24), file: path)
        }
        if let extra { results.append(PolicyLoader.load(extra, file: "extra.yaml")) }
        let combined = PolicyLoader.combine(results)
        if let error = combined.errors.first { throw error }
        return combined.set
    }

    /// Requests covering every (group, resource[/subresource]) and verb the policy's rules name, each
    /// cluster-wide and in a few namespaces, every resource name a rule names, and every
    /// non-resource URL (prefixes probed with a path below them).
    static func requests(for set: PolicySet, namespaces: [String]) -> [AccessRequest] {
        var verbs: Set<String> = ["get", "list", "create", "delete", "escalate"]
        var resources: Set<[String]> = [["", "pods", ""], ["apps", "deployments", ""], ["", "pods", "exec"]]
        var names: Set<[String]> = []
        var paths: Set<String> = ["/healthz", "/api", "/unknown"]
        let allRules = set.roles.flatMap(\.rules) + set.accessPolicies.flatMap(\.rules)
        for rule in allRules {
            for verb in rule.verbs where verb != "*" { verbs.insert(verb) }
            for url in rule.nonResourceURLs where url != "*" {
                paths.insert(url.hasSuffix("*") ? String(url.dropLast()) + "probe" : url)
            }
            for group in rule.apiGroups where group != "*" {
                for resource in rule.resources where resource != "*" {
                    let parts = resource.split(separator: "/", maxSplits: 1).map(String.init)
                    let base = parts[0] == "*" ? "pods" : parts[0]
                    let sub = parts.count > 1 ? parts[1] : ""
                    resources.insert([group, base, sub])
                    for name in rule.resourceNames { names.insert([group, base, sub, name]) }
                }
            }
        }
        var requests: [AccessRequest] = []
        for namespace in [""] + namespaces {
            for r in resources.sorted(by: { $0.joined(separator: "|") < $1.joined(separator: "|") }) {
                for verb in verbs.sorted() {
                    requests.append(
                        .resource(verb, r[1], subresource: r[2], group: r[0], namespace: namespace, user: ""))
                }
            }
            for n in names.sorted(by: { $0.joined(separator: "|") < $1.joined(separator: "|") }) {
                for verb in ["get", "update", "list"] {
                    requests.append(
                        .resource(verb, n[1], subresource: n[2], group: n[0], namespace: namespace, name: n[3], user: ""))
                }
            }
        }
        for path in paths.sorted() {
            for verb in ["get", "post"] { requests.append(.path(verb, path, user: "")) }
        }
        return requests
    }

    /// Every subject named anywhere in the policy, as identities: users (service accounts by user
    /// name) alone, and each group alone (with a user name nothing names).
    static func candidates(for set: PolicySet) -> (users: [String], groups: [String]) {
        var users: Set<String> = []
        var groups: Set<String> = []
        for binding in set.bindings {
            for subject in binding.subjects {
                switch subject.kind {
                case .user: users.insert(subject.name)
                case .group: groups.insert(subject.name)
                case .serviceAccount:
                    let namespace = subject.namespace.isEmpty ? binding.namespace : subject.namespace
                    if !namespace.isEmpty { users.insert(ServiceAccountName.userName(namespace: namespace, name: subject.name)) }
                }
            }
        }
        for policy in set.accessPolicies {
            for subject in policy.subjects + policy.except {
                // Patterns: probe a name the pattern matches.
                let name = Pattern.isPattern(subject.name) ? String(subject.name.dropLast()) + "probe" : subject.name
                switch subject.kind {
                case .user: users.insert(name)
                case .group: groups.insert(name)
                case .serviceAccount:
                    let namespace =
                        Pattern.isPattern(subject.namespace) ? String(subject.namespace.dropLast()) + "probe" : subject.namespace
                    users.insert(ServiceAccountName.userName(namespace: namespace, name: name))
                }
            }
        }
        return (users.sorted(), groups.sorted())
    }

    static let probeUser = "who-can-probe-user-named-nowhere"
}

struct ToolingWhoCanTests {
    /// who-can on the bootstrap fixture agrees exactly with brute force: every candidate subject
    /// evaluated with `authorize` as the only identity.
    @Test func agreesWithBruteForceOnTheBootstrapPolicy() throws {
        let set = try ToolingFixtures.bootstrapSet()
        let policy = PolicyCompiler.compile(set)
        let (users, groups) = ToolingFixtures.candidates(for: set)
        #expect(users.count > 20 && groups.count >= 3)
        let requests = ToolingFixtures.requests(for: set, namespaces: ["kube-system", "kube-public", "default"])
        #expect(requests.count > 1000)
        var nonEmpty = 0
        for request in requests {
            let answer = policy.whoCan(request)
            var expectedUsers: Set<String> = []
            var expectedGroups: Set<String> = []
            for user in users {
                var probe = request
                probe.user = user
                if policy.authorize(probe).decision == .allow { expectedUsers.insert(user) }
            }
            for group in groups {
                var probe = request
                probe.user = ToolingFixtures.probeUser
                probe.groups = [group]
                if policy.authorize(probe).decision == .allow { expectedGroups.insert(group) }
            }
            let listedUsers = Set(answer.allowedSubjects.filter { $0.kind != .group }.map(\.identity))
            let listedGroups = Set(answer.allowedSubjects.filter { $0.kind == .group }.map(\.identity))
            #expect(listedUsers == expectedUsers, "\(request)")
            #expect(listedGroups == expectedGroups, "\(request)")
            #expect(answer.deniedSubjects.isEmpty && answer.patterns.isEmpty)
            if !listedUsers.isEmpty || !listedGroups.isEmpty { nonEmpty += 1 }
            // Every grant names a rule that exists.
            for entry in answer.subjects {
                for case .binding(_, _, _, let roleKind, let roleName, let rule) in entry.grants {
                    let role = policy.roles.first { $0.kind == roleKind && $0.name == roleName }
                    #expect(role != nil && rule < role!.rules.count)
                }
            }
        }
        #expect(nonEmpty > 100)
    }

    /// The same brute-force agreement on a generated medium workload (100 namespaces, 10,000
    /// bindings): a sample of requests in several namespaces, every subject as the only identity.
    @Test func agreesWithBruteForceOnAGeneratedWorkload() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("who-can-medium-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", sharedDirectory() + "/bench/rbacgen.py", "medium", "--out", directory.path]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        let loaded = PolicySourceReader.load(paths: [directory.appendingPathComponent("rbac.yaml").path])
        try #require(loaded.errors.isEmpty)
        let policy = PolicyCompiler.compile(loaded.set)
        let (users, groups) = ToolingFixtures.candidates(for: loaded.set)
        let namespaces = Array(Set(loaded.set.bindings.map(\.namespace)).filter { !$0.isEmpty }.sorted().prefix(3))
        let all = ToolingFixtures.requests(for: loaded.set, namespaces: namespaces)
        let step = max(1, all.count / 60)
        var nonEmpty = 0
        for request in stride(from: 0, to: all.count, by: step).map({ all[$0] }) {
            let answer = policy.whoCan(request)
            var expectedUsers: Set<String> = []
            var expectedGroups: Set<String> = []
            for user in users {
                var probe = request
                probe.user = user
                if policy.authorize(probe).decision == .allow { expectedUsers.insert(user) }
            }
            for group in groups {
                var probe = request
                probe.user = ToolingFixtures.probeUser
                probe.groups = [group]
                if policy.authorize(probe).decision == .allow { expectedGroups.insert(group) }
            }
            #expect(Set(answer.allowedSubjects.filter { $0.kind != .group }.map(\.identity)) == expectedUsers, "\(request)")
            #expect(Set(answer.allowedSubjects.filter { $0.kind == .group }.map(\.identity)) == expectedGroups, "\(request)")
            if !expectedUsers.isEmpty || !expectedGroups.isEmpty { nonEmpty += 1 }
        }
        #expect(nonEmpty > 10)
    }

    static let extra = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: team-reader, labels: {team: "yes"}}
        rules:
        - {apiGroups: [""], resources: [configmaps], resourceNames: [settings], verbs: [get, update]}
        - {apiGroups: [""], resources: [secrets], verbs: [get, list]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: team-aggregate}
        aggregationRule:
          clusterRoleSelectors: [{matchLabels: {team: "yes"}}]
        rules: []
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: team-a-readers, namespace: team-a}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: team-aggregate}
        subjects:
        - {kind: ServiceAccount, name: reader}
        - {kind: User, name: alice}
        - {kind: Group, name: team-a-devs}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: team-a-editors, namespace: team-a}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
        subjects: [{kind: Group, name: editors}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: auditors}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: team-reader}
        subjects:
        - {kind: Group, name: auditors}
        - {kind: User, name: bob}
        ---
        apiVersion: arbiter.dev/v1alpha1
        kind: AccessPolicy
        metadata: {name: no-secrets-in-team-a}
        spec:
          effect: Deny
          subjects: [{kind: Group, name: "team-*"}, {kind: User, name: bob}]
          except: [{kind: User, name: alice}]
          namespaces: ["team-*"]
          rules:
          - {apiGroups: [""], resources: [secrets], verbs: ["*"]}
        ---
        apiVersion: arbiter.dev/v1alpha1
        kind: AccessPolicy
        metadata: {name: ci-deployers}
        spec:
          effect: Allow
          subjects: [{kind: ServiceAccount, namespace: "build-*", name: deployer}, {kind: User, name: carol}]
          namespaces: ["team-*"]
          rules:
          - {apiGroups: [apps], resources: [deployments], verbs: [get, update, patch]}
        ---
        apiVersion: arbiter.dev/v1alpha1
        kind: AccessPolicy
        metadata: {name: no-exec}
        spec:
          effect: Deny
          subjects: [{kind: User, name: "*"}]
          except: [{kind: Group, name: system:masters}]
          rules:
          - {apiGroups: [""], resources: [pods/exec], verbs: ["*"]}
        """

    /// With aggregation, resourceNames, namespace defaulting and AccessPolicies (patterns, deny,
    /// exceptions): the answer's `admits` agrees with `authorize` for every candidate identity,
    /// alone and combined with each group.
    @Test func agreesWithAuthorizeWithAccessPolicies() throws {
        let set = try ToolingFixtures.bootstrapSet(extra: Self.extra)
        let policy = PolicyCompiler.compile(set)
        let (users, groups) = ToolingFixtures.candidates(for: set)
        let requests = ToolingFixtures.requests(for: set, namespaces: ["team-a", "kube-system"])
        for request in requests {
            let answer = policy.whoCan(request)
            // Users alone; the probe user in each group; AccessPolicy users in each group.
            var identities: [(String, [String])] = users.map { ($0, []) }
            identities += groups.map { (ToolingFixtures.probeUser, [$0]) }
            for user in ["alice", "bob", "carol"] { identities += groups.map { (user, [$0]) } }
            for (user, memberships) in identities {
                do {
                    var probe = request
                    probe.user = user
                    probe.groups = memberships
                    let allowed = policy.authorize(probe).decision == .allow
                    #expect(
                        answer.admits(user: user, groups: memberships) == allowed,
                        "\(user) \(memberships) \(request)")
                }
            }
        }
    }

    /// A Deny on `User "*"` covers every member of every group, so a group it does not except is
    /// listed as denied, not allowed.
    @Test func aDenyOnEveryUserCoversGroups() throws {
        let policy = PolicyCompiler.compile(try ToolingFixtures.bootstrapSet(extra: Self.extra))
        let answer = policy.whoCan(.resource("create", "pods", subresource: "exec", namespace: "team-a", user: ""))
        let denied = Dictionary(uniqueKeysWithValues: answer.deniedSubjects.map { ($0.identity, $0) })
        #expect(denied["editors"]?.kind == .group)
        #expect(denied["editors"]?.deniedBy == ["no-exec"])
        #expect(!answer.allowedSubjects.contains { $0.identity == "editors" })
        #expect(answer.allowedSubjects.contains { $0.identity == "system:masters" })  // excepted
        #expect(!answer.admits(user: "probe", groups: ["editors"]))
    }

    @Test func listsDeniedSubjectsWithTheirPolicy() throws {
        let policy = PolicyCompiler.compile(try ToolingFixtures.bootstrapSet(extra: Self.extra))
        let answer = policy.whoCan(.resource("get", "secrets", namespace: "team-a", user: ""))
        let denied = Dictionary(uniqueKeysWithValues: answer.deniedSubjects.map { ($0.identity, $0) })
        #expect(denied["bob"]?.deniedBy == ["no-secrets-in-team-a"])
        #expect(denied["team-a-devs"]?.kind == .group)
        #expect(denied["team-a-devs"]?.exceptions == [SubjectPattern(kind: .user, name: "alice")])
        let allowed = Set(answer.allowedSubjects.map(\.identity))
        #expect(allowed.contains("alice"))  // excepted
        #expect(allowed.contains("system:serviceaccount:team-a:reader"))  // namespace defaulted
        #expect(allowed.contains("auditors"))
        #expect(answer.denies.map(\.policy) == ["no-secrets-in-team-a"])

        let named = policy.whoCan(.resource("update", "configmaps", namespace: "team-a", name: "settings", user: ""))
        #expect(Set(named.allowedSubjects.map(\.identity)).isSuperset(of: ["alice", "bob", "auditors"]))
        let other = policy.whoCan(.resource("update", "configmaps", namespace: "team-a", name: "other", user: ""))
        #expect(!Set(other.allowedSubjects.map(\.identity)).contains("bob"))

        let deploy = policy.whoCan(.resource("update", "deployments", group: "apps", namespace: "team-b", user: ""))
        #expect(deploy.patterns.map(\.pattern.namespace) == ["build-*"])
        #expect(deploy.allowedSubjects.contains { $0.identity == "carol" })
    }
}
