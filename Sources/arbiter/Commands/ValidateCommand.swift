import ArbiterPolicy
import ArgumentParser

/// `arbiter validate`: load and compile policies, report every problem, summarise.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check policy files: every error with file:line:column, warnings, and a summary.",
        discussion: "Exit code 0 when the policy loads without errors, 1 otherwise.")

    @Argument(help: "Policy files or directories.")
    var positionalPaths: [String] = []

    @Option(name: [.customLong("policy"), .customShort("p")], help: "A policy file or directory. Repeat for several.")
    var paths: [String] = []

    func validate() throws {
        if positionalPaths.isEmpty && paths.isEmpty { throw ValidationError("give at least one policy path") }
    }

    func run() throws {
        let all = paths + positionalPaths
        let loaded = PolicySourceReader.load(paths: all)
        for error in loaded.errors { Console.error(error.description) }
        let compiled = PolicyCompiler.compile(loaded.set)
        let warnings = PolicyDiagnostics.warnings(for: compiled)
        for warning in warnings { Console.warning(warning) }
        let files = loaded.set.sourceCount
        Console.out("\(files) file(s): \(compiled.summary)")
        if !loaded.errors.isEmpty {
            Console.out("\(loaded.errors.count) error(s), \(warnings.count) warning(s)")
            throw ExitCode(1)
        }
        Console.out("ok: 0 errors, \(warnings.count) warning(s)")
    }
}
