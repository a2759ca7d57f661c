import ArbiterPolicy
import Foundation
import Glibc
import Testing

@testable import ArbiterWebhook

@Suite struct DecisionLogTests {
    static let trickyStrings = [
        "plain", "", "quote \" backslash \\ slash /", "line\nfeed\r\ttab", "\u{01}\u{1F}\u{7F}\u{00}",
        "K\u{212A}é\u{0065}\u{0301}", "emoji 🛂 ✓", "</script>\u{2028}\u{2029}",
    ]

    static func entry(_ index: Int, decision: Decision = .allow, text: String = "x") -> DecisionLogEntry {
        DecisionLogEntry(
            time: WallClockTime(microsecondsSinceEpoch: 1_764_389_406_123_456 + Int64(index)),
            caller: "kube-apiserver", endpoint: .authorize, apiVersion: "authorization.k8s.io/v1",
            kind: "SubjectAccessReview", user: "user-\(index)", groups: ["system:authenticated", text],
            attributes: .resource(
                ResourceAttributes(
                    namespace: "ns", verb: "get", group: "", version: "v1", resource: "pods", subresource: "log",
                    name: text)),
            decision: decision, reason: "reason \(index) \(text)", policyRevision: "rev-1",
            latencyMicroseconds: index)
    }

    static func parse(_ line: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return try #require(object as? [String: Any])
    }

    static func utf8(_ value: Any?) -> [UInt8]? {
        (value as? String).map { Array($0.utf8) }
    }

    @Test(arguments: trickyStrings)
    func entryRoundTripsThroughJSONSerializationByteExactly(text: String) throws {
        var entry = Self.entry(3, decision: .noOpinion, text: text)
        entry.caller = text
        entry.evaluationError = text
        entry.shadow = .init(decision: .deny, reason: text)
        let line = entry.jsonLine
        #expect(line.hasSuffix("\n"))
        #expect(line.dropLast().utf8.allSatisfy { $0 >= 0x20 })  // control characters are escaped
        let object = try Self.parse(line)
        #expect(object["time"] as? String == "2025-11-29T04:10:06.123459Z")
        #expect(Self.utf8(object["caller"]) == Array(text.utf8))
        #expect(object["endpoint"] as? String == "authorize")
        #expect(object["apiVersion"] as? String == "authorization.k8s.io/v1")
        #expect(object["kind"] as? String == "SubjectAccessReview")
        #expect(object["user"] as? String == "user-3")
        let groups = try #require(object["groups"] as? [String])
        #expect(groups.map { Array($0.utf8) } == [Array("system:authenticated".utf8), Array(text.utf8)])
        let attributes = try #require(object["resourceAttributes"] as? [String: Any])
        #expect(attributes["verb"] as? String == "get")
        #expect(attributes["subresource"] as? String == "log")
        #expect(Self.utf8(attributes["name"]) == Array(text.utf8))
        #expect(object["decision"] as? String == "no_opinion")
        #expect(Self.utf8(object["reason"]) == Array("reason 3 \(text)".utf8))
        #expect(Self.utf8(object["evaluationError"]) == Array(text.utf8))
        #expect(object["policyRevision"] as? String == "rev-1")
        #expect(object["latencyMicroseconds"] as? Int == 3)
        let shadow = try #require(object["shadow"] as? [String: Any])
        #expect(shadow["decision"] as? String == "deny")
        #expect(Self.utf8(shadow["reason"]) == Array(text.utf8))
        #expect(object["nonResourceAttributes"] == nil)
    }

    @Test func nonResourceEntryHasPathAndVerbAndNoShadow() throws {
        var entry = Self.entry(1)
        entry.attributes = .nonResource(NonResourceAttributes(path: "/healthz", verb: "get"))
        let object = try Self.parse(entry.jsonLine)
        let attributes = try #require(object["nonResourceAttributes"] as? [String: Any])
        #expect(attributes["path"] as? String == "/healthz")
        #expect(attributes["verb"] as? String == "get")
        #expect(object["resourceAttributes"] == nil)
        #expect(object["shadow"] == nil)
    }

