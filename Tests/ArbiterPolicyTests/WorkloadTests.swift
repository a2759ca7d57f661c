import ArbiterPolicy
import ArbiterReview
import ArbiterTestSupport
import Foundation
import Testing

/// The generated benchmark workload (`shared/bench/rbacgen.py small`): every decision must agree
/// with the generator's expected answers and with the reference evaluator.
struct WorkloadTests {
    static func generate(_ size: String) throws -> URL {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("arbiter-workload-\(size)-\(getpid())")
        try? FileManager.default.removeItem(at: out)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", sharedDirectory() + "/bench/rbacgen.py", size, "--out", out.path]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "rbacgen.py failed")
        return out
    }

    /// The workload's reviews through the real codec.
    static func requests(_ url: URL) throws -> [AccessRequest] {
        let text = try String(contentsOf: url.appendingPathComponent("requests.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            try SubjectAccessReview.decode(Array(line.utf8)).accessRequest()
        }
    }

    @Test func smallWorkloadMatchesExpectedAndReference() throws {
        let dir = try Self.generate("small")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = Array(try Data(contentsOf: dir.appendingPathComponent("rbac.yaml")))
        let loaded = PolicyLoader.combine([PolicyLoader.load(bytes, file: "rbac.yaml")])
        #expect(loaded.errors.isEmpty, "\(loaded.errors)")
        let compiled = PolicyCompiler.compile(loaded.set)
        let reference = ReferenceEvaluator(loaded.set)
        let expected = try String(contentsOf: dir.appendingPathComponent("expected.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let requests = try Self.requests(dir)
        #expect(requests.count == 10_000)
        var agreeExpected = 0
        var agreeReference = 0
        for (request, want) in zip(requests, expected) {
            let result = compiled.authorize(request)
            if (result.decision == .allow) == (want == "allow") { agreeExpected += 1 }
            let ref = reference.authorize(request)
            if ref.decision == result.decision && ref.reason == result.reason { agreeReference += 1 }
        }
        #expect(agreeExpected == 10_000)
        #expect(agreeReference == 10_000)
    }
}
