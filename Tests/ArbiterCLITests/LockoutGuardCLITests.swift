import ArbiterTestSupport
import Foundation
import Testing

/// The lock-out guard: `validate` warns, `serve` refuses unless `--allow-lockout`.
@Suite(.serialized)
struct LockoutGuardCLITests {
    static let lockout = """
        apiVersion: arbiter.dev/v1alpha1
        kind: AccessPolicy
        metadata: {name: no-leases-for-anyone}
        spec:
          effect: Deny
          subjects: [{kind: Group, name: system:authenticated}]
          rules: [{apiGroups: [coordination.k8s.io], resources: [leases], verbs: ["*"]}]
        """

    static let harmless = """
        apiVersion: arbiter.dev/v1alpha1
        kind: AccessPolicy
        metadata: {name: no-exec-for-contractors}
        spec:
          effect: Deny
          subjects: [{kind: Group, name: contractors}]
          rules: [{apiGroups: [""], resources: [pods/exec], verbs: ["*"]}]
        """

    func write(_ text: String) throws -> (URL, URL) {
        let directory = try makeTemporaryDirectory()
        let file = directory.appendingPathComponent("policy.yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return (directory, file)
    }

    @Test func validateWarnsAboutALockout() throws {
        let (directory, file) = try write(Self.lockout)
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try runArbiter(["validate", file.path])
        #expect(result.status == 0)
        #expect(result.stderr.contains("lock-out: \(file.path):1:1: AccessPolicy `no-leases-for-anyone` denies kube-scheduler"))
        #expect(result.stderr.contains("denies a kubelet"))
        #expect(result.stdout.contains("warning(s)"))
    }

    @Test func validateWithAConfigurationRefusesALockoutAsServeWould() throws {
        let (directory, file) = try write(Self.lockout)
        defer { try? FileManager.default.removeItem(at: directory) }
        func configuration(allowLockout: Bool) throws -> String {
            let path = directory.appendingPathComponent("config-\(allowLockout).yaml").path
            try """
                apiVersion: arbiter.dev/v1alpha1
                kind: ServerConfiguration
                policies: [\(file.path)]
                callers: {users: [kube-apiserver]}
                allowLockout: \(allowLockout)
                """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let refused = try runArbiter(["validate", "--config", try configuration(allowLockout: false)])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("error: lock-out: \(file.path):1:1: AccessPolicy `no-leases-for-anyone` denies kube-scheduler"))
        #expect(refused.stdout.contains("error(s)"))
        let allowed = try runArbiter(["validate", "--config", try configuration(allowLockout: true)])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stderr.contains("warning: lock-out:"))
    }

    @Test func validateIsQuietForAHarmlessDeny() throws {
        let (directory, file) = try write(Self.harmless)
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try runArbiter(["validate", file.path])
        #expect(result.status == 0)
        #expect(!result.stderr.contains("lock-out"))
    }

    @Test func serveRefusesALockoutUnlessAllowed() throws {
        let (directory, file) = try write(Self.lockout)
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("missing.pem").path
        let base = [
            "serve", "--listen", "127.0.0.1:0", "--tls-cert", missing, "--tls-key", missing, "--client-ca", missing,
            "--caller", "kube-apiserver", "-p", file.path, "--no-watch",
        ]
        let refused = try runArbiter(base)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("the policy did not load"))
        #expect(refused.stderr.contains("--allow-lockout"))
        // Accepted with --allow-lockout: the start then fails later, on the missing certificate.
        let allowed = try runArbiter(base + ["--allow-lockout"])
        #expect(allowed.status == 1)
        #expect(!allowed.stderr.contains("lock-out"))
        #expect(allowed.stderr.contains("TLS"))
    }

    /// A configuration that does not load, or lacks what serving needs, is a failed start
    /// (exit 1) with every problem on its own line, not a usage error followed by the root
    /// command's usage.
    @Test func serveReportsConfigurationProblemsWithoutTheRootUsage() throws {
        let missing = try runArbiter(["serve", "--config", "/nonexistent/arbiter.yaml"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("error: cannot open `/nonexistent/arbiter.yaml`"), "\(missing.stderr)")
        #expect(!missing.stderr.contains("<subcommand>"), "\(missing.stderr)")
        let incomplete = try runArbiter(["serve", "--listen", "127.0.0.1:0", "--no-watch"])
        #expect(incomplete.status == 1)
        let lines = incomplete.stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        #expect(lines.count == 5, "\(incomplete.stderr)")  // certificate, key, client CA, callers, policies
        #expect(!incomplete.stderr.contains("<subcommand>"))
        // A bad flag value stays a usage error of `serve` (exit 64), as the root help says.
        for flags in [
            ["--log-format", "xml"], ["--client-auth", "foo"], ["--busy-poll", "5q"], ["--shutdown-grace", "5x"],
            ["--log-level", "bogus"], ["--max-connections", "0"], ["--max-request-body", "0"], ["--authorize-path", "foo"],
            ["--health-listen", "nothost"], ["--busy-poll", "5ms"], ["--listen", "nonsense"], ["--listen", "127.0.0.1:99999"],
        ] {
            let bad = try runArbiter(["serve"] + flags)
            #expect(bad.status == 64, "\(flags): \(bad.stderr)")
            #expect(bad.stderr.contains("Usage: arbiter serve"), "\(flags): \(bad.stderr)")
        }
    }
}