    @Test func entryFromAnAccessRequestCarriesUserGroupsAndAttributes() throws {
        let request = AccessRequest(
            user: "system:node:n1", groups: ["system:nodes"],
            attributes: .nonResource(NonResourceAttributes(path: "/metrics", verb: "get")))
        let entry = DecisionLogEntry(
            caller: "", endpoint: .subjectAccessReviews, apiVersion: "authorization.k8s.io/v1",
            kind: "SubjectAccessReview", request: request, decision: .deny, reason: "no", policyRevision: "r",
            latencyMicroseconds: 1)
        #expect(entry.user == "system:node:n1")
        #expect(entry.groups == ["system:nodes"])
        #expect(entry.attributes == request.attributes)
        let object = try Self.parse(entry.jsonLine)
        #expect(object["endpoint"] as? String == "subjectaccessreviews")
        #expect(object["decision"] as? String == "deny")
    }

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000000Z"), (Int64(-1), "1969-12-31T23:59:59.999999Z"),
        (Int64(951_782_400_000_001), "2000-02-29T00:00:00.000001Z"),
    ])
    func timesAreRFC3339WithMicroseconds(micros: Int64, expected: String) {
        #expect(WallClockTime(microsecondsSinceEpoch: micros).rfc3339 == expected)
    }

    @Test func closeFlushesEveryEntryToTheFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("arbiter-decisions.log")
        let log = try DecisionLog(configuration: .init(destination: .file(path: path, maxBytes: 0, maxFiles: 0)))
        for index in 0..<1_000 { #expect(log.record(Self.entry(index))) }
        log.close()
        log.close()  // idempotent
        #expect(!log.record(Self.entry(0)))  // closed: dropped, never blocks
        let lines = try #require(directory.read("arbiter-decisions.log")).split(separator: "\n")
        #expect(lines.count == 1_000)
        for (index, line) in lines.enumerated() {
            #expect(try Self.parse(String(line))["user"] as? String == "user-\(index)")
        }
    }

    @Test func notAllowedFilterSkipsAllows() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try DecisionLog(
            configuration: .init(
                destination: .file(path: directory.file("d.log"), maxBytes: 0, maxFiles: 0), filter: .notAllowed))
        log.record(Self.entry(0, decision: .allow))
        log.record(Self.entry(1, decision: .deny))
        log.record(Self.entry(2, decision: .noOpinion))
        log.close()
        let lines = try #require(directory.read("d.log")).split(separator: "\n")
        #expect(try lines.map { try Self.parse(String($0))["decision"] as? String } == ["deny", "no_opinion"])
        #expect(log.droppedCount == 0)
    }

    @Test func rotationKeepsMaxFilesOfAtMostMaxBytes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let lineLength = Self.entry(10).jsonLine.utf8.count
        let maxBytes = lineLength * 3 + 10  // three lines per file
        let log = try DecisionLog(
            configuration: .init(
                destination: .file(path: directory.file("arbiter-decisions.log"), maxBytes: maxBytes, maxFiles: 2)))
        for index in 10..<30 { log.record(Self.entry(index)) }  // same line length for 10...99
        log.close()
        #expect(directory.exists("arbiter-decisions.log"))
        #expect(directory.exists("arbiter-decisions.log.1"))
        #expect(directory.exists("arbiter-decisions.log.2"))
        #expect(!directory.exists("arbiter-decisions.log.3"))
        var users: [String] = []
        for name in ["arbiter-decisions.log.2", "arbiter-decisions.log.1", "arbiter-decisions.log"] {
            let text = try #require(directory.read(name))
            #expect(text.utf8.count <= maxBytes)
            for line in text.split(separator: "\n") {
                users.append(try Self.parse(String(line))["user"] as? String ?? "?")
            }
        }
        // 20 lines, 3 per file: the current file holds the last 2, the two rotated files 3 each.
        #expect(users == (22..<30).map { "user-\($0)" })
    }

    @Test func reopenStartsANewFileAfterExternalRotation() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("d.log")
        let log = try DecisionLog(configuration: .init(destination: .file(path: path, maxBytes: 0, maxFiles: 0)))
        log.record(Self.entry(1))
        #expect(waitUntil { directory.read("d.log")?.split(separator: "\n").count == 1 })
        #expect(rename(path, path + ".old") == 0)
        log.reopen()
        log.record(Self.entry(2))
        log.close()
        #expect(directory.read("d.log.old")?.contains("user-1") == true)
        #expect(directory.read("d.log")?.contains("user-2") == true)
        #expect(directory.read("d.log")?.contains("user-1") == false)
    }

    @Test func fullQueueDropsAndCountsWithoutBlocking() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let fifo = directory.file("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let metrics = WebhookMetrics()
        // Opening a FIFO for writing blocks until a reader appears, so the writer thread is stuck
        // before its first batch and the queue fills up.
        let log = try DecisionLog(
            configuration: .init(destination: .file(path: fifo, maxBytes: 0, maxFiles: 0), queueCapacity: 10),
            metrics: metrics)
        var accepted = 0
        for index in 0..<100 where log.record(Self.entry(index)) { accepted += 1 }
        #expect(accepted == 10)
        #expect(log.droppedCount == 90)
        #expect(PrometheusTextParser(metrics.render()).samples["arbiter_decision_log_dropped_total"] == 90)

        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        #expect(reader >= 0)
        defer { close(reader) }
        log.close()
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(reader, &buffer, buffer.count)
            guard count > 0 else { break }
            received += buffer[..<count]
        }
        let lines = String(decoding: received, as: UTF8.self).split(separator: "\n")
        #expect(try lines.map { try Self.parse(String($0))["user"] as? String } == (0..<10).map { "user-\($0)" })
    }

    @Test func unwritableFileDropsAndReportsOnce() throws {
        let errors = Recorder<SystemCallError>()
        let log = try DecisionLog(
            configuration: .init(destination: .file(path: "/nonexistent-dir/d.log", maxBytes: 0, maxFiles: 0)),
            onWriteError: { errors.append($0) })
        log.record(Self.entry(1))
        log.record(Self.entry(2))
        log.close()
        #expect(log.droppedCount == 2)
        #expect(errors.all.count == 1)
        #expect(errors.all.first?.function == "open")
    }
}
