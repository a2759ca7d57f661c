import ArbiterPolicy
import ArgumentParser

/// `--policy PATH...` and `--default-decision`, shared by the decision commands.
struct PolicyOptions: ParsableArguments {
    @Option(
        name: [.customLong("policy"), .customShort("p")],
        help: ArgumentHelp(
            "A policy file or directory (recursive: *.yaml, *.yml, *.json). Repeat for several.",
            valueName: "path"))
    var paths: [String] = []

    @Option(help: ArgumentHelp("What to answer when nothing allows or denies: NoOpinion or Deny.", valueName: "decision"))
    var defaultDecision: DefaultDecision = .noOpinion

    enum DefaultDecision: String, ExpressibleByArgument, CaseIterable {
        case noOpinion = "NoOpinion"
        case deny = "Deny"

        var decision: Decision { self == .deny ? .deny : .noOpinion }
    }

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one `--policy PATH`") }
    }

    /// Loads and compiles the policy, or prints every error (file:line:column) and fails with
    /// `errorExit` (1 for the decision commands; 2 where 1 means "something changed").
    func load(errorExit: Int32 = 1) throws -> CompiledPolicy {
        let loaded = PolicySourceReader.load(paths: paths)
        if !loaded.errors.isEmpty {
            for error in loaded.errors { Console.error(error.description) }
            Console.note("\(loaded.errors.count) error(s) in the policy; nothing was evaluated")
            throw ExitCode(errorExit)
        }
        return PolicyCompiler.compile(loaded.set)
    }
}

/// Exit codes of the decision commands: 0 allow, 2 deny, 3 no opinion.
extension Decision {
    var exitCode: ExitCode {
        switch self {
        case .allow: return .success
        case .deny: return ExitCode(2)
        case .noOpinion: return ExitCode(3)
        }
    }
}

/// `--as`, `--as-group`, `-n`, `--subresource` and kubectl's positional `VERB RESOURCE`.
struct RequestOptions: ParsableArguments {
    @Argument(help: "The verb (get, list, create, ..., or a lower-case HTTP method for a URL).")
    var verb: String

    @Argument(help: "RESOURCE, RESOURCE.GROUP, RESOURCE/NAME, or a non-resource URL starting with `/`.")
    var target: String

    @Option(name: [.short, .customLong("namespace")], help: "The namespace (default: none, i.e. cluster-wide).")
    var namespace: String = ""

    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "Ask across all namespaces (namespace \"\").")
    var allNamespaces = false

    @Option(help: "A subresource (log, status, scale, ...).")
    var subresource: String = ""

    @Option(name: .customLong("as"), help: "The user to ask about.")
    var user: String

    @Option(name: .customLong("as-group"), help: "A group of the user. Repeat for several.")
    var groups: [String] = []

    @Flag(help: Impersonation.noImplicitGroupsHelp)
    var noImplicitGroups = false

    func validate() throws {
        if allNamespaces && !namespace.isEmpty { throw ValidationError("`-n` and `-A` exclude each other") }
        _ = try self.request()
    }

    func request() throws -> AccessRequest {
        do {
            return try KubectlArguments.request(
                verb: verb, target: target, namespace: allNamespaces ? "" : namespace, subresource: subresource,
                user: user, groups: Impersonation.groups(user: user, groups: groups, implicit: !noImplicitGroups))
        } catch {
            throw ValidationError(error.description)
        }
    }
}

/// kubectl's `--as`: kube-apiserver adds groups to an impersonated user, and so does the CLI.
enum Impersonation {
    static let noImplicitGroupsHelp = noImplicitGroupsHelp(option: "--as-group")

    /// The help of `--no-implicit-groups` for a command whose group option is `option`.
    static func noImplicitGroupsHelp(option: String) -> ArgumentHelp {
        ArgumentHelp(
            "Ask about exactly the \(option) groups.",
            discussion: """
                By default the groups are those kube-apiserver gives `kubectl --as`: a service account's \
                own groups when no \(option) is given, and system:authenticated (system:unauthenticated \
                for system:anonymous).
                """)
    }

    static func groups(user: String, groups: [String], implicit: Bool) -> [String] {
        implicit ? KubectlArguments.impersonatedGroups(user: user, groups: groups) : groups
    }
}
