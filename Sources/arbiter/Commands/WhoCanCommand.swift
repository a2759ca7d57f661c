import ArbiterPolicy
import ArgumentParser

/// `arbiter who-can`: every subject allowed (and denied) one request.
struct WhoCanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "who-can",
        abstract: "List every subject a policy allows (or explicitly denies) a request.",
        discussion: """
            Examples:
              arbiter who-can get secrets -n kube-system -p policies/
              arbiter who-can create pods --subresource exec -n prod -p policies/
              arbiter who-can get /healthz -p policies/ -o json
            Users, groups and service accounts of every binding whose role has a rule matching the \
            request (RoleBindings only in `-n NS`), subject patterns of Allow AccessPolicies, and \
            Deny AccessPolicies with their exceptions. A subject allowed by RBAC but denied by a \
            Deny policy is listed as denied.
            """)

    @Argument(help: "The verb (get, list, create, ..., or a lower-case HTTP method for a URL).")
    var verb: String

    @Argument(help: "RESOURCE, RESOURCE.GROUP, RESOURCE/NAME, or a non-resource URL starting with `/`.")
    var target: String

    @Option(name: [.short, .customLong("namespace")], help: "The namespace (default: none, i.e. cluster-wide).")
    var namespace: String = ""

    @Option(help: "A subresource (log, status, exec, ...).")
    var subresource: String = ""

    @Option(name: [.short, .customLong("output")], help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    @Flag(help: "Print to standard error how long loading and answering took.")
    var timing = false

    @OptionGroup var policy: PolicyOptions

    func validate() throws {
        _ = try self.request()
    }

    /// The request asked about, without a user; a bad argument is a usage error of this command.
    private func request() throws -> AccessRequest {
        do {
            return try KubectlArguments.request(
                verb: verb, target: target, namespace: namespace, subresource: subresource, user: "", groups: [])
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        let clock = ContinuousClock()
        let loadStart = clock.now
        let compiled = try policy.load()
        let loaded = clock.now - loadStart
        let request = try self.request()
        let answerStart = clock.now
        let result = compiled.whoCan(request)
        let answered = clock.now - answerStart
        if timing {
            Console.note("loaded and compiled the policy in \(loaded); answered who-can in \(answered)")
        }
        switch output {
        case .table: printTable(result)
        case .json, .yaml: Console.out(output.render(Self.value(result)))
        }
    }

    static func describe(_ request: AccessRequest) -> String {
        switch request.attributes {
        case .nonResource(let n): return "\(n.verb) \(n.path)"
        case .resource(let r):
            var target = r.resource
            if !r.subresource.isEmpty { target += "/" + r.subresource }
            if !r.group.isEmpty { target += " (group \(r.group))" }
            if !r.name.isEmpty { target += " named \(r.name)" }
            return "\(r.verb) \(target) " + (r.namespace.isEmpty ? "cluster-wide" : "in namespace \(r.namespace)")
        }
    }

    static func describe(_ pattern: SubjectPattern) -> String {
        pattern.kind == .serviceAccount
            ? "ServiceAccount \(pattern.namespace)/\(pattern.name)" : "\(pattern.kind.rawValue) \(pattern.name)"
    }

    static func name(_ entry: WhoCanResult.Entry) -> String {
        entry.kind == .serviceAccount ? "\(entry.namespace)/\(entry.name)" : entry.name
    }

    private func printTable(_ result: WhoCanResult) {
        Console.out("Who can \(Self.describe(result.request)):")
        let allowed = result.allowedSubjects
        Console.out("")
        Console.out("ALLOWED (\(allowed.count) subjects, \(result.patterns.count) AccessPolicy subjects)")
        var rows = [["KIND", "NAME", "ALLOWED BY"]]
        for entry in allowed {
            for (i, grant) in entry.grants.enumerated() {
                rows.append(i == 0 ? [entry.kind.rawValue, Self.name(entry), grant.description] : ["", "", grant.description])
            }
        }
        for pattern in result.patterns {
            var by = "AccessPolicy \(pattern.policy) (Allow) rule \(pattern.rule)"
            if !pattern.except.isEmpty { by += " except " + pattern.except.map(Self.describe).joined(separator: ", ") }
            let p = pattern.pattern
            rows.append([p.kind.rawValue, p.kind == .serviceAccount ? "\(p.namespace)/\(p.name)" : p.name, by])
        }
        if rows.count > 1 { Self.printRows(rows) } else { Console.out("  (none)") }

        if !result.denies.isEmpty {
            Console.out("")
            Console.out("DENIED by Deny AccessPolicies (these win over every allow)")
            var denyRows = [["POLICY", "RULE", "SUBJECTS", "EXCEPT"]]
            for deny in result.denies {
                denyRows.append([
                    deny.policy, String(deny.rule), deny.subjects.map(Self.describe).joined(separator: ", "),
                    deny.except.isEmpty ? "-" : deny.except.map(Self.describe).joined(separator: ", "),
                ])
            }
            Self.printRows(denyRows)
            Console.out(
                "  (users and service accounts are checked as the only identity: a Deny on one of their groups, "
                    + "e.g. system:authenticated or system:serviceaccounts, applies to them too)")
            let denied = result.deniedSubjects
            if !denied.isEmpty {
                Console.out("")
                Console.out("Allowed by RBAC or an Allow policy but DENIED (\(denied.count)):")
                for entry in denied {
                    var line = "  \(entry.kind.rawValue) \(Self.name(entry)): denied by \(entry.deniedBy.joined(separator: ", "))"
                    if entry.kind == .group {
                        line = "  members of Group \(entry.name) are denied by \(entry.deniedBy.joined(separator: ", ")) unless excepted"
                        if !entry.exceptions.isEmpty { line += " (" + entry.exceptions.map(Self.describe).joined(separator: ", ") + ")" }
                    }
                    Console.out(line)
                }
            }
        }
        for missing in result.missingRoles { Console.note("warning: \(missing)") }
    }

    static func printRows(_ rows: [[String]]) {
        var widths = [Int](repeating: 0, count: rows[0].count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        for row in rows {
            var line = ""
            for (i, cell) in row.enumerated() {
                line += i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count + 2)
            }
            Console.out("  " + line)
        }
    }

    static func value(_ pattern: SubjectPattern) -> OutputValue {
        var fields: [(String, OutputValue)] = [("kind", .string(pattern.kind.rawValue)), ("name", .string(pattern.name))]
        if pattern.kind == .serviceAccount { fields.append(("namespace", .string(pattern.namespace))) }
        return .object(fields)
    }

    static func value(_ grant: WhoCanResult.Grant) -> OutputValue {
        switch grant {
        case .binding(let kind, let name, let namespace, let roleKind, let role, let rule):
            var fields: [(String, OutputValue)] = [("bindingKind", .string(kind.rawValue)), ("binding", .string(name))]
            if !namespace.isEmpty { fields.append(("bindingNamespace", .string(namespace))) }
            fields += [("roleKind", .string(roleKind.rawValue)), ("role", .string(role)), ("rule", .int(rule))]
            return .object(fields)
        case .accessPolicy(let name, let rule):
            return .object([("accessPolicy", .string(name)), ("rule", .int(rule))])
        }
    }

    static func value(_ result: WhoCanResult) -> OutputValue {
        func entry(_ e: WhoCanResult.Entry) -> OutputValue {
            var fields: [(String, OutputValue)] = [("kind", .string(e.kind.rawValue)), ("name", .string(e.name))]
            if e.kind == .serviceAccount {
                fields += [("namespace", .string(e.namespace)), ("user", .string(e.identity))]
            }
            fields.append(("allowedBy", .array(e.grants.map(value))))
            if e.isDenied {
                fields.append(("deniedBy", .array(e.deniedBy.map(OutputValue.string))))
                if !e.exceptions.isEmpty { fields.append(("unlessExcepted", .array(e.exceptions.map(value)))) }
            }
            return .object(fields)
        }
        return .object([
            ("request", .string(describe(result.request))),
            ("allowed", .array(result.allowedSubjects.map(entry))),
            (
                "allowedPatterns",
                .array(
                    result.patterns.map {
                        .object([
                            ("subject", value($0.pattern)), ("accessPolicy", .string($0.policy)), ("rule", .int($0.rule)),
                            ("except", .array($0.except.map(value))),
                        ])
                    })
            ),
            ("denied", .array(result.deniedSubjects.map(entry))),
            (
                "denyPolicies",
                .array(
                    result.denies.map {
                        .object([
                            ("accessPolicy", .string($0.policy)), ("rule", .int($0.rule)),
                            ("subjects", .array($0.subjects.map(value))), ("except", .array($0.except.map(value))),
                        ])
                    })
            ),
            ("errors", .array(result.missingRoles.map(OutputValue.string))),
        ])
    }
}

/// `-o table|json|yaml` of the tooling commands.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, yaml

    func render(_ value: OutputValue) -> String {
        self == .yaml ? value.yaml() : value.json()
    }
}

