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
}

enum ArbiterVersion {
    static let current = "0.1.0"
}
