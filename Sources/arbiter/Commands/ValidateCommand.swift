import ArbiterPolicy
import ArbiterWebhook
import ArgumentParser

/// `arbiter validate`: load and compile policies, report every problem, summarise.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check policy files: every error with file:line:column, warnings, and a summary.",
        discussion: """
            Exit code 0 when the policy loads without errors, 1 otherwise. A lock-out (a Deny that \
            would stop the control plane or the callers) is a warning, and an error with --config \
            unless the configuration sets allowLockout: what `arbiter serve` with it would refuse.
            """)

    @Argument(help: "Policy files or directories.")
    var positionalPaths: [String] = []

    @Option(name: [.customLong("policy"), .customShort("p")], help: "A policy file or directory. Repeat for several.")
    var paths: [String] = []

    @Option(help: ArgumentHelp("A server configuration file: check it, and the policies it names.", valueName: "file"))
    var config: String?

    func validate() throws {
        if positionalPaths.isEmpty && paths.isEmpty && config == nil {
            throw ValidationError("give at least one policy path, or --config FILE")
        }
    }

    func run() throws {
        var all = paths + positionalPaths
        var callers: [(user: String, groups: [String])] = []
        var lockoutIsError = false
        if let config {
            do {
                let configuration = try ServerConfiguration.load(file: config)
                let problems = configuration.problems().filter { !$0.hasPrefix("no server") && !$0.hasPrefix("no client CA") }
                for problem in problems { Console.error("\(config): \(problem)") }
                if !problems.isEmpty { throw ExitCode(1) }
                if all.isEmpty { all = configuration.policies }
                callers = configuration.callers.users.map { ($0, []) } + configuration.callers.groups.map { ("caller", [$0]) }
                lockoutIsError = !configuration.allowLockout
                Console.out("\(config): configuration ok")
            } catch let error as PolicyError {
                Console.error(error.description)
                throw ExitCode(1)
            }
        }
        let loaded = PolicySourceReader.load(paths: all)
        for error in loaded.errors { Console.error(error.description) }
        let compiled = PolicyCompiler.compile(loaded.set)
        var warnings = PolicyDiagnostics.warnings(for: compiled)
        var errorCount = loaded.errors.count
        for finding in LockoutGuard.findings(in: compiled, extraIdentities: callers) {
            if lockoutIsError {
                Console.error("lock-out: \(finding) (arbiter serve with this configuration refuses it; allowLockout: true accepts it)")
                errorCount += 1
            } else {
                warnings.append("lock-out: \(finding) (arbiter serve refuses this unless --allow-lockout)")
            }
        }
        for warning in warnings { Console.warning(warning) }
        let files = loaded.set.sourceCount
        Console.out("\(files) file(s): \(compiled.summary)")
        if errorCount > 0 {
            Console.out("\(errorCount) error(s), \(warnings.count) warning(s)")
            throw ExitCode(1)
        }
        Console.out("ok: 0 errors, \(warnings.count) warning(s)")
    }
}
