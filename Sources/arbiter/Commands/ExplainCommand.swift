import ArbiterPolicy
import ArbiterReview
import ArgumentParser

/// `arbiter explain`: why a request is allowed, denied or left without opinion.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain a decision: what decided it, or which bindings and rules came closest.",
        discussion: """
            Takes either can-i arguments (VERB RESOURCE --as USER ...) or `--input FILE` with one \
            SubjectAccessReview (`-` for standard input). Exit code as for can-i.
            """)

    @Argument(help: "The verb, as for can-i.")
    var verb: String?

    @Argument(help: "The resource or URL, as for can-i.")
    var target: String?

    @Option(name: [.short, .customLong("namespace")], help: "The namespace.")
    var namespace: String = ""

    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "Ask across all namespaces (namespace \"\").")
    var allNamespaces = false

    @Option(help: "A subresource.")
    var subresource: String = ""

    @Option(name: .customLong("as"), help: "The user to ask about.")
    var user: String?

    @Option(name: .customLong("as-group"), help: "A group of the user. Repeat for several.")
    var groups: [String] = []

    @Flag(help: Impersonation.noImplicitGroupsHelp)
    var noImplicitGroups = false

    @Option(name: [.short, .long, .customShort("f")], help: ArgumentHelp("A file with one SubjectAccessReview (`-`: standard input).", valueName: "file"))
    var input: String?

    @OptionGroup var policy: PolicyOptions

    func validate() throws {
        if input == nil && (verb == nil || target == nil || user == nil) {
            throw ValidationError("give VERB RESOURCE --as USER, or --input FILE")
        }
        if input != nil && (verb != nil || target != nil) {
            throw ValidationError("give either VERB RESOURCE or --input, not both")
        }
        if allNamespaces && !namespace.isEmpty { throw ValidationError("`-n` and `-A` exclude each other") }
        if input == nil { _ = try self.argumentsRequest() }
    }

    /// The request of VERB RESOURCE --as USER ..., as can-i builds it.
    private func argumentsRequest() throws -> AccessRequest {
        do {
            return try KubectlArguments.request(
                verb: verb!, target: target!, namespace: allNamespaces ? "" : namespace, subresource: subresource,
                user: user!, groups: Impersonation.groups(user: user!, groups: groups, implicit: !noImplicitGroups))
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        let compiled = try policy.load()
        let request: AccessRequest
        if let input {
            let bytes = try Console.readInput(input)
            do {
                request = try SubjectAccessReview.decode(bytes).accessRequest()
            } catch {
                let source = input == "-" ? "standard input" : input
                let lines = bytes.split(separator: UInt8(ascii: "\n")).filter { !$0.allSatisfy { $0 == 0x20 || $0 == 0x0D } }
                if lines.count > 1, lines.allSatisfy({ $0.first == UInt8(ascii: "{") && $0.last(where: { $0 != 0x0D }) == UInt8(ascii: "}") }) {
                    Console.error("\(source): explain takes one review, this looks like JSON Lines (\(lines.count) reviews); use `arbiter check` for many")
                } else {
                    Console.error("\(source): \(error)")
                }
                throw ExitCode(1)
            }
        } else {
            request = try argumentsRequest()
            for warning in KubectlArguments.warnings(for: request) { Console.note("warning: \(warning)") }
        }
        let explanation = compiled.explain(request, defaultDecision: policy.defaultDecision.decision)
        for line in ExplanationPrinter.lines(explanation, policy: compiled) { Console.out(line) }
        throw explanation.result.decision.exitCode
    }
}

/// Renders an ``Explanation`` as text for a terminal.
enum ExplanationPrinter {
    static func lines(_ explanation: Explanation, policy: CompiledPolicy) -> [String] {
        var out: [String] = []
        let request = explanation.request
        let who = "user `\(request.user)`" + (request.groups.isEmpty ? "" : " in groups [\(request.groups.joined(separator: ", "))]")
        switch request.attributes {
        case .resource(let r):
            let resource = r.subresource.isEmpty ? r.resource : r.resource + "/" + r.subresource
            let group = r.group.isEmpty ? "core" : r.group
            let name = r.name.isEmpty ? "" : " named `\(r.name)`"
            let scope = r.namespace.isEmpty ? "cluster-wide" : "in namespace `\(r.namespace)`"
            out.append("request: \(who) wants to `\(r.verb)` \(resource) (group \(group))\(name) \(scope)")
        case .nonResource(let n):
            out.append("request: \(who) wants to `\(n.verb)` the URL `\(n.path)`")
        }
        let result = explanation.result
        let decision = ["allow": "ALLOWED", "deny": "DENIED", "noOpinion": "NO OPINION"][result.decision.rawValue] ?? ""
        out.append("decision: \(decision)" + (result.reason.isEmpty ? "" : " — \(result.reason)"))
        if let error = result.evaluationError { out.append("evaluation error: \(error)") }
        if let source = result.source {
            out.append("decided by: \(policy.describe(source))")
            if case .binding(let match) = source {
                let binding = policy.bindings[match.binding]
                if let rules = policy.rules(ofRole: binding.roleRef.kind, namespace: binding.namespace, name: binding.roleRef.name),
                    match.rule < rules.count
                {
                    out.append("  rule \(match.rule): \(rules[match.rule])")
                }
            }
            if result.decision != .noOpinion, case .accessPolicy(let index, let rule) = source {
                out.append("  rule \(rule): \(policy.accessPolicies[index].rules[rule])")
            }
            if result.decision == .allow { return out }
        }
        if explanation.candidates.isEmpty && explanation.accessPolicies.isEmpty {
            out.append("no binding or AccessPolicy names this user or any of its groups")
            return out
        }
        if !explanation.candidates.isEmpty {
            out.append("bindings that name this subject:")
            for candidate in explanation.candidates {
                let binding = candidate.binding
                let scope = binding.kind == .roleBinding ? " in `\(binding.namespace)`" : ""
                let location = binding.location.map { " (\($0))" } ?? ""
                out.append("  \(binding.kind.rawValue) `\(binding.name)`\(scope)\(location) → \(binding.roleRef.kind.rawValue) `\(binding.roleRef.name)` via \(candidate.subject.kind.rawValue) `\(candidate.subject.name)`")
                if let problem = candidate.scopeProblem { out.append("    does not apply: \(problem)") }
                for rule in candidate.nearestRules {
                    out.append("    rule \(rule.index): \(rule.rule)")
                    for difference in rule.differences { out.append("      - \(difference)") }
                    if rule.differences.isEmpty { out.append("      - matches") }
                }
            }
        }
        if !explanation.accessPolicies.isEmpty {
            out.append("AccessPolicies that name this subject:")
            for candidate in explanation.accessPolicies {
                let location = candidate.policy.location.map { " (\($0))" } ?? ""
                out.append("  AccessPolicy `\(candidate.policy.name)` (\(candidate.policy.effect.rawValue))\(location)")
                if let problem = candidate.scopeProblem { out.append("    does not apply: \(problem)") }
                for rule in candidate.nearestRules {
                    out.append("    rule \(rule.index): \(rule.rule)")
                    for difference in rule.differences { out.append("      - \(difference)") }
                    if rule.differences.isEmpty { out.append("      - matches") }
                }
            }
        }
        return out
    }
}
