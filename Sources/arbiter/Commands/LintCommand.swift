import ArbiterPolicy
import ArgumentParser

/// `arbiter lint`: risky grants and mistakes in a policy, with file:line.
struct LintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Find risky grants, rules that never match, missing roles and shadowed AccessPolicies.",
        discussion: """
            Examples:
              arbiter lint policies/
              arbiter lint policies/ --fail-on critical --exclude pod-exec --exclude-object ClusterRole/cluster-admin
              arbiter lint policies/ -o json
            Rule ids:
            \(PolicyLint.rules.map { "  \($0.id) (\($0.severity.rawValue)): \($0.summary)" }.joined(separator: "\n"))
            Exit code 1 when a finding is at or above --fail-on (default: never), 2 on a policy error.
            """)

    @Argument(help: ArgumentHelp("Policy files or directories.", valueName: "path"))
    var paths: [String]

    @Option(help: ArgumentHelp("Skip a rule id. Repeat for several.", valueName: "rule-id"))
    var exclude: [String] = []

    @Option(help: ArgumentHelp("Skip an object: KIND/NAME (every namespace) or KIND/NAMESPACE/NAME. Repeat for several.", valueName: "object"))
    var excludeObject: [String] = []

    @Option(help: ArgumentHelp("Exit 1 when a finding has this severity or higher: info, warning, critical or none.", valueName: "severity"))
    var failOn: String = "none"

    @Option(name: [.short, .customLong("output")], help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one policy path") }
        if failOn != "none" && LintFinding.Severity(rawValue: failOn) == nil {
            throw ValidationError("`--fail-on` takes info, warning, critical or none")
        }
        let known = Set(PolicyLint.rules.map(\.id))
        for id in exclude where !known.contains(id) { throw ValidationError("unknown rule id `\(id)`") }
    }

    func run() throws {
        let loaded = PolicySourceReader.load(paths: paths)
        if !loaded.errors.isEmpty {
            for error in loaded.errors { Console.error(error.description) }
            throw ExitCode(2)
        }
        let excludedRules = Set(exclude)
        let excludedObjects = Set(excludeObject)
        // `Kind/name` also excludes namespaced objects of that kind and name in every namespace.
        func excluded(_ object: String) -> Bool {
            if excludedObjects.contains(object) { return true }
            let parts = object.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == 3 && excludedObjects.contains("\(parts[0])/\(parts[2])")
        }
        let findings = PolicyLint.lint(loaded.set).filter { !excludedRules.contains($0.rule) && !excluded($0.object) }
        switch output {
        case .table:
            for finding in findings {
                let location = finding.location.map { "\($0.file):\($0.line)" } ?? "-"
                Console.out("\(location): \(finding.severity.rawValue) [\(finding.rule)] \(finding.object): \(finding.message)")
            }
            let counts = LintFinding.Severity.allCases.reversed().map { s in "\(findings.count { $0.severity == s }) \(s.rawValue)" }
            Console.out(findings.isEmpty ? "No findings." : "\(findings.count) finding(s): " + counts.joined(separator: ", "))
        case .json, .yaml:
            Console.out(
                output.render(
                    .array(
                        findings.map { finding in
                            var fields: [(String, OutputValue)] = [
                                ("severity", .string(finding.severity.rawValue)), ("rule", .string(finding.rule)),
                                ("object", .string(finding.object)),
                            ]
                            if let location = finding.location {
                                fields += [("file", .string(location.file)), ("line", .int(location.line))]
                            }
                            fields.append(("message", .string(finding.message)))
                            return .object(fields)
                        })))
        }
        if let threshold = LintFinding.Severity(rawValue: failOn), findings.contains(where: { $0.severity >= threshold }) {
            throw ExitCode(1)
        }
    }
}
