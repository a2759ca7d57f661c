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

    /// The CI-gate commands keep 1 for "something changed or was found" and 2 for input that
    /// does not load; a usage error is neither, and exits 64 (as documented).
    @Test(arguments: [
        ["diff"], ["diff", "--policy", "Policies"], ["lint", "Policies", "--fail-on", "bogus"],
        ["replay", "--policy", "Policies", "--no-such-option"],
    ])
    func usageErrorsOfTheGateCommandsExit64(_ arguments: [String]) throws {
        let result = try runArbiter(arguments)
        #expect(result.status == 64, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains("Usage: arbiter \(arguments[0])"), "\(result.stderr)")
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

    // MARK: - lint

    static let risky = """
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
        """

    @Test func lintReportsFindingsAndHonoursFailOnAndExclusions() throws {
        let directory = try makeTemporaryDirectory("lint")
        let path = directory.appendingPathComponent("risky.yaml").path
        try Self.risky.write(toFile: path, atomically: true, encoding: .utf8)

        let plain = try runArbiter(["lint", path])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout.contains("\(path):1: critical [nodes-proxy] ClusterRole/node-proxy"))
        #expect(plain.stdout.contains("\(path):7: warning [pod-exec] Role/team-a/exec"))

        #expect(try runArbiter(["lint", path, "--fail-on", "critical"]).status == 1)
        #expect(try runArbiter(["lint", path, "--fail-on", "critical", "--exclude", "nodes-proxy"]).status == 0)
        #expect(try runArbiter(["lint", path, "--fail-on", "warning", "--exclude", "nodes-proxy"]).status == 1)
        let excluded = try runArbiter(
            ["lint", path, "--fail-on", "info", "--exclude-object", "ClusterRole/node-proxy", "--exclude-object", "Role/team-a/exec"])
        #expect(excluded.status == 0)
        #expect(excluded.stdout.contains("No findings."))
        let anyNamespace = try runArbiter(["lint", path, "--exclude-object", "Role/exec", "-o", "json"])
        #expect(!anyNamespace.stdout.contains("pod-exec") && anyNamespace.stdout.contains("nodes-proxy"))

        let json = try runArbiter(["lint", path, "-o", "json"])
        let findings = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(findings.compactMap { $0["rule"] as? String }.sorted() == ["nodes-proxy", "pod-exec"])
        #expect(findings.compactMap { $0["line"] as? Int }.sorted() == [1, 7])
    }

    // MARK: - access

    @Test func accessMatrixMatchesCanI() throws {
        let result = try runArbiter(
            ["access", "--as", "system:kube-scheduler", "-n", "kube-system", "-o", "json"] + Self.bootstrap)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try Self.json(result.stdout)
        let rows = try #require(object["resources"] as? [[String: Any]])
        let pods = try #require(rows.first { $0["resource"] as? String == "pods" })
        #expect(pods["get"] as? String == "yes")
        #expect(pods["create"] as? String == "no")
        // Every cell of a few rows agrees with can-i.
        for row in rows where ["pods", "pods/binding", "leases.coordination.k8s.io", "secrets"].contains(row["resource"] as? String ?? "") {
            let name = row["resource"] as! String
            let parts = name.split(separator: "/").map(String.init)
            for verb in ["get", "create", "delete"] {
                var args = ["can-i", verb, parts[0], "-n", "kube-system", "--as", "system:kube-scheduler", "-q"]
                if parts.count > 1 { args += ["--subresource", parts[1]] }
                let canI = try runArbiter(args + Self.bootstrap)
                #expect((canI.status == 0) == (row[verb] as? String == "yes"), "\(name) \(verb)")
            }
        }

        let diff = try runArbiter(
            ["access", "--as", "system:kube-scheduler", "--diff-as", "system:kube-scheduler", "-n", "kube-system"] + Self.bootstrap)
        #expect(diff.stdout.contains("No differences."))
        let differs = try runArbiter(
            ["access", "--as", "system:kube-scheduler", "--diff-as", "nobody", "-n", "kube-system"] + Self.bootstrap)
        #expect(differs.stdout.contains("pods/binding"))
    }

    // MARK: - replay

    /// The medium workload's reviews, recorded as a decision log under the generated policy, then
    /// replayed against the policy without its busiest binding: exactly the reviews whose decision
    /// changes are reported.
    @Test func replayOfTheMediumWorkloadReportsExactlyTheChangedDecisions() throws {
        let directory = try makeTemporaryDirectory("replay-medium")
        defer { try? FileManager.default.removeItem(at: directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", sharedDirectory() + "/bench/rbacgen.py", "medium", "--out", directory.path]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let loaded = PolicySourceReader.load(paths: [directory.appendingPathComponent("rbac.yaml").path])
        let old = PolicyCompiler.compile(loaded.set)
        let lines = try String(contentsOfFile: directory.appendingPathComponent("requests.jsonl").path, encoding: .utf8)
            .split(separator: "\n")
        func label(_ decision: Decision) -> String {
            switch decision {
            case .allow: return "allow"
            case .deny: return "deny"
            case .noOpinion: return "no_opinion"
            }
        }
        var log: [String] = []
        var requests: [AccessRequest] = []
        var uses: [Int: Int] = [:]
        for line in lines {
            let review = try SubjectAccessReview.decode(Array(line.utf8))
            let request = review.accessRequest()
            let result = old.authorize(request)
            if case .binding(let match)? = result.source { uses[match.binding, default: 0] += 1 }
            requests.append(request)
            var entry = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["spec"] as! [String: Any]
            entry["decision"] = label(result.decision)
            entry["reason"] = result.reason
            log.append(String(decoding: try JSONSerialization.data(withJSONObject: entry), as: UTF8.self))
        }
        let logPath = directory.appendingPathComponent("decisions.jsonl").path
        try log.joined(separator: "\n").write(toFile: logPath, atomically: true, encoding: .utf8)
        let busiest = try #require(uses.max { $0.value < $1.value }?.key)
        let removed = old.bindings[busiest]
        var reduced = loaded.set
        reduced.bindings.removeAll { $0.kind == removed.kind && $0.namespace == removed.namespace && $0.name == removed.name }
        #expect(reduced.bindings.count == loaded.set.bindings.count - 1)
        var emitter = PolicyYAMLEmitter(seed: 11)
        let newPath = directory.appendingPathComponent("new.yaml").path
        try emitter.emit(reduced).write(toFile: newPath, atomically: true, encoding: .utf8)
        let new = PolicyCompiler.compile(reduced)
        var expected = Set<Int>()
        for (index, request) in requests.enumerated() where old.authorize(request).decision != new.authorize(request).decision {
            expected.insert(index + 1)
        }
        #expect(!expected.isEmpty)

        let result = try runArbiter(["replay", "--input", logPath, "-o", "json", "-p", newPath], timeout: 300)
        #expect(result.status == 1, "\(result.stderr)")
        let object = try Self.json(result.stdout)
        #expect(object["replayed"] as? Int == 10_000)
        let changed = try #require(object["lines"] as? [[String: Any]])
        #expect(Set(changed.compactMap { $0["line"] as? Int }) == expected)
        #expect(object["changed"] as? Int == expected.count)
    }

    @Test func replayReportsChangedDecisions() throws {
        let directory = try makeTemporaryDirectory("replay")
        let path = directory.appendingPathComponent("log.jsonl").path
        try """
        {"user":"system:kube-scheduler","groups":[],"resourceAttributes":{"namespace":"kube-system","verb":"get","group":"","resource":"pods"},"decision":"allow","reason":"x"}
        {"user":"jane","groups":[],"resourceAttributes":{"namespace":"default","verb":"get","group":"","resource":"secrets"},"decision":"allow","reason":"old"}
        {"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a1","stage":"RequestReceived","verb":"get","user":{"username":"system:kube-controller-manager","groups":[]},"objectRef":{"resource":"secrets","namespace":"kube-system","name":"x"}}
        {"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a1","stage":"ResponseComplete","verb":"get","user":{"username":"system:kube-controller-manager","groups":[]},"objectRef":{"resource":"secrets","namespace":"kube-system","name":"x"},"annotations":{"authorization.k8s.io/decision":"forbid"}}
        {"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"get","requestURI":"/healthz?verbose","user":{"username":"anon","groups":["system:unauthenticated"]},"annotations":{"authorization.k8s.io/decision":"allow"}}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try runArbiter(["replay", "--input", path, "-o", "json"] + Self.bootstrap)
        #expect(result.status == 1, "\(result.stderr)")
        let object = try Self.json(result.stdout)
        #expect(object["replayed"] as? Int == 4)
        #expect(object["changed"] as? Int == 2)
        let lines = try #require(object["lines"] as? [[String: Any]])
        #expect(object["auditStagesSkipped"] as? Int == 1)
        #expect(lines.compactMap { $0["line"] as? Int } == [2, 4])
        #expect(lines.compactMap { $0["newDecision"] as? String } == ["no_opinion", "allow"])
        let counts = try #require(object["counts"] as? [String: Int])
        #expect(counts == ["allow -> allow": 2, "allow -> no_opinion": 1, "deny -> allow": 1])
    }

    /// Audit events are recorded before impersonation, and a create's objectRef carries a name
    /// the authorizer never saw: replay asks about what the authorizer was asked.
    @Test func replayAsksAboutTheImpersonatedUserAndUnnamedCreates() throws {
        let directory = try makeTemporaryDirectory("replay")
        let policy = directory.appendingPathComponent("web7.yaml").path
        try """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: web7, namespace: team-a}
            rules: [{apiGroups: [""], resources: [pods], resourceNames: [web-7], verbs: [create, get]}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: web7, namespace: team-a}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: web7}
            subjects: [{kind: User, name: ci}]
            """.write(toFile: policy, atomically: true, encoding: .utf8)
        let path = directory.appendingPathComponent("audit.jsonl").path
        try """
        {"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"create","user":{"username":"jane","groups":[]},"impersonatedUser":{"username":"system:kube-scheduler","groups":["system:authenticated"]},"objectRef":{"resource":"pods","subresource":"binding","namespace":"kube-system","name":"p1"},"annotations":{"authorization.k8s.io/decision":"allow"}}
        {"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"create","user":{"username":"ci","groups":[]},"objectRef":{"resource":"pods","namespace":"team-a","name":"web-7"},"annotations":{"authorization.k8s.io/decision":"allow"}}
        {"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"get","user":{"username":"ci","groups":[]},"objectRef":{"resource":"pods","namespace":"team-a","name":"web-7"},"annotations":{"authorization.k8s.io/decision":"allow"}}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try runArbiter(["replay", "--input", path, "-o", "json", "-p", policy] + Self.bootstrap)
        let object = try Self.json(result.stdout)
        let counts = try #require(object["counts"] as? [String: Int], "\(result.stderr)")
        // The scheduler (impersonated) may bind pods; a create of web-7 names no pod, so the
        // name-restricted Role cannot allow it; a get of web-7 names it.
        #expect(counts == ["allow -> allow": 2, "allow -> no_opinion": 1])
        let lines = try #require(object["lines"] as? [[String: Any]])
        #expect(lines.compactMap { $0["line"] as? Int } == [2])
    }
}
