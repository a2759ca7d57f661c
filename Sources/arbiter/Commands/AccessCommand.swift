import ArbiterPolicy
import ArgumentParser

/// `arbiter access`: the access matrix of one subject, or the cells where two subjects differ.
struct AccessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "access",
        abstract: "Show what a subject may do: resources by verb, and non-resource URLs.",
        discussion: """
            Examples:
              arbiter access --as jane --as-group dev -n team-a -p policies/
              arbiter access --as system:serviceaccount:ci:deployer -n prod --diff-as system:serviceaccount:ci:viewer -p policies/
            Resources are every resource the policy's rules name plus common ones; every cell is a \
            real decision of the engine: yes, no, or DENY (an explicit Deny AccessPolicy); \
            --default-decision changes nothing here, since `no` already means not allowed. Cells are \
            asked without an object name: a grant limited to resourceNames shows as `no` (ask \
            `can-i VERB RESOURCE/NAME`). Users get the groups kube-apiserver gives `kubectl --as` \
            (see --no-implicit-groups).
            """)

    @Option(name: .customLong("as"), help: "The user.")
    var user: String

    @Option(name: .customLong("as-group"), help: "A group of the user. Repeat for several.")
    var groups: [String] = []

    @Option(name: [.short, .customLong("namespace")], help: "The namespace (default: none, i.e. cluster-wide).")
    var namespace: String = ""

    @Option(name: .customLong("diff-as"), help: "A second user to compare with: only differing cells are shown.")
    var diffUser: String?

    @Option(name: .customLong("diff-as-group"), help: "A group of the second user. Repeat for several.")
    var diffGroups: [String] = []

    @Flag(help: Impersonation.noImplicitGroupsHelp)
    var noImplicitGroups = false

    @Flag(help: "Also show resources where every verb is `no`.")
    var all = false

    @Option(name: [.short, .customLong("output")], help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    @OptionGroup var policy: PolicyOptions

    func run() throws {
        let compiled = try policy.load()
        let implicit = !noImplicitGroups
        let matrix = compiled.accessMatrix(
            user: user, groups: Impersonation.groups(user: user, groups: groups, implicit: implicit), namespace: namespace)
        if let diffUser {
            let other = compiled.accessMatrix(
                user: diffUser, groups: Impersonation.groups(user: diffUser, groups: diffGroups, implicit: implicit),
                namespace: namespace)
            printDiff(matrix, other)
            return
        }
        switch output {
        case .table: printMatrix(matrix)
        case .json, .yaml: Console.out(output.render(Self.value(matrix)))
        }
    }

    static func value(_ matrix: AccessMatrix) -> OutputValue {
        .object([
            ("user", .string(matrix.user)), ("groups", .array(matrix.groups.map(OutputValue.string))),
            ("namespace", .string(matrix.namespace)),
            (
                "resources",
                .array(
                    matrix.rows.map { row in
                        .object(
                            [("resource", .string(row.name))]
                                + zip(AccessMatrix.verbs, row.cells).map { ($0.0, .string($0.1.rawValue)) })
                    })
            ),
            (
                "nonResourceURLs",
                .array(
                    matrix.urls.map { row in
                        .object(
                            [("url", .string(row.url))]
                                + zip(AccessMatrix.urlVerbs, row.cells).map { ($0.0, .string($0.1.rawValue)) })
                    })
            ),
        ])
    }

    private func printMatrix(_ matrix: AccessMatrix) {
        let scope = matrix.namespace.isEmpty ? "cluster-wide" : "in namespace \(matrix.namespace)"
        let who = matrix.user + (matrix.groups.isEmpty ? "" : " [" + matrix.groups.joined(separator: ", ") + "]")
        Console.out("Access of \(who) \(scope):")
        var rows = [["NAME"] + AccessMatrix.verbs.map { $0.uppercased() }]
        for row in matrix.rows where all || row.cells.contains(where: { $0 != .notAllowed }) {
            rows.append([row.name] + row.cells.map(\.rawValue))
        }
        if rows.count > 1 { WhoCanCommand.printRows(rows) } else { Console.out("  (no resource access)") }
        Console.out("")
        var urls = [["NON-RESOURCE URL"] + AccessMatrix.urlVerbs.map { $0.uppercased() }]
        for row in matrix.urls where all || row.cells.contains(where: { $0 != .notAllowed }) {
            urls.append([row.url] + row.cells.map(\.rawValue))
        }
        if urls.count > 1 { WhoCanCommand.printRows(urls) } else { Console.out("  (no non-resource URL access)") }
    }

    private func printDiff(_ a: AccessMatrix, _ b: AccessMatrix) {
        var rows = [["NAME", "VERB", a.user, b.user]]
        for (rowA, rowB) in zip(a.rows, b.rows) {
            for (i, verb) in AccessMatrix.verbs.enumerated() where rowA.cells[i] != rowB.cells[i] {
                rows.append([rowA.name, verb, rowA.cells[i].rawValue, rowB.cells[i].rawValue])
            }
        }
        for (rowA, rowB) in zip(a.urls, b.urls) {
            for (i, verb) in AccessMatrix.urlVerbs.enumerated() where rowA.cells[i] != rowB.cells[i] {
                rows.append([rowA.url, verb, rowA.cells[i].rawValue, rowB.cells[i].rawValue])
            }
        }
        if output != .table {
            Console.out(
                output.render(
                    .array(rows.dropFirst().map { r in .object([("name", .string(r[0])), ("verb", .string(r[1])), ("first", .string(r[2])), ("second", .string(r[3]))]) })))
            return
        }
        if rows.count == 1 { Console.out("No differences.") } else { WhoCanCommand.printRows(rows) }
    }
}
