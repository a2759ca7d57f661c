import ArgumentParser

/// `arbiter`: the Kubernetes authorization webhook and its tools, in one binary.
@main
struct ArbiterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arbiter",
        abstract: "A Kubernetes SubjectAccessReview webhook with exact RBAC semantics, explicit deny and policy tooling.",
        discussion: """
            Exit codes of the decision commands (check, can-i, explain): 0 allowed, 2 denied, \
            3 no opinion, 1 on an error. Every subcommand exits 64 on a usage error (an unknown option, \
            a bad value).
            """,
        version: ArbiterVersion.current,
        subcommands: [
            ServeCommand.self, CheckCommand.self, CanICommand.self, ExplainCommand.self, ValidateCommand.self,
            TestCommand.self, KubeletReviewCommand.self, WhoCanCommand.self, DiffCommand.self, LintCommand.self, AccessCommand.self, ReplayCommand.self,
        ]
    )

    static func main() {
        Self.main(Self.attachingKubectlShortValues(Array(CommandLine.arguments.dropFirst())))
    }

    /// kubectl (pflag) reads a short option's value attached to it: `-ndev` and `-n=dev` are
    /// `-n dev`. The commands with kubectl's `-n` get the same reading; nothing after `--`
    /// changes, and no other command's arguments are touched.
    static func attachingKubectlShortValues(_ arguments: [String]) -> [String] {
        guard let command = arguments.first, ["can-i", "explain", "who-can", "access"].contains(command) else {
            return arguments
        }
        var result = [command]
        var rest = arguments.dropFirst()
        while let argument = rest.popFirst() {
            if argument == "--" {
                result.append(argument)
                result.append(contentsOf: rest)
                break
            }
            if argument.utf8.count > 2, argument.hasPrefix("-n"), !argument.hasPrefix("--") {
                let value = argument.dropFirst(2)
                result += ["-n", String(value.hasPrefix("=") ? value.dropFirst() : value)]
            } else {
                result.append(argument)
            }
        }
        return result
    }
}

enum ArbiterVersion {
    static let current = "0.1.0"
}
