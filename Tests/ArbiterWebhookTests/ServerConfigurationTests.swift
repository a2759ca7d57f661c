import Glibc
import Testing

@testable import ArbiterWebhook

/// The configuration file's transport tuning (`busyPoll`, `limits.http2ResponsesPerWrite`) and the
/// shipped example.
@Suite struct ServerConfigurationTests {
    /// Writes `text` to a fresh temporary file and returns its path.
    static func file(_ text: String) throws -> String {
        var template = Array("/tmp/arbiter-config-XXXXXX.yaml".utf8CString)
        let fd = mkstemps(&template, 5)
        try #require(fd >= 0)
        defer { close(fd) }
        let bytes = Array(text.utf8)
        try #require(write(fd, bytes, bytes.count) == bytes.count)
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    @Test func durationsTakeMicroseconds() throws {
        #expect(try ServerConfiguration.parseDuration("200us") == .microseconds(200))
        #expect(try ServerConfiguration.parseDuration("150µs") == .microseconds(150))
        #expect(try ServerConfiguration.parseDuration("1ms500us") == .microseconds(1_500))
        #expect(try ServerConfiguration.parseDuration("0s") == .zero)
        #expect(throws: (any Error).self) { try ServerConfiguration.parseDuration("200ns") }
    }

    /// A huge value is an error naming it, not an arithmetic overflow that kills the process.
    @Test(arguments: ["9999999999999999h", "999999999999999999m", "25h", "24h1s", "90000s", "86400001ms", "1441m"])
    func durationsOverADayAreRefused(_ text: String) {
        #expect {
            try ServerConfiguration.parseDuration(text)
        } throws: { error in
            "\(error)".contains("too long (at most 24h)")
        }
    }

    @Test func durationsUpToADayAreAccepted() throws {
        #expect(try ServerConfiguration.parseDuration("24h") == .seconds(86_400))
        #expect(try ServerConfiguration.parseDuration("23h59m59s") == .seconds(86_399))
        #expect(try ServerConfiguration.parseDuration("1440m") == .seconds(86_400))
    }

