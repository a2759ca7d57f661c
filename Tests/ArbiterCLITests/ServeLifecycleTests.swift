import ArbiterTestSupport
import Foundation
import Glibc
import Testing

/// `arbiter serve` start-up and shutdown as systemd sees them (security checklist 22 and 24):
/// READY=1 only once the policy and certificates are loaded; a missing, empty or invalid policy
/// never becomes ready; SIGTERM says STOPPING=1 and exits 0.
@Suite(.serialized)
struct ServeLifecycleTests {
    /// A datagram socket standing in for systemd's notify socket.
    final class NotifyListener {
        let path: String
        let fd: Int32

        init(directory: URL) throws {
            path = directory.appendingPathComponent("notify.sock").path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (i, byte) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = byte }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            try #require(bound == 0)
            var timeout = timeval(tv_sec: 1, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        /// Messages received within about `seconds` (a steady stream, such as watchdog pings,
        /// cannot keep it waiting longer: the deadline is checked after every message).
        func receive(for seconds: Int) -> [String] {
            var messages: [String] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            let deadline = ContinuousClock.now + .seconds(seconds)
            while ContinuousClock.now < deadline {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n > 0 { messages.append(String(decoding: buffer[0..<n], as: UTF8.self)) }
            }
            return messages
        }

        deinit { close(fd) }
    }

