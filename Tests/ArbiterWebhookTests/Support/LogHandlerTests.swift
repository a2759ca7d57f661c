import Foundation
import Logging
import Testing

@testable import ArbiterWebhook

@Suite struct LogHandlerTests {
    static func capture(_ format: LogFormat, level: Logger.Level = .info) -> (Logger, Recorder<String>) {
        let lines = Recorder<String>()
        let sink = LogSink { lines.append(String(decoding: $0, as: UTF8.self)) }
        let logger = Logger(label: "arbiter.test") { label in
            LoggingSetup.makeHandler(label: label, format: format, level: level, sink: sink)
        }
        return (logger, lines)
    }

    @Test func logfmtWritesOneLineWithQuotedValuesWhereNeeded() throws {
        var (logger, lines) = Self.capture(.logfmt)
        logger[metadataKey: "component"] = "reloader"
        logger.info(
            "policy reloaded",
            metadata: ["revision": "3f2a", "path": "/etc/arbiter/policies dir", "empty": "", "quote": "say \"hi\"\n\\"])
        let line = try #require(lines.all.first)
        #expect(lines.all.count == 1)
        #expect(line.hasPrefix("time="))
        #expect(line.hasSuffix("\n"))
        #expect(line.dropLast().contains("\n") == false)
        let time = line.dropFirst(5).prefix(27)
        #expect(time.count == 27 && time.hasSuffix("Z") && time.contains("T"))
        #expect(
            line.dropFirst(5 + 27)
                == #" level=info logger=arbiter.test msg="policy reloaded" component=reloader empty="" path="/etc/arbiter/policies dir" quote="say \"hi\"\n\\" revision=3f2a"#
                + "\n")
    }

    @Test func levelsBelowTheConfiguredOneAreNotWritten() {
        let (logger, lines) = Self.capture(.logfmt, level: .warning)
        logger.debug("hidden")
        logger.info("hidden")
        logger.warning("shown")
        logger.error("shown too")
        #expect(lines.all.count == 2)
        #expect(lines.all.first?.contains("level=warning") == true)
        #expect(lines.all.last?.contains("level=error") == true)
    }

    @Test func jsonWritesAParseableObjectWithNestedMetadata() throws {
        let (logger, lines) = Self.capture(.json, level: .debug)
        logger.debug(
            "reload failed \"badly\"\n",
            metadata: [
                "errors": ["a", "b\u{01}"], "detail": ["line": "12", "column": .stringConvertible(7)],
                "msg": "collides",
            ])
        let line = try #require(lines.all.first)
        #expect(line.hasSuffix("}\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["level"] as? String == "debug")
        #expect(object["logger"] as? String == "arbiter.test")
        #expect(object["msg"] as? String == "reload failed \"badly\"\n")
        #expect(object["_msg"] as? String == "collides")
        #expect(object["errors"] as? [String] == ["a", "b\u{01}"])
        let detail = try #require(object["detail"] as? [String: Any])
        #expect(detail["line"] as? String == "12")
        #expect(detail["column"] as? String == "7")
        let time = try #require(object["time"] as? String)
        #expect(time.utf8.count == 27 && time.hasSuffix("Z"))
    }

    @Test func handlerMetadataIsAValuePerLogger() {
        var (first, lines) = Self.capture(.logfmt)
        var second = first
        first[metadataKey: "a"] = "1"
        second[metadataKey: "b"] = "2"
        first.info("one")
        second.info("two")
        #expect(lines.all[0].contains("a=1") && !lines.all[0].contains("b=2"))
        #expect(lines.all[1].contains("b=2") && !lines.all[1].contains("a=1"))
    }

    @Test func bootstrapIsGuardedAgainstASecondCall() {
        // The first call may have happened in another test of this process; either way the
        // second one must not trap and must report that it did nothing.
        let quiet = LogSink { _ in }
        _ = LoggingSetup.bootstrap(format: .logfmt, level: .critical, sink: quiet)
        #expect(LoggingSetup.bootstrap(format: .json, level: .critical, sink: quiet) == false)
    }
}
