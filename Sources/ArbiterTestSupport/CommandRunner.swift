public import Foundation

/// Runs the built `arbiter` executable, as a user would, and captures what it prints.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// The `arbiter` binary next to the test bundle (`swift test` builds it), or `$ARBITER_BIN`.
public func arbiterExecutable() -> String {
    if let path = ProcessInfo.processInfo.environment["ARBITER_BIN"] { return path }
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    // On Linux the runner is `<products>/ArbiterPackageTests.xctest`.
    while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("arbiter").path),
        directory.path != "/"
    {
        directory.deleteLastPathComponent()
    }
    return directory.appendingPathComponent("arbiter").path
}

/// Runs `arbiter` with `arguments` and optional standard input; waits at most `timeout` seconds.
public func runArbiter(_ arguments: [String], input: String? = nil, timeout: Double = 60) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: arbiterExecutable())
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    let stdin = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = stdin
    try process.run()
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()
    // Read both pipes concurrently so a chatty child cannot block on a full pipe.
    let group = DispatchGroup()
    nonisolated(unsafe) var outData = Data()
    nonisolated(unsafe) var errData = Data()
    group.enter()
    DispatchQueue.global().async {
        outData = out.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    group.enter()
    DispatchQueue.global().async {
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    if group.wait(timeout: .now() + timeout) == .timedOut {
        process.terminate()
        throw CommandTimeout(arguments: arguments)
    }
    process.waitUntilExit()
    return CommandResult(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self))
}

public struct CommandTimeout: Error, CustomStringConvertible {
    public var arguments: [String]
    public var description: String { "arbiter \(arguments.joined(separator: " ")) did not finish in time" }
}

/// A fresh temporary directory for one test.
public func makeTemporaryDirectory(_ name: String = "arbiter-test") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
