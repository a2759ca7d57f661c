import ArbiterPolicy
import ArgumentParser

/// `arbiter test`: run policy test files.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run policy tests (*.test.yaml files of kind PolicyTest) and report each case.",
        discussion: """
            Each test file names its policies (relative to the file) and lists reviews with the \
            expected decision and, optionally, the exact reason. Prints a line per case and a final \
            `N passed, N failed`; exit code 0 when everything passed, 1 otherwise.
            """)

    @Argument(help: "Test files, or directories searched recursively for *.test.yaml.")
    var paths: [String]

    @Flag(name: [.short, .long], help: "Print only failures and the summary.")
    var quiet = false

    func run() throws {
        var files: [String] = []
        for path in paths {
            do {
                let found = try PolicySourceReader.policyFiles(at: path)
                files += found.filter { $0 == path || $0.hasSuffix(".test.yaml") || $0.hasSuffix(".test.yml") }
            } catch {
                Console.error(error.description)
                throw ExitCode(1)
            }
        }
        if files.isEmpty {
            Console.error("no *.test.yaml files under \(paths.joined(separator: ", "))")
            throw ExitCode(1)
        }
        var passed = 0
        var failed = 0
        for file in files {
            let tests: [PolicyTestFile]
            do {
                tests = try PolicyTestFile.parse(try PolicySourceReader.readFile(file, limit: 16 << 20), file: file)
            } catch {
                Console.out("FAIL \(file): \(error)")
                failed += 1
                continue
            }
            if tests.allSatisfy({ $0.cases.isEmpty }) {
                Console.out("FAIL \(file): no test cases")
                failed += 1
                continue
            }
            let directory = file.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            for test in tests {
                let policyPaths = test.policies.map { $0.hasPrefix("/") || directory.isEmpty ? $0 : directory + "/" + $0 }
                let loaded = PolicySourceReader.load(paths: policyPaths)
                if !loaded.errors.isEmpty {
                    for error in loaded.errors { Console.out("FAIL \(file): policy error: \(error)") }
                    failed += test.cases.count
                    continue
                }
                let policy = PolicyCompiler.compile(loaded.set)
                for testCase in test.cases {
                    let result = policy.authorize(testCase.request, defaultDecision: test.defaultDecision)
                    var problems: [String] = []
                    if result.decision != testCase.expect {
                        problems.append("expected \(Self.name(testCase.expect)), got \(Self.name(result.decision))")
                    }
                    if let reason = testCase.reason, !reason.bytesEqual(result.reason) {
                        problems.append("expected reason `\(reason)`")
                    }
                    if problems.isEmpty {
                        passed += 1
                        if !quiet { Console.out("PASS \(testCase.location.file):\(testCase.location.line): \(testCase.name)") }
                    } else {
                        failed += 1
                        let got = result.reason.isEmpty ? "" : " (reason: `\(result.reason)`)"
                        Console.out("FAIL \(testCase.location): \(testCase.name): \(problems.joined(separator: "; "))\(got)")
                    }
                }
            }
        }
        Console.out("\(passed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode(1) }
    }

    static func name(_ decision: Decision) -> String {
        switch decision {
        case .allow: return "Allow"
        case .deny: return "Deny"
        case .noOpinion: return "NoOpinion"
        }
    }
}
