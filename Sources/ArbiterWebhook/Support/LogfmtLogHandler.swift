public import Logging

/// A swift-log handler writing one logfmt line per record to a ``LogSink``.
///
/// `time=2026-11-29T04:10:06.123456Z level=info logger=arbiter msg="policy reloaded" revision=3f2a`
///
/// Keys are `time`, `level`, `logger`, `msg`, then metadata sorted by key. A value is quoted when
/// it is empty or contains a space, `=`, `"`, `\` or a control character; inside quotes `"`, `\`,
/// line feed, carriage return and tab are backslash-escaped and other control characters written
/// as `\u00XX`, so one record is always one line. Nested metadata is written as its description.
public struct LogfmtLogHandler: LogHandler {
    /// The logger label (`logger=`).
    public let label: String
    /// Records below this level are not written.
    public var logLevel: Logger.Level
    /// Metadata attached to every record of this handler.
    public var metadata: Logger.Metadata = [:]
    /// Contextual metadata, merged before the record's own.
    public var metadataProvider: Logger.MetadataProvider?
    private let sink: LogSink

    /// Creates a handler for the logger named `label`.
    public init(
        label: String,
        logLevel: Logger.Level = .info,
        sink: LogSink = .standardError,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.label = label
        self.logLevel = logLevel
        self.sink = sink
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        guard event.level >= self.logLevel else { return }
        var line: [UInt8] = []
        line.reserveCapacity(256)
        line += "time=".utf8
        WallClockTime.now().appendRFC3339(to: &line)
        line += " level=".utf8
        line += event.level.rawValue.utf8
        if !self.label.isEmpty {
            Self.appendPair("logger", self.label, to: &line)
        }
        Self.appendPair("msg", event.message.description, to: &line)
        let fields = LogRecordFormatting.mergedMetadata(
            handler: self.metadata, provider: self.metadataProvider, event: event)
        for (key, value) in fields {
            Self.appendPair(key, value.description, to: &line)
        }
        line.append(0x0A)
        self.sink.write(line)
    }

    // MARK: - Encoding

    static func appendPair(_ key: String, _ value: String, to line: inout [UInt8]) {
        line.append(UInt8(ascii: " "))
        for byte in key.utf8 {
            // A key is never quoted, so anything that would end it becomes `_`.
            line.append(byte <= 0x20 || byte == 0x7F || byte == UInt8(ascii: "=") || byte == UInt8(ascii: "\"") ? UInt8(ascii: "_") : byte)
        }
        line.append(UInt8(ascii: "="))
        Self.appendValue(value, to: &line)
    }

    static func appendValue(_ value: String, to line: inout [UInt8]) {
        let needsQuotes =
            value.isEmpty
            || value.utf8.contains { byte in
                byte <= 0x20 || byte == 0x7F || byte == UInt8(ascii: "=") || byte == UInt8(ascii: "\"")
                    || byte == UInt8(ascii: "\\")
            }
        guard needsQuotes else {
            line += value.utf8
            return
        }
        line.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): line += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): line += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: line += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: line += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: line += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x00..<0x20, 0x7F:
                let hex = Array("0123456789abcdef".utf8)
                line += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")]
                line += [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            default: line.append(byte)
            }
        }
        line.append(UInt8(ascii: "\""))
    }
}
