import Foundation
import ArbiterPosix

/// The test PKI, generated once per test process with the `openssl` CLI into a temporary directory
/// (by `Benchmarks/make-test-pki.sh`, which the benchmark script uses too).
enum TestPKI {
    private static let generated = LockedValue<String?>(nil)

    /// The directory holding `ca.crt`, `server.crt`, `client.crt`, ... (see the script's header).
    static var directory: String {
        get throws {
            try self.generated.withLock { directory in
                if let directory { return directory }
                let path = NSTemporaryDirectory() + "arbiter-pki-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
                let script = URL(fileURLWithPath: #filePath)
                    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                    .deletingLastPathComponent().appendingPathComponent("Benchmarks/make-test-pki.sh").path
                let status = try ProcessRunner.run("/bin/sh", [script, path], timeout: 60).status
                guard status == 0 else { throw TestFailure("make-test-pki.sh exited with \(status)") }
                directory = path
                return path
            }
        }
    }

    static func path(_ name: String) throws -> String { try self.directory + "/" + name }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs a child process with a time bound, capturing stdout and stderr.
enum ProcessRunner {
    struct Output {
        var status: Int32
        var stdout: Data
        var stderr: String
    }

    static func run(_ executable: String, _ arguments: [String], stdin: Data? = nil, timeout: Double = 20) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try? input.fileHandleForWriting.close()
        let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        killer.cancel()
        return Output(status: process.terminationStatus, stdout: stdout, stderr: String(decoding: stderr, as: UTF8.self))
    }
}