    static func makeCertificates(in directory: URL) throws -> URL {
        let pki = directory.appendingPathComponent("pki")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        let script = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Deploy/pki/make-certs.sh").path
        process.arguments = [script, "--out", pki.path, "--node", "test-node"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        return pki
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func serve(policy: String, pki: URL, listener: NotifyListener, extraEnvironment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arbiterExecutable())
        process.arguments = [
            "serve", "--listen", "127.0.0.1:\(Self.freePort())", "--tls-cert", pki.appendingPathComponent("arbiter.crt").path,
            "--tls-key", pki.appendingPathComponent("arbiter.key").path, "--client-ca", pki.appendingPathComponent("client-ca.crt").path,
            "--caller", "kube-apiserver-authz-client", "-p", policy, "--no-watch", "--shutdown-grace", "2s", "--log-level", "error",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = listener.path
        environment.merge(extraEnvironment) { $1 }
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// A configuration file serving on `port` with the certificates of `pki`.
    static func configuration(port: Int, pki: URL, caller: String, policies: String, extra: String = "") -> String {
        """
        apiVersion: arbiter.dev/v1alpha1
        kind: ServerConfiguration
        listen: ["127.0.0.1:\(port)"]
        tls:
          cert: \(pki.appendingPathComponent("arbiter.crt").path)
          key: \(pki.appendingPathComponent("arbiter.key").path)
          clientCA: \(pki.appendingPathComponent("client-ca.crt").path)
        callers: {users: [\(caller)]}
        policies: [\(policies)]
        \(extra)
        """
    }

    /// `arbiter serve --config CONFIG` with `arguments` after it, notifying `listener`.
    func serve(config: String, listener: NotifyListener, arguments: [String], standardError: FileHandle = .nullDevice) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arbiterExecutable())
        process.arguments = ["serve", "--config", config] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = listener.path
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = standardError
        try process.run()
        return process
    }

    func waitForExit(_ process: Process, seconds: Int) -> Bool {
        for _ in 0..<(seconds * 10) {
            if !process.isRunning { return true }
            usleep(100_000)
        }
        return !process.isRunning
    }

    @Test func readyOnlyAfterLoadingThenStoppingOnSIGTERM() throws {
        let directory = try makeTemporaryDirectory("serve-lifecycle")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pki = try Self.makeCertificates(in: directory)
        let listener = try NotifyListener(directory: directory)
        let root = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = try serve(policy: root.appendingPathComponent("Policies/control-plane").path, pki: pki, listener: listener)
        let early = listener.receive(for: 5)
        #expect(early.contains { $0.hasPrefix("READY=1") }, "\(early)")
        kill(process.processIdentifier, SIGTERM)
        #expect(waitForExit(process, seconds: 10))
        #expect(process.terminationStatus == 0)
        let late = listener.receive(for: 1)
        #expect(late.contains { $0.hasPrefix("STOPPING=1") }, "\(late)")
    }

    /// The whole watchdog path (checklist 24): with `WATCHDOG_USEC` set for this process, the
    /// service pings at half the interval once ready, and stops pinging when it stops.
    @Test func pingsTheWatchdogWhileServing() throws {
        let directory = try makeTemporaryDirectory("serve-watchdog")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pki = try Self.makeCertificates(in: directory)
        let listener = try NotifyListener(directory: directory)
        let root = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        // No WATCHDOG_PID: systemd sets it to the service's pid, which we do not know before the
        // start; without it the variable is taken as meant for this process.
        let process = try serve(
            policy: root.appendingPathComponent("Policies/control-plane").path, pki: pki, listener: listener,
            extraEnvironment: ["WATCHDOG_USEC": "400000"])
        let messages = listener.receive(for: 4)
        let ready = messages.firstIndex { $0.hasPrefix("READY=1") }
        try #require(ready != nil, "\(messages)")
        // About 4 s at one ping per 200 ms; allow a slow, loaded machine plenty of slack.
        let pings = messages[ready!...].filter { $0 == "WATCHDOG=1" }.count
        #expect(pings >= 5, "\(messages)")
        #expect(!messages[..<ready!].contains("WATCHDOG=1"), "no ping before READY: \(messages)")
        kill(process.processIdentifier, SIGTERM)
        #expect(waitForExit(process, seconds: 10))
        #expect(process.terminationStatus == 0)
        let late = listener.receive(for: 1)
        let stopping = late.firstIndex { $0.hasPrefix("STOPPING=1") }
        #expect(stopping != nil, "\(late)")
        if let stopping {
            #expect(!late[stopping...].contains("WATCHDOG=1"), "no ping after STOPPING: \(late)")
        }
    }

    @Test(arguments: ["missing", "empty", "empty-file", "invalid"])
    func aBrokenPolicyNeverBecomesReady(_ kind: String) throws {
        let directory = try makeTemporaryDirectory("serve-broken")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pki = try Self.makeCertificates(in: directory)
        let listener = try NotifyListener(directory: directory)
        let policy = directory.appendingPathComponent("policies")
        switch kind {
        case "empty":
            try FileManager.default.createDirectory(at: policy, withIntermediateDirectories: true)
        case "empty-file":
            // A truncated file: present, readable, and without a single object.
            try FileManager.default.createDirectory(at: policy, withIntermediateDirectories: true)
            try "".write(to: policy.appendingPathComponent("policy.yaml"), atomically: true, encoding: .utf8)
        case "invalid":
            try FileManager.default.createDirectory(at: policy, withIntermediateDirectories: true)
            try "kind: ClusterRole\napiVersion: rbac.authorization.k8s.io/v1\nmetadata: {name: x}\nrules: [{verbs: []}]\n"
                .write(to: policy.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        default:
            break
        }
        let process = try serve(policy: policy.path, pki: pki, listener: listener)
        #expect(waitForExit(process, seconds: 10))
        #expect(process.terminationStatus == 1)
        let messages = listener.receive(for: 1)
        #expect(!messages.contains { $0.hasPrefix("READY=1") }, "\(messages)")
    }

    /// `curl` POSTing `body` to `url` with the API server's client certificate: the HTTP status
    /// and the body.
    static func post(_ url: String, _ body: String, pki: URL) throws -> (status: Int, body: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = [
            "-s", "-m", "5", "--cacert", pki.appendingPathComponent("ca.crt").path,
            "--cert", pki.appendingPathComponent("kube-apiserver-authz-client.crt").path,
            "--key", pki.appendingPathComponent("kube-apiserver-authz-client.key").path,
            "-H", "content-type: application/json", "--data-binary", body, "-w", "\n%{http_code}", url,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    /// SIGHUP re-reads the configuration file (as `Deploy/config.example.yaml` and
    /// `docs/deploy.md` promise): a new `defaultDecision` and a revoked caller apply at once; a
    /// changed `listen` is logged as needing a restart and the old address keeps serving; a file
    /// that no longer loads keeps the configuration in force.
    @Test func sighupAppliesTheReReadConfiguration() throws {
        let directory = try makeTemporaryDirectory("serve-reload")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pki = try Self.makeCertificates(in: directory)
        let listener = try NotifyListener(directory: directory)
        let root = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let port = Self.freePort()
        let configPath = directory.appendingPathComponent("config.yaml").path
        func writeConfiguration(defaultDecision: String, caller: String, listenPort: Int) throws {
            try Self.configuration(
                port: listenPort, pki: pki, caller: caller, policies: root.appendingPathComponent("Policies/control-plane").path,
                extra: "defaultDecision: \(defaultDecision)"
            ).write(toFile: configPath, atomically: true, encoding: .utf8)
        }
        try writeConfiguration(defaultDecision: "NoOpinion", caller: "kube-apiserver-authz-client", listenPort: port)
        let logPath = directory.appendingPathComponent("serve.log").path
        try #require(FileManager.default.createFile(atPath: logPath, contents: nil))
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let process = try serve(
            config: configPath, listener: listener, arguments: ["--no-watch", "--shutdown-grace", "1s"], standardError: log)
        defer {
            kill(process.processIdentifier, SIGTERM)
            _ = waitForExit(process, seconds: 10)
        }
        try #require(listener.receive(for: 5).contains { $0.hasPrefix("READY=1") })
        let url = "https://127.0.0.1:\(port)/authorize"
        let review = #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"nobody","resourceAttributes":{"verb":"get","resource":"secrets","namespace":"x"}}}"#
        let before = try Self.post(url, review, pki: pki)
        #expect(before.status == 200)
        #expect(before.body.contains(#""allowed":false"#) && !before.body.contains("denied"), "\(before)")

        /// Sends SIGHUP and waits for the reload to finish (READY=1 after RELOADING=1).
        func reload() throws {
            kill(process.processIdentifier, SIGHUP)
            let messages = listener.receive(for: 2)
            try #require(messages.contains { $0.hasPrefix("RELOADING=1") } && messages.contains { $0.hasPrefix("READY=1") }, "\(messages)")
        }
        try writeConfiguration(defaultDecision: "Deny", caller: "kube-apiserver-authz-client", listenPort: port + 1)
        try reload()
        let denied = try Self.post(url, review, pki: pki)
        #expect(denied.status == 200)
        #expect(denied.body.contains(#""denied":true"#), "\(denied)")
        let logged = try String(contentsOfFile: logPath, encoding: .utf8)
        #expect(logged.contains("needs a restart") && logged.contains("listen"), "\(logged)")

        // A broken file keeps what is in force.
        try "kind: ServerConfiguration\nbogus: 1\n".write(toFile: configPath, atomically: true, encoding: .utf8)
        try reload()
        #expect(try Self.post(url, review, pki: pki).body.contains(#""denied":true"#))
        #expect(try String(contentsOfFile: logPath, encoding: .utf8).contains("configuration not reloaded"))

        // Revoking the caller takes effect without a restart.
        try writeConfiguration(defaultDecision: "Deny", caller: "someone-else", listenPort: port)
        try reload()
        #expect(try Self.post(url, review, pki: pki).status == 403)
    }

    /// A policy directory named by a configuration re-read on SIGHUP is watched from then on:
    /// a change in it reloads the policy without another signal (the watcher used to keep the
    /// start-up paths, so only SIGHUP could load the new directory's changes).
    @Test func aPolicyDirectoryGivenOnSIGHUPIsWatched() throws {
        let directory = try makeTemporaryDirectory("serve-rewatch")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pki = try Self.makeCertificates(in: directory)
        let listener = try NotifyListener(directory: directory)
        let port = Self.freePort()
        func policy(verbs: String) -> String {
            """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: reader}
            rules: [{apiGroups: [""], resources: [secrets], verbs: [\(verbs)]}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: reader}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
            subjects: [{kind: User, name: alice}]
            """
        }
        var policyDirectories: [String] = []
        for name in ["a", "b"] {
            let path = directory.appendingPathComponent(name).path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            try policy(verbs: "list").write(toFile: path + "/rbac.yaml", atomically: true, encoding: .utf8)
            policyDirectories.append(path)
        }
        let configPath = directory.appendingPathComponent("config.yaml").path
        func writeConfiguration(policies: String) throws {
            try Self.configuration(port: port, pki: pki, caller: "kube-apiserver-authz-client", policies: policies)
                .write(toFile: configPath, atomically: true, encoding: .utf8)
        }
        try writeConfiguration(policies: policyDirectories[0])
        let process = try serve(config: configPath, listener: listener, arguments: ["--shutdown-grace", "1s"])
        defer {
            kill(process.processIdentifier, SIGTERM)
            _ = waitForExit(process, seconds: 10)
        }
        try #require(listener.receive(for: 5).contains { $0.hasPrefix("READY=1") })
        let url = "https://127.0.0.1:\(port)/authorize"
        let review = #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"alice","resourceAttributes":{"verb":"get","resource":"secrets","namespace":"x"}}}"#
        #expect(try Self.post(url, review, pki: pki).body.contains(#""allowed":false"#))

        try writeConfiguration(policies: policyDirectories[1])
        kill(process.processIdentifier, SIGHUP)
        let messages = listener.receive(for: 2)
        try #require(messages.contains { $0.hasPrefix("READY=1") }, "\(messages)")
        // Only the new directory's change: no signal follows it.
        try policy(verbs: "list, get").write(toFile: policyDirectories[1] + "/rbac.yaml", atomically: true, encoding: .utf8)
        var allowed = false
        for _ in 0..<16 where !allowed {
            usleep(250_000)
            allowed = try Self.post(url, review, pki: pki).body.contains(#""allowed":true"#)
        }
        #expect(allowed, "the change in the directory named on SIGHUP was not loaded within 4 s")
    }
}
