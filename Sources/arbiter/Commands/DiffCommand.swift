import ArbiterPolicy
import ArbiterReview
import ArgumentParser

/// `arbiter diff`: what a policy change grants and takes away.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two policies: permissions gained and lost per subject, and changed decisions.",
        discussion: """
            Examples:
              arbiter diff --policy old/ --against new/
              arbiter diff --policy old/ --against new/ --reviews recorded.jsonl
            Every binding's role rules are expanded to (subject, scope, verb, apiGroup, resource, name) \
            tuples and compared; wildcards stay as written. With --reviews (JSON Lines \
            SubjectAccessReviews), every review whose decision changes is listed with both reasons. \
            Exit code 0 when nothing changes, 1 when something does, 2 on an error.
            """)

    @Option(name: .customLong("policy"), help: ArgumentHelp("The old policy (file or directory). Repeat for several.", valueName: "path"))
    var old: [String] = []

    @Option(name: .customLong("against"), help: ArgumentHelp("The new policy (file or directory). Repeat for several.", valueName: "path"))
    var new: [String] = []

    @Option(help: ArgumentHelp("SubjectAccessReviews, one JSON object per line, to evaluate under both (`-`: standard input).", valueName: "file"))
    var reviews: String?

    @Option(help: ArgumentHelp("What to answer when nothing allows or denies: NoOpinion or Deny.", valueName: "decision"))
    var defaultDecision: PolicyOptions.DefaultDecision = .noOpinion

    @Option(name: [.short, .customLong("output")], help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    func validate() throws {
        if old.isEmpty || new.isEmpty { throw ValidationError("give `--policy OLD` and `--against NEW`") }
    }

    /// Loads a policy or exits with 2 (1 means "changed").
    static func load(_ paths: [String]) throws -> CompiledPolicy {
        let loaded = PolicySourceReader.load(paths: paths)
        if !loaded.errors.isEmpty {
            for error in loaded.errors { Console.error(error.description) }
            throw ExitCode(2)
        }
        return PolicyCompiler.compile(loaded.set)
    }

    struct ChangedReview {
        var line: Int
        var request: AccessRequest
        var old: AuthorizationResult
        var new: AuthorizationResult
    }

    /// Evaluates every review line under both policies; returns the changed ones and the count read.
    static func changedReviews(
        _ bytes: [UInt8], old: CompiledPolicy, new: CompiledPolicy, defaultDecision: Decision
    ) -> (changed: [ChangedReview], total: Int, errors: Int) {
        var changed: [ChangedReview] = []
        var total = 0
        var errors = 0
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            lineNumber += 1
            let line = Array(bytes[start..<end])
            start = end + 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            total += 1
            let review: SubjectAccessReview
            do {
                review = try SubjectAccessReview.decode(line)
            } catch {
                errors += 1
                Console.warning("line \(lineNumber): \(error)")
                continue
            }
            let request = review.accessRequest()
            let a = old.authorize(request, defaultDecision: defaultDecision)
            let b = new.authorize(request, defaultDecision: defaultDecision)
            if a.decision != b.decision { changed.append(ChangedReview(line: lineNumber, request: request, old: a, new: b)) }
        }
        return (changed, total, errors)
    }

    static func describe(_ request: AccessRequest) -> String {
        var who = request.user
        if !request.groups.isEmpty { who += " [" + request.groups.joined(separator: ",") + "]" }
        return "\(who): \(WhoCanCommand.describe(request))"
    }

    func run() throws {
        let before = try Self.load(old)
        let after = try Self.load(new)
        let diff: PolicyDiff
        do {
            diff = try PolicyDiff.compare(before, after)
        } catch {
            Console.error("\(error)")
            throw ExitCode(2)
        }
        var changed: [ChangedReview] = []
        var total = 0
        if let reviews {
            let bytes: [UInt8]
            do { bytes = try Console.readInput(reviews) } catch {
                Console.error("\(error)")
                throw ExitCode(2)
            }
            let outcome = Self.changedReviews(bytes, old: before, new: after, defaultDecision: defaultDecision.decision)
            changed = outcome.changed
            total = outcome.total
            // A review file none of whose lines could be read (a decision log given by mistake,
            // say) must not read as "no decision changes".
            if outcome.errors > 0 && outcome.errors == outcome.total {
                Console.error("none of the \(outcome.total) line(s) of `\(reviews)` is a SubjectAccessReview")
                throw ExitCode(2)
            }
        }
        switch output {
        case .table: printText(diff, changed: changed, total: total)
        case .json, .yaml: Console.out(output.render(value(diff, changed: changed, total: total)))
        }
        if !diff.isEmpty || !changed.isEmpty { throw ExitCode(1) }
    }

    private func printText(_ diff: PolicyDiff, changed: [ChangedReview], total: Int) {
        if diff.subjects.isEmpty && diff.accessPolicies.isEmpty {
            Console.out("No permission changes.")
        }
        for change in diff.subjects {
            Console.out("\(change.subject):")
            for permission in change.gained { Console.out("  + \(permission)") }
            for permission in change.lost { Console.out("  - \(permission)") }
        }
        for change in diff.accessPolicies {
            Console.out("AccessPolicy \(change.name): \(change.kind.rawValue)")
            if let old = change.old { Console.out("  - \(old)") }
            if let new = change.new { Console.out("  + \(new)") }
        }
        if reviews != nil {
            Console.out("")
            Console.out("Reviews: \(changed.count) of \(total) change decision")
            for review in changed {
                Console.out("  line \(review.line): \(Self.describe(review.request))")
                Console.out("    old: \(ReplayCommand.label(review.old.decision))\(review.old.reason.isEmpty ? "" : " - " + review.old.reason)")
                Console.out("    new: \(ReplayCommand.label(review.new.decision))\(review.new.reason.isEmpty ? "" : " - " + review.new.reason)")
            }
        }
    }

    private func value(_ diff: PolicyDiff, changed: [ChangedReview], total: Int) -> OutputValue {
        var fields: [(String, OutputValue)] = [
            (
                "subjects",
                .array(
                    diff.subjects.map { change in
                        .object([
                            ("subject", .string(change.subject.description)),
                            ("gained", .array(change.gained.map { .string($0.description) })),
                            ("lost", .array(change.lost.map { .string($0.description) })),
                        ])
                    })
            ),
            (
                "accessPolicies",
                .array(
                    diff.accessPolicies.map { change in
                        var f: [(String, OutputValue)] = [("name", .string(change.name)), ("change", .string(change.kind.rawValue))]
                        if let old = change.old { f.append(("old", .string(old))) }
                        if let new = change.new { f.append(("new", .string(new))) }
                        return .object(f)
                    })
            ),
        ]
        if reviews != nil {
            fields.append(("reviewsRead", .int(total)))
            fields.append(
                (
                    "changedReviews",
                    .array(
                        changed.map { review in
                            .object([
                                ("line", .int(review.line)), ("request", .string(Self.describe(review.request))),
                                ("oldDecision", .string(ReplayCommand.label(review.old.decision))), ("oldReason", .string(review.old.reason)),
                                ("newDecision", .string(ReplayCommand.label(review.new.decision))), ("newReason", .string(review.new.reason)),
                            ])
                        })
                ))
        }
        return .object(fields)
    }
}