/// A JSON/YAML value tree with ordered object fields, rendered without Foundation.
indirect enum OutputValue {
    case string(String)
    case int(Int)
    case bool(Bool)
    case array([OutputValue])
    case object([(String, OutputValue)])

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Pretty JSON, two-space indented.
    func json(_ indent: String = "") -> String {
        let inner = indent + "  "
        switch self {
        case .string(let s): return Self.quoted(s)
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        case .array(let items):
            if items.isEmpty { return "[]" }
            return "[\n" + items.map { inner + $0.json(inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        case .object(let fields):
            if fields.isEmpty { return "{}" }
            return "{\n" + fields.map { inner + Self.quoted($0.0) + ": " + $0.1.json(inner) }.joined(separator: ",\n") + "\n"
                + indent + "}"
        }
    }

    /// Block YAML; strings are double-quoted (JSON escapes are valid YAML).
    func yaml() -> String { yamlLines("").joined(separator: "\n") }

    private var isScalar: Bool {
        switch self {
        case .array(let a): return a.isEmpty
        case .object(let o): return o.isEmpty
        default: return true
        }
    }

    private var scalarText: String {
        switch self {
        case .string(let s): return Self.quoted(s)
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        case .array: return "[]"
        case .object: return "{}"
        }
    }

    private func yamlLines(_ indent: String) -> [String] {
        switch self {
        case .array(let items) where !items.isEmpty:
            var lines: [String] = []
            for item in items {
                if item.isScalar {
                    lines.append(indent + "- " + item.scalarText)
                } else {
                    let nested = item.yamlLines(indent + "  ")
                    lines.append(indent + "- " + nested[0].dropFirst(indent.count + 2))
                    lines += nested.dropFirst()
                }
            }
            return lines
        case .object(let fields) where !fields.isEmpty:
            var lines: [String] = []
            for (key, value) in fields {
                if value.isScalar {
                    lines.append(indent + key + ": " + value.scalarText)
                } else {
                    lines.append(indent + key + ":")
                    lines += value.yamlLines(indent + "  ")
                }
            }
            return lines
        default:
            return [indent + scalarText]
        }
    }
}
