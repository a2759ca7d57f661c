import ArbiterPolicy
import ArgumentParser
import Foundation

/// `arbiter replay`: recorded decisions evaluated again under a policy.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay recorded requests (Arbiter decision log or Kubernetes audit log) against a policy.",
        discussion: """
            Examples:
              arbiter replay --policy new-policies/ --input decisions.jsonl
              arbiter replay --policy new-policies/ --input /var/log/kubernetes/audit.log -o json
            Each input line is an Arbiter decision-log entry (`user`, `groups`, `resourceAttributes` or \
            `nonResourceAttributes`, `decision`, `reason`) or an `audit.k8s.io/v1` Event (`user`, `verb`, \
            `objectRef` or `requestURI`; the old decision is the `authorization.k8s.io/decision` \
            annotation). Audit events only say allow or forbid, so they are compared as allowed / not \
            allowed; decision-log lines compare allow, deny and no_opinion. Prints counts by old -> new \
            and every changed line. Exit code 0 when no decision changes, 1 when some do, 2 on an error.
            """)

    @Option(name: .customLong("input"), help: ArgumentHelp("The recorded log, one JSON object per line (`-`: standard input).", valueName: "file"))
    var input: String

    @Option(name: [.short, .customLong("output")], help: "Output format: table, json or yaml.")
    var output: OutputFormat = .table

    @Flag(help: "Also list lines whose decision did not change.")
    var showUnchanged = false

    @OptionGroup var policy: PolicyOptions

    struct Record {
        var line: Int
        var request: AccessRequest
        var format: String
        var oldDecision: String
        var oldReason: String
        var newDecision: String
        var newReason: String
        var changed: Bool
    }

    static func label(_ decision: Decision) -> String {
        switch decision {
        case .allow: return "allow"
        case .deny: return "deny"
        case .noOpinion: return "no_opinion"
        }
    }

    /// The request and old decision of one log line, or an error message.
    static func parse(_ object: [String: Any]) -> (request: AccessRequest, format: String, decision: String, reason: String)? {
        if let authenticated = object["user"] as? [String: Any] {
            // audit.k8s.io Event. It is recorded before impersonation; the authorizer saw the
            // impersonated user, when there is one.
            let user = object["impersonatedUser"] as? [String: Any] ?? authenticated
            let username = user["username"] as? String ?? ""
            let groups = user["groups"] as? [String] ?? []
            let verb = object["verb"] as? String ?? ""
            let annotations = object["annotations"] as? [String: Any] ?? [:]
            let decision = annotations["authorization.k8s.io/decision"] as? String ?? "unknown"
            let reason = annotations["authorization.k8s.io/reason"] as? String ?? ""
            let request: AccessRequest
            if let ref = object["objectRef"] as? [String: Any] {
                // A create's objectRef carries the name from the request body, which the
                // authorizer did not see (a create names no object unless it is a subresource's).
                let subresource = ref["subresource"] as? String ?? ""
                let name = verb == "create" && subresource.isEmpty ? "" : ref["name"] as? String ?? ""
                request = AccessRequest(
                    user: username, groups: groups,
                    attributes: .resource(
                        .init(
                            namespace: ref["namespace"] as? String ?? "", verb: verb, group: ref["apiGroup"] as? String ?? "",
                            version: ref["apiVersion"] as? String ?? "", resource: ref["resource"] as? String ?? "",
                            subresource: subresource, name: name)))
            } else {
                var path = object["requestURI"] as? String ?? ""
                if let query = path.firstIndex(of: "?") { path = String(path[..<query]) }
                request = AccessRequest(user: username, groups: groups, attributes: .nonResource(.init(path: path, verb: verb)))
            }
            return (request, "audit", decision == "forbid" ? "deny" : decision, reason)
        }
        guard let user = object["user"] as? String else { return nil }
        let groups = object["groups"] as? [String] ?? []
        let attributes: AccessRequest.Attributes
        if let r = object["resourceAttributes"] as? [String: Any] {
            attributes = .resource(
                .init(
                    namespace: r["namespace"] as? String ?? "", verb: r["verb"] as? String ?? "",
                    group: r["group"] as? String ?? "", version: r["version"] as? String ?? "",
                    resource: r["resource"] as? String ?? "", subresource: r["subresource"] as? String ?? "",
                    name: r["name"] as? String ?? ""))
        } else if let n = object["nonResourceAttributes"] as? [String: Any] {
            attributes = .nonResource(.init(path: n["path"] as? String ?? "", verb: n["verb"] as? String ?? ""))
        } else {
            return nil
        }
        return (
            AccessRequest(user: user, groups: groups, attributes: attributes), "decision-log",
            object["decision"] as? String ?? "unknown", object["reason"] as? String ?? ""
        )
    }

    func run() throws {
        let compiled = try policy.load(errorExit: 2)
        let bytes: [UInt8]
        do { bytes = try Console.readInput(input) } catch {
            Console.error("\(error)")
            throw ExitCode(2)
        }
        var records: [Record] = []
        var skipped = 0
        var seenAuditIDs = Set<String>()
        var duplicates = 0
        for (index, line) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                let parsed = Self.parse(object)
            else {
                skipped += 1
                Console.warning("line \(index + 1): not a decision-log entry or audit event; skipped")
                continue
            }
            if parsed.format == "audit" {
                // One request appears at several stages (RequestReceived, ResponseStarted,
                // ResponseComplete); the first stage has no decision yet. Keep one per auditID.
                if object["stage"] as? String == "RequestReceived" {
                    duplicates += 1
                    continue
                }
                if let id = object["auditID"] as? String, !seenAuditIDs.insert(id).inserted {
                    duplicates += 1
                    continue
                }
            }
            let result = compiled.authorize(parsed.request, defaultDecision: policy.defaultDecision.decision)
            let newDecision = Self.label(result.decision)
            let changed: Bool
            if parsed.format == "audit" {
                changed = (parsed.decision == "allow") != (result.decision == .allow)
            } else {
                changed = parsed.decision != newDecision
            }
            records.append(
                Record(
                    line: index + 1, request: parsed.request, format: parsed.format, oldDecision: parsed.decision,
                    oldReason: parsed.reason, newDecision: newDecision, newReason: result.reason, changed: changed))
        }
        // Nothing could be read (a wrong file, say): an error, not "no decision changes".
        if records.isEmpty && skipped > 0 {
            Console.error("none of the \(skipped) line(s) is a decision-log entry or an audit event")
            throw ExitCode(2)
        }
        var counts: [String: Int] = [:]
        for record in records { counts["\(record.oldDecision) -> \(record.newDecision)", default: 0] += 1 }
        let changed = records.filter(\.changed)
        let listed = showUnchanged ? records : changed
        switch output {
        case .table:
            var read = "Replayed \(records.count) request(s)"
            if skipped > 0 { read += ", skipped \(skipped) line(s)" }
            if duplicates > 0 { read += ", \(duplicates) other audit stage(s) of the same requests" }
            Console.out("\(read): \(changed.count) decision(s) change")
            WhoCanCommand.printRows([["OLD -> NEW", "COUNT"]] + counts.sorted { $0.key < $1.key }.map { [$0.key, String($0.value)] })
            for record in listed {
                Console.out("")
                Console.out("line \(record.line): \(DiffCommand.describe(record.request))\(record.changed ? "" : " (unchanged)")")
                Console.out("  old: \(record.oldDecision)\(record.oldReason.isEmpty ? "" : " - " + record.oldReason)")
                Console.out("  new: \(record.newDecision)\(record.newReason.isEmpty ? "" : " - " + record.newReason)")
            }
        case .json, .yaml:
            Console.out(
                output.render(
                    .object([
                        ("replayed", .int(records.count)), ("skipped", .int(skipped)), ("auditStagesSkipped", .int(duplicates)),
                        ("changed", .int(changed.count)),
                        ("counts", .object(counts.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
                        (
                            "lines",
                            .array(
                                listed.map { r in
                                    .object([
                                        ("line", .int(r.line)), ("format", .string(r.format)),
                                        ("request", .string(DiffCommand.describe(r.request))), ("changed", .bool(r.changed)),
                                        ("oldDecision", .string(r.oldDecision)), ("oldReason", .string(r.oldReason)),
                                        ("newDecision", .string(r.newDecision)), ("newReason", .string(r.newReason)),
                                    ])
                                })
                        ),
                    ])))
        }
        if !changed.isEmpty { throw ExitCode(1) }
    }
}
