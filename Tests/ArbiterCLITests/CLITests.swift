import ArbiterTestSupport
import Foundation
import Testing

/// The `arbiter` binary, run as a user runs it: output and exit codes.
@Suite(.serialized)
struct CLITests {
    static let bootstrapDirectory = sharedDirectory() + "/fixtures/kubernetes-bootstrap/"
    static let bootstrap = [
        "cluster-roles.yaml", "cluster-role-bindings.yaml", "namespace-roles.yaml", "namespace-role-bindings.yaml",
        "controller-roles.yaml", "controller-role-bindings.yaml",
    ].flatMap { ["-p", bootstrapDirectory + $0] }

    static let denyPolicy = """
        apiVersion: arbiter.dev/v1alpha1
        kind: AccessPolicy
        metadata: {name: no-secrets}
        spec:
          effect: Deny
          subjects: [{kind: Group, name: system:authenticated}]
          rules: [{apiGroups: [""], resources: [secrets], verbs: ["*"]}]
        """

    static func review(
        user: String, groups: [String], verb: String, resource: String, namespace: String = "",
        apiVersion: String = "authorization.k8s.io/v1"
    ) -> String {
        let key = apiVersion.hasSuffix("v1beta1") ? "group" : "groups"
        let list = groups.map { "\"\($0)\"" }.joined(separator: ",")
        return """
            {"apiVersion":"\(apiVersion)","kind":"SubjectAccessReview","metadata":{"creationTimestamp":null},\
            "spec":{"resourceAttributes":{"namespace":"\(namespace)","verb":"\(verb)","resource":"\(resource)"},\
            "user":"\(user)","\(key)":[\(list)]},"status":{"allowed":false}}
            """
    }

