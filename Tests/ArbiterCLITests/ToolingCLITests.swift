import ArbiterPolicy
import ArbiterReview
import ArbiterTestSupport
import Foundation
import Testing

/// `arbiter who-can`, `diff`, `lint`, `access` and `replay`, run as a user runs them.
@Suite(.serialized)
struct ToolingCLITests {
    static let bootstrapDirectory = sharedDirectory() + "/fixtures/kubernetes-bootstrap/"
    static let bootstrapPaths = [
        "cluster-roles.yaml", "cluster-role-bindings.yaml", "namespace-roles.yaml", "namespace-role-bindings.yaml",
        "controller-roles.yaml", "controller-role-bindings.yaml",
    ].map { bootstrapDirectory + $0 }
    static let bootstrap = bootstrapPaths.flatMap { ["-p", $0] }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    // MARK: - who-can

    @Test func whoCanListsSubjectsAndTheirGrants() throws {
        let result = try runArbiter(["who-can", "get", "secrets", "-n", "kube-system"] + Self.bootstrap)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Group           system:masters"))
        #expect(result.stdout.contains("ClusterRoleBinding cluster-admin -> ClusterRole cluster-admin rule 0"))
        #expect(result.stdout.contains("ServiceAccount  kube-system/bootstrap-signer"))

        let json = try runArbiter(["who-can", "get", "secrets", "-n", "kube-system", "-o", "json"] + Self.bootstrap)
        #expect(json.status == 0)
        let object = try Self.json(json.stdout)
        let allowed = try #require(object["allowed"] as? [[String: Any]])
        let names = Set(allowed.compactMap { $0["name"] as? String })
        #expect(names.contains("system:masters"))
        #expect(names.contains("bootstrap-signer"))
        // Same answer as the engine.
        let policy = PolicyCompiler.compile(PolicySourceReader.load(paths: Self.bootstrapPaths).set)
        let engine = policy.whoCan(.resource("get", "secrets", namespace: "kube-system", user: ""))
        #expect(allowed.count == engine.allowedSubjects.count)

        let yaml = try runArbiter(["who-can", "get", "/healthz", "-o", "yaml"] + Self.bootstrap)
        #expect(yaml.status == 0)
        #expect(yaml.stdout.contains("name: \"system:unauthenticated\""))
    }

    @Test func whoCanShowsDeniedSubjects() throws {
        let directory = try makeTemporaryDirectory("who-can")
        let deny = directory.appendingPathComponent("deny.yaml").path
        try """
        apiVersion: arbiter.dev/v1alpha1
        kind: AccessPolicy
        metadata: {name: no-secrets}
        spec:
          effect: Deny
          subjects: [{kind: Group, name: "system:*"}]
          except: [{kind: User, name: break-glass}]
          rules: [{apiGroups: [""], resources: [secrets], verbs: ["*"]}]
        """.write(toFile: deny, atomically: true, encoding: .utf8)
        let result = try runArbiter(["who-can", "get", "secrets", "-n", "kube-system", "-p", deny] + Self.bootstrap)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("members of Group system:masters are denied by no-secrets unless excepted (User break-glass)"))
        #expect(result.stdout.contains("no-secrets  0"))
    }

    // MARK: - diff

    @Test func diffOfIdenticalPoliciesExitsZero() throws {
        let args = Self.bootstrapPaths.flatMap { ["--policy", $0] } + Self.bootstrapPaths.flatMap { ["--against", $0] }
        let result = try runArbiter(["diff"] + args)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("No permission changes."))
    }

    @Test func diffListsGainedPermissionsAndExitsOne() throws {
        let directory = try makeTemporaryDirectory("diff")
        let extra = directory.appendingPathComponent("extra.yaml").path
        try """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: dana-edit, namespace: team-a}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
        subjects: [{kind: User, name: dana}]
        """.write(toFile: extra, atomically: true, encoding: .utf8)
        let args = Self.bootstrapPaths.flatMap { ["--policy", $0] } + Self.bootstrapPaths.flatMap { ["--against", $0] }
        let result = try runArbiter(["diff"] + args + ["--against", extra])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("User dana:\n"))
        #expect(result.stdout.contains("  + get pods (namespace team-a)"))
        #expect(!result.stdout.contains("  - "))
    }

    /// `--reviews` on a generated medium workload against the policy with its busiest binding
    /// removed: exactly the reviews whose decision differs between the two policies.
    @Test func diffReportsExactlyTheReviewsWhoseDecisionChanges() throws {
        let directory = try makeTemporaryDirectory("diff-reviews")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", sharedDirectory() + "/bench/rbacgen.py", "medium", "--out", directory.path]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let oldPath = directory.appendingPathComponent("rbac.yaml").path
        let reviewsPath = directory.appendingPathComponent("requests.jsonl").path
        let loaded = PolicySourceReader.load(paths: [oldPath])
        #expect(loaded.errors.isEmpty)
        let old = PolicyCompiler.compile(loaded.set)
        let lines = try String(contentsOfFile: reviewsPath, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        var requests: [(Int, AccessRequest)] = []
        for (i, line) in lines.enumerated() where !line.isEmpty {
            requests.append((i + 1, try SubjectAccessReview.decode(Array(line.utf8)).accessRequest()))
        }
        #expect(requests.count == 10_000)

        // The binding that allows the most reviews.
        var uses: [String: Int] = [:]
        for (_, request) in requests {
            if case .binding(let match)? = old.authorize(request).source {
                let binding = old.bindings[match.binding]
                uses[binding.kind.rawValue + "|" + binding.namespace + "|" + binding.name, default: 0] += 1
            }
        }
        let busiest = try #require(uses.max { $0.value < $1.value }?.key)
        var reduced = loaded.set
        reduced.bindings.removeAll { $0.kind.rawValue + "|" + $0.namespace + "|" + $0.name == busiest }
        #expect(reduced.bindings.count == loaded.set.bindings.count - 1)
        var emitter = PolicyYAMLEmitter(seed: 7)
        let newPath = directory.appendingPathComponent("new.yaml").path
        try emitter.emit(reduced).write(toFile: newPath, atomically: true, encoding: .utf8)
        let new = PolicyCompiler.compile(reduced)

        var expected: Set<Int> = []
        for (line, request) in requests where old.authorize(request).decision != new.authorize(request).decision {
            expected.insert(line)
        }
        #expect(!expected.isEmpty)

        let result = try runArbiter(
            ["diff", "--policy", oldPath, "--against", newPath, "--reviews", reviewsPath, "-o", "json"], timeout: 300)
        #expect(result.status == 1, "\(result.stderr)")
        let object = try Self.json(result.stdout)
        let changed = try #require(object["changedReviews"] as? [[String: Any]])
        #expect(Set(changed.compactMap { $0["line"] as? Int }) == expected)
        #expect(changed.count == expected.count)
        #expect(object["reviewsRead"] as? Int == 10_000)
        #expect(changed.allSatisfy { ($0["oldDecision"] as? String) == "allow" && ($0["newDecision"] as? String) != "allow" })
        // The permission diff names only the removed binding's subjects, all losing.
        let subjects = try #require(object["subjects"] as? [[String: Any]])
        #expect(!subjects.isEmpty)
        #expect(subjects.allSatisfy { ($0["gained"] as? [Any])?.isEmpty == true })
    }
}
