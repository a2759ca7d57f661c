import ArbiterPolicy
import ArbiterReview
import ArgumentParser

/// `arbiter check`: evaluate SubjectAccessReviews offline, exactly as the server would.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Evaluate SubjectAccessReviews (one JSON document, or JSON Lines) against a policy.",
        discussion: """
            Prints each answer as one JSON line, in the request's apiVersion. For a single review the \
            exit code is 0 allowed, 2 denied, 3 no opinion; for several, 0 unless an input line is bad. \
            Errors name the policy file:line:column or the input line.
            """)

    @OptionGroup var policy: PolicyOptions

    @Option(name: [.short, .long], help: ArgumentHelp("Read reviews from this file instead of standard input (`-`: standard input).", valueName: "file"))
    var input: String?

    func run() throws {
        let compiled = try policy.load()
        let bytes = try readInputOrFail()
        let reviews = try Self.parseReviews(bytes)
        var lastDecision = Decision.noOpinion
        for (line, review) in reviews {
            switch review {
            case .success(let review):
                let result = compiled.authorize(review.accessRequest(), defaultDecision: policy.defaultDecision.decision)
                lastDecision = result.decision
                Console.out(bytes: review.encodeResponse(result: result))
            case .failure(let error):
                Console.error("input line \(line): \(error)")
                if error.code == .unexpectedKind, "\(error)".contains("`SelfSubjectAccessReview`") {
                    Console.note("a SelfSubjectAccessReview asks about its caller; offline, ask `arbiter can-i ... --as USER`")
                }
                throw ExitCode(1)
            }
        }
        if reviews.count == 1 { throw lastDecision.exitCode }
    }

    private func readInputOrFail() throws -> [UInt8] {
        do {
            return try Console.readInput(input)
        } catch {
            Console.error("\(error)")
            throw ExitCode(1)
        }
    }

    /// One review (pretty or compact, possibly over many lines), or JSON Lines: one review per
    /// non-empty line. A document whose first line is a complete review is read as JSON Lines,
    /// and so is one whose first line is a complete JSON value followed by more lines: that line
    /// is then a bad review, reported with its own error rather than as data after the value.
    static func parseReviews(_ bytes: [UInt8]) throws -> [(line: Int, review: Result<SubjectAccessReview, ReviewDecodingError>)] {
        var lines: [(number: Int, bytes: ArraySlice<UInt8>)] = []
        var start = 0
        var number = 1
        for (i, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            lines.append((number, bytes[start..<i]))
            start = i + 1
            number += 1
        }
        if start < bytes.count { lines.append((number, bytes[start...])) }
        let nonEmpty = lines.filter { !$0.bytes.allSatisfy(Self.isSpace) }
        guard let first = nonEmpty.first else { throw CLIError("the input holds no review") }
        let jsonLines = nonEmpty.map { line in
            (line.number, Result { () throws(ReviewDecodingError) in try Self.decodeReview(Array(line.bytes)) })
        }
        if nonEmpty.count > 1, case .success = jsonLines[0].1 { return jsonLines }
        let document = Result { () throws(ReviewDecodingError) in try Self.decodeReview(bytes) }
        // The document's first JSON value ended on its first line (only blanks up to what follows).
        if nonEmpty.count > 1, case .failure(let error) = document, error.code == .trailingData, let offset = error.offset,
            offset >= first.bytes.endIndex, bytes[first.bytes.endIndex..<offset].allSatisfy(Self.isSpace)
        {
            return jsonLines
        }
        return [(first.number, document)]
    }

    /// A SubjectAccessReview, or a LocalSubjectAccessReview (validated against its own namespace,
    /// as the server's REST path does). A SelfSubjectAccessReview asks about its caller, which an
    /// offline check does not have: it is refused (`can-i --as` asks the same question).
    static func decodeReview(_ bytes: [UInt8]) throws(ReviewDecodingError) -> SubjectAccessReview {
        let review = try SubjectAccessReview(json: bytes)
        let kind: ReviewKind = ReviewKind(exactly: review.kind) == .localSubjectAccessReview ? .localSubjectAccessReview : .subjectAccessReview
        try review.validate(expecting: kind)
        return review
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