    @Test func aHugeDurationInTheFileIsAnErrorWithItsLine() throws {
        let path = try Self.file("timeouts:\n  idle: 999999999999999999m\n")
        defer { unlink(path) }
        #expect {
            try ServerConfiguration.load(file: path)
        } throws: { error in
            "\(error)".contains(":2:") && "\(error)".contains("too long")
        }
    }

    /// A timer of zero fires at once: `handshake: 0s` refused every connection while the
    /// health endpoints answered ready.
    @Test(arguments: ["handshake", "requestHeader", "requestBody", "request", "idle"])
    func zeroTimeoutsAreAProblem(_ name: String) throws {
        let path = try Self.file("timeouts:\n  \(name): 0s\n")
        defer { unlink(path) }
        let configuration = try ServerConfiguration.load(file: path)
        #expect(configuration.problems().contains("`timeouts.\(name)` must be longer than 0s"))
        #expect(!ServerConfiguration().problems().contains { $0.contains("timeouts.") })
    }

    /// `shutdownGrace` is the one timer that may be 0s: it waits for nothing, so nothing fires early.
    @Test func zeroShutdownGraceIsAllowed() throws {
        let path = try Self.file("timeouts:\n  shutdownGrace: 0s\n")
        defer { unlink(path) }
        let configuration = try ServerConfiguration.load(file: path)
        #expect(configuration.shutdownGrace == .zero)
        #expect(!configuration.problems().contains { $0.contains("shutdownGrace") })
    }

    /// A listen address that does not parse is found by `validate --config`, not first by `serve`.
    @Test func unparsableListenAddressesAreAProblem() throws {
        var configuration = ServerConfiguration()
        configuration.listen = ["127.0.0.1:8443", "nonsense", "127.0.0.1:99999", "[::1]:8443"]
        let problems = configuration.keyedProblems().filter { $0.key == "listen" }.map(\.message)
        #expect(problems.count == 2, "\(problems)")
        #expect(problems.contains { $0.contains("`nonsense` is not host:port") })
        #expect(problems.contains { $0.contains("`127.0.0.1:99999` is not host:port") })
    }

    @Test func defaultsPollAndAnswerInBursts() {
        let configuration = ServerConfiguration()
        #expect(configuration.busyPoll == .microseconds(200))
        #expect(configuration.http2ResponsesPerWrite == 32)
    }

    @Test func busyPollAndBurstSizeComeFromTheFile() throws {
        let path = try Self.file("busyPoll: 50us\nlimits:\n  http2ResponsesPerWrite: 4\n")
        defer { unlink(path) }
        let configuration = try ServerConfiguration.load(file: path)
        #expect(configuration.busyPoll == .microseconds(50))
        #expect(configuration.http2ResponsesPerWrite == 4)
        #expect(!configuration.problems().contains { $0.contains("busyPoll") || $0.contains("ResponsesPerWrite") })
    }

    @Test func outOfRangeTuningIsAProblem() throws {
        var configuration = ServerConfiguration()
        configuration.busyPoll = .milliseconds(5)
        configuration.http2ResponsesPerWrite = 0
        let problems = configuration.problems()
        #expect(problems.contains { $0.contains("`busyPoll` (--busy-poll) is 5000us; it must be at most 1ms") })
        #expect(problems.contains { $0.contains("`limits.http2ResponsesPerWrite` must be positive") })
        let path = try Self.file("busyPoll: fast\n")
        defer { unlink(path) }
        #expect(throws: (any Error).self) { try ServerConfiguration.load(file: path) }
    }

    @Test func allowLockoutComesFromTheFileAsABoolean() throws {
        for (text, expected) in [("allowLockout: true\n", true), ("allowLockout: false\n", false), ("{}\n", false)] {
            let path = try Self.file(text)
            defer { unlink(path) }
            #expect(try ServerConfiguration.load(file: path).allowLockout == expected)
        }
        // YAML 1.1 booleans and strings are not booleans here.
        for text in ["allowLockout: yes\n", "allowLockout: \"true\"\n", "allowLockout: [true]\n"] {
            let path = try Self.file(text)
            defer { unlink(path) }
            #expect {
                try ServerConfiguration.load(file: path)
            } throws: { error in
                "\(error)".contains("`allowLockout` must be `true` or `false`")
            }
        }
    }

    @Test func decisionLogRotationIsOffUnlessConfigured() throws {
        #expect(ServerConfiguration().decisionLogMaxSize == 0)
        let path = try Self.file("decisionLog:\n  path: /tmp/d.jsonl\n  maxSize: 1048576\n  maxFiles: 3\n")
        defer { unlink(path) }
        let configuration = try ServerConfiguration.load(file: path)
        #expect(configuration.decisionLogMaxSize == 1_048_576)
        #expect(configuration.decisionLogMaxFiles == 3)
    }

    /// Keys a reload cannot apply are named, so the operator learns that a restart is needed.
    @Test func decisionLogRotationChangesNeedARestart() {
        var next = ServerConfiguration()
        next.decisionLogMaxSize = 1 << 20
        next.decisionLogMaxFiles = 2
        let ignored = WebhookServer.restartOnlyChanges(from: ServerConfiguration(), to: next)
        #expect(ignored.contains("decisionLog.maxSize"))
        #expect(ignored.contains("decisionLog.maxFiles"))
    }

    /// What a reload applies, which is also what the file watcher watches after it: new policy
    /// and TLS paths; shadow policies only when there were some at start and still are.
    @Test func aReloadAppliesShadowPoliciesOnlyWhereAShadowStoreExists() {
        var live = ServerConfiguration()
        live.policies = ["/a"]
        live.shadowPolicies = ["/shadow-a"]
        var next = live
        next.policies = ["/b"]
        next.shadowPolicies = ["/shadow-b"]
        next.tlsCert = "/new.crt"
        next.listen = ["127.0.0.1:1"]  // restart-only: kept
        let withShadow = WebhookServer.applying(next, to: live, hasShadow: true)
        #expect(withShadow.policies == ["/b"] && withShadow.shadowPolicies == ["/shadow-b"] && withShadow.tlsCert == "/new.crt")
        #expect(withShadow.listen == live.listen)
        // Removed from the file: the server keeps its shadow policies (and keeps watching them).
        next.shadowPolicies = []
        #expect(WebhookServer.applying(next, to: live, hasShadow: true).shadowPolicies == ["/shadow-a"])
        // Added when the server started without any: not applied, so not watched.
        live.shadowPolicies = []
        next.shadowPolicies = ["/shadow-b"]
        #expect(WebhookServer.applying(next, to: live, hasShadow: false).shadowPolicies.isEmpty)
    }

    @Test func theShippedExampleLoadsWithItsDocumentedDefaults() throws {
        let root = String(#filePath).split(separator: "/").dropLast(3).joined(separator: "/")
        let configuration = try ServerConfiguration.load(file: "/" + root + "/Deploy/config.example.yaml")
        #expect(configuration.busyPoll == ServerConfiguration().busyPoll)
        #expect(configuration.http2ResponsesPerWrite == ServerConfiguration().http2ResponsesPerWrite)
        #expect(configuration.allowLockout == ServerConfiguration().allowLockout)
        #expect(configuration.decisionLogMaxSize == ServerConfiguration().decisionLogMaxSize)
        #expect(configuration.decisionLogMaxFiles == ServerConfiguration().decisionLogMaxFiles)
    }
}