    @Test func validateSummarisesTheBootstrapPolicy() throws {
        let result = try runArbiter(["validate"] + Self.bootstrap)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("6 file(s): 69 ClusterRoles, 7 Roles, 37 ClusterRoleBindings, 7 RoleBindings"))
        #expect(result.stdout.contains("ok: 0 errors"))
    }

    @Test func validateNamesFileLineAndColumn() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("bad.yaml")
        try """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: r}
            rules:
            - apiGroups: [""]
              resources: [pods]
              verbs: [get, yes]
            """.write(to: file, atomically: true, encoding: .utf8)
        let result = try runArbiter(["validate", file.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(file.path):7:"), "\(result.stderr)")
        #expect(result.stderr.contains("a boolean `yes`"))
    }

    @Test func checkAnswersOneReviewWithExitCodes() throws {
        let allowed = try runArbiter(
            ["check"] + Self.bootstrap,
            input: Self.review(user: "system:kube-scheduler", groups: [], verb: "list", resource: "nodes"))
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stdout.contains(#""status":{"allowed":true,"reason":"RBAC: allowed by ClusterRoleBinding \"system:kube-scheduler\""#))

        let noOpinion = try runArbiter(
            ["check"] + Self.bootstrap, input: Self.review(user: "jane", groups: [], verb: "list", resource: "pods"))
        #expect(noOpinion.status == 3)
        #expect(noOpinion.stdout.contains(#""status":{"allowed":false}"#))

        let deny = try runArbiter(
            ["check"] + Self.bootstrap + ["--default-decision", "Deny"],
            input: Self.review(user: "jane", groups: [], verb: "list", resource: "pods"))
        #expect(deny.status == 2)
        #expect(deny.stdout.contains(#""denied":true"#))
        #expect(!deny.stdout.contains(#""allowed":true"#))
    }

    /// `--input -` is standard input (kubectl's `-f -`), not a file named `-`.
    @Test func checkInputDashReadsStandardInput() throws {
        let review = Self.review(user: "system:kube-scheduler", groups: [], verb: "list", resource: "nodes")
        let result = try runArbiter(["check", "--input", "-"] + Self.bootstrap, input: review)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains(#""allowed":true"#))
        #expect(!result.stderr.contains("cannot open"), "\(result.stderr)")
    }

    @Test func checkReadsJSONLinesAndAnswersInTheRequestVersion() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let policy = directory.appendingPathComponent("deny.yaml")
        try Self.denyPolicy.write(to: policy, atomically: true, encoding: .utf8)
        let lines = [
            Self.review(user: "system:kube-scheduler", groups: ["system:authenticated"], verb: "list", resource: "nodes"),
            Self.review(
                user: "jane", groups: ["system:authenticated"], verb: "get", resource: "secrets", namespace: "a",
                apiVersion: "authorization.k8s.io/v1beta1"),
            Self.review(user: "jane", groups: [], verb: "get", resource: "pods", namespace: "a"),
        ].joined(separator: "\n")
        let result = try runArbiter(["check", "-p", policy.path] + Self.bootstrap, input: lines)
        #expect(result.status == 0, "\(result.stderr)")
        let outputs = result.stdout.split(separator: "\n")
        #expect(outputs.count == 3)
        #expect(outputs[0].contains(#""allowed":true"#))
        #expect(outputs[1].contains(#""apiVersion":"authorization.k8s.io/v1beta1""#))
        #expect(outputs[1].contains(#""group":["system:authenticated"]"#))
        #expect(outputs[1].contains(#""denied":true"#))
        #expect(outputs[1].contains(#"AccessPolicy: denied by AccessPolicy \"no-secrets\" rule 0"#))
        #expect(outputs[2].contains(#""status":{"allowed":false}"#))
    }

    @Test func checkAnswersALocalSubjectAccessReviewInItsNamespace() throws {
        let local = """
            {"apiVersion":"authorization.k8s.io/v1","kind":"LocalSubjectAccessReview","metadata":{"namespace":"default"},\
            "spec":{"user":"system:kube-scheduler","resourceAttributes":{"namespace":"default","verb":"create",\
            "resource":"pods","subresource":"binding"}}}
            """
        let result = try runArbiter(["check"] + Self.bootstrap, input: local)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\"kind\":\"LocalSubjectAccessReview\""))
        let elsewhere = local.replacingOccurrences(of: "\"namespace\":\"default\"}", with: "\"namespace\":\"other\"}")
        let refused = try runArbiter(["check"] + Self.bootstrap, input: elsewhere)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("does not match metadata.namespace"))
        // kube-apiserver: "namespace is required on this type".
        let cluster = #"{"apiVersion":"authorization.k8s.io/v1","kind":"LocalSubjectAccessReview","spec":{"user":"u","resourceAttributes":{"verb":"get","resource":"nodes"}}}"#
        let unscoped = try runArbiter(["check"] + Self.bootstrap, input: cluster)
        #expect(unscoped.status == 1)
        #expect(unscoped.stderr.contains("a LocalSubjectAccessReview needs metadata.namespace"))
    }

    @Test func checkReportsTheBadInputLine() throws {
        let good = Self.review(user: "a", groups: [], verb: "get", resource: "pods")
        let result = try runArbiter(["check"] + Self.bootstrap, input: good + "\n{\"apiVersion\": 1}\n" + good)
        #expect(result.status == 1)
        #expect(result.stderr.contains("input line 2"), "\(result.stderr)")
    }

    /// JSON Lines whose first line is a complete object but not a valid review: the error is that
    /// line's own, not "data after the top-level object".
    @Test func checkReportsABadFirstLineOfJSONLines() throws {
        let good = Self.review(user: "a", groups: [], verb: "get", resource: "pods")
        let bad = #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"a"}}"#
        let result = try runArbiter(["check"] + Self.bootstrap, input: bad + "\n" + good + "\n")
        #expect(result.status == 1)
        #expect(result.stderr.contains("input line 1: spec has neither resourceAttributes nor nonResourceAttributes"), "\(result.stderr)")
    }

    /// A pretty-printed review followed by more: still one document, the error at the extra data.
    @Test func checkReportsDataAfterAPrettyPrintedReview() throws {
        let pretty = Self.review(user: "a", groups: [], verb: "get", resource: "pods").replacingOccurrences(of: ",", with: ",\n")
        let result = try runArbiter(["check"] + Self.bootstrap, input: pretty + "\n{}\n")
        #expect(result.status == 1)
        #expect(result.stderr.contains("after the top-level object"), "\(result.stderr)")
    }

    @Test func checkReadsAPrettyPrintedReview() throws {
        let pretty = """
            {
              "apiVersion": "authorization.k8s.io/v1",
              "kind": "SubjectAccessReview",
              "spec": {
                "nonResourceAttributes": {"path": "/healthz", "verb": "get"},
                "user": "system:anonymous",
                "groups": ["system:unauthenticated"]
              }
            }
            """
        let result = try runArbiter(["check"] + Self.bootstrap, input: pretty)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").count == 1)
    }

    @Test func canIPrintsYesOrNoWithTheReason() throws {
        let yes = try runArbiter(
            ["can-i", "create", "pods", "--subresource", "binding", "-n", "default", "--as", "system:kube-scheduler"]
                + Self.bootstrap)
        #expect(yes.status == 0)
        #expect(
            yes.stdout
                == "yes - RBAC: allowed by ClusterRoleBinding \"system:kube-scheduler\" of ClusterRole \"system:kube-scheduler\" to User \"system:kube-scheduler\"\n"
        )
        // kubectl's attached short value: `-ndefault` and `-n=default` are `-n default`.
        for namespace in ["-ndefault", "-n=default"] {
            let attached = try runArbiter(
                ["can-i", "create", "pods", "--subresource", "binding", namespace, "--as", "system:kube-scheduler"] + Self.bootstrap)
            #expect(attached.status == 0, "\(namespace): \(attached.stderr)")
            #expect(attached.stdout == yes.stdout)
        }
        let no = try runArbiter(["can-i", "list", "secrets", "-A", "--as", "jane"] + Self.bootstrap)
        #expect(no.status == 3)
        #expect(no.stdout == "no\n")
        let url = try runArbiter(
            ["can-i", "get", "/version", "--as", "system:anonymous", "--as-group", "system:unauthenticated"] + Self.bootstrap)
        #expect(url.status == 0)
        let grouped = try runArbiter(["can-i", "watch", "endpointslices.discovery.k8s.io", "--as", "system:kube-proxy"] + Self.bootstrap)
        #expect(grouped.status == 0, "\(grouped.stdout)")
    }

    @Test func canIGivesTheUserTheGroupsOfKubectlAs() throws {
        // /version is open to system:authenticated, which `kubectl --as jane` adds.
        let implicit = try runArbiter(["can-i", "get", "/version", "--as", "jane"] + Self.bootstrap)
        #expect(implicit.status == 0, "\(implicit.stdout)")
        #expect(implicit.stdout.contains("to Group \"system:authenticated\""))
        let exact = try runArbiter(["can-i", "get", "/version", "--as", "jane", "--no-implicit-groups"] + Self.bootstrap)
        #expect(exact.status == 3)

        // A Deny on system:authenticated applies to a user given without groups.
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.denyPolicy.write(to: directory.appendingPathComponent("deny.yaml"), atomically: true, encoding: .utf8)
        try """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: ci-reads-secrets}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
            subjects: [{kind: Group, name: "system:serviceaccounts:ci"}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: secret-reader}
            rules: [{apiGroups: [""], resources: [secrets, configmaps], verbs: [get]}]
            """.write(to: directory.appendingPathComponent("rbac.yaml"), atomically: true, encoding: .utf8)
        let policy = ["-p", directory.path]
        let denied = try runArbiter(["can-i", "get", "secrets", "-n", "x", "--as", "jane"] + policy)
        #expect(denied.status == 2, "\(denied.stdout)")
        // A service account is in its own groups unless --as-group replaces them.
        let account = try runArbiter(["can-i", "get", "configmaps", "-n", "x", "--as", "system:serviceaccount:ci:bot"] + policy)
        #expect(account.status == 0, "\(account.stdout)")
        let replaced = try runArbiter(
            ["can-i", "get", "configmaps", "-n", "x", "--as", "system:serviceaccount:ci:bot", "--as-group", "dev"] + policy)
        #expect(replaced.status == 3)
        let explained = try runArbiter(["explain", "get", "configmaps", "-A", "--as", "system:serviceaccount:ci:bot"] + policy)
        #expect(explained.status == 0)
        #expect(explained.stdout.contains("system:serviceaccounts:ci"))
    }

    @Test func canIWarnsWhenANameLooksLikeASubresource() throws {
        let result = try runArbiter(["can-i", "create", "pods/exec", "-n", "x", "--as", "jane"] + Self.bootstrap)
        #expect(result.status == 3)
        #expect(result.stderr.contains("warning: `pods/exec` asks about the object named `exec`"))
        #expect(result.stderr.contains("--subresource exec"))
        let plain = try runArbiter(["can-i", "create", "pods", "--subresource", "exec", "-n", "x", "--as", "jane"] + Self.bootstrap)
        #expect(plain.stderr.isEmpty)
    }

    @Test func canIWarnsAboutAnUnknownVerb() throws {
        let result = try runArbiter(["can-i", "GET", "pods", "-n", "x", "--as", "jane"] + Self.bootstrap)
        #expect(result.status == 3)
        #expect(result.stderr.contains("warning: verb `GET` is not a known verb"))
        let known = try runArbiter(["can-i", "get", "pods", "-n", "x", "--as", "jane"] + Self.bootstrap)
        #expect(!known.stderr.contains("warning"))
    }

    @Test func explainSaysItTakesOneReview() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let lines = [Self.review(user: "a", groups: [], verb: "get", resource: "pods"),
                     Self.review(user: "b", groups: [], verb: "get", resource: "pods")]
        let path = directory.appendingPathComponent("two.jsonl").path
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let result = try runArbiter(["explain", "--input", path] + Self.bootstrap)
        #expect(result.status == 1)
        #expect(result.stderr.contains("explain takes one review, this looks like JSON Lines (2 reviews)"))
    }

    /// The kubelet authorizes the path without its query, for a user with the groups its
    /// authenticator gives.
    @Test func kubeletReviewIgnoresTheQueryAndAddsTheAuthenticatedGroups() throws {
        let result = try runArbiter(["kubelet-review", "--node", "n1", "--path", "/pods?x=1", "--user", "jane"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first?.contains("\"subresource\":\"pods\"") == true, "\(result.stdout)")
        #expect(lines.first?.contains("\"groups\":[\"system:authenticated\"]") == true)
        let exact = try runArbiter(["kubelet-review", "--node", "n1", "--path", "/pods", "--user", "jane", "--no-implicit-groups"])
        #expect(!exact.stdout.contains("system:authenticated"))
    }

    @Test func canIRejectsBadArguments() throws {
        let result = try runArbiter(["can-i", "get", "pods/a/b", "--as", "jane"] + Self.bootstrap)
        #expect(result.status != 0)
        #expect(result.stderr.contains("RESOURCE/NAME"))
    }

    @Test func explainShowsTheNearestRule() throws {
        let result = try runArbiter(
            ["explain", "get", "pods", "--subresource", "log", "-n", "kube-system", "--as", "system:kube-scheduler"]
                + Self.bootstrap)
        #expect(result.status == 3)
        #expect(result.stdout.contains("decision: NO OPINION"))
        #expect(result.stdout.contains("`pods` does not cover its subresource `log`"))
        #expect(result.stdout.contains("cluster-role-bindings.yaml:"))
    }

    @Test func policyTestsReportEachCaseAndTheTotal() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.denyPolicy.write(to: directory.appendingPathComponent("deny.yaml"), atomically: true, encoding: .utf8)
        try """
            apiVersion: arbiter.dev/v1alpha1
            kind: PolicyTest
            metadata: {name: deny}
            policies: [deny.yaml]
            cases:
            - name: secrets are denied
              request: {user: jane, groups: [system:authenticated], resourceAttributes: {verb: get, resource: secrets, namespace: a}}
              expect: Deny
              reason: 'AccessPolicy: denied by AccessPolicy "no-secrets" rule 0'
            - name: a deliberately wrong expectation
              request: {user: jane, groups: [system:authenticated], resourceAttributes: {verb: get, resource: pods, namespace: a}}
              expect: Allow
            """.write(to: directory.appendingPathComponent("deny.test.yaml"), atomically: true, encoding: .utf8)
        let result = try runArbiter(["test", directory.path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("PASS "))
        #expect(result.stdout.contains("a deliberately wrong expectation: expected Allow, got NoOpinion"))
        #expect(result.stdout.hasSuffix("1 passed, 1 failed\n"))
    }

    /// A misspelt kind or version in a test file must not turn into "0 failed" with nothing run.
    @Test func aTestFileWithAMisspeltKindFails() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.denyPolicy.write(to: directory.appendingPathComponent("deny.yaml"), atomically: true, encoding: .utf8)
        try """
            apiVersion: arbiter.dev/v1
            kind: PolicyTest
            metadata: {name: deny}
            policies: [deny.yaml]
            cases:
            - name: would fail
              request: {user: jane, resourceAttributes: {verb: get, resource: pods, namespace: a}}
              expect: Allow
            """.write(to: directory.appendingPathComponent("deny.test.yaml"), atomically: true, encoding: .utf8)
        let result = try runArbiter(["test", directory.path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("not a PolicyTest"))
        #expect(result.stdout.hasSuffix("0 passed, 1 failed\n"))
    }
}
