public import Logging

/// A swift-log handler writing one JSON object per line to a ``LogSink``.
///
/// `{"time":"2026-11-29T04:10:06.123456Z","level":"info","logger":"arbiter","msg":"policy reloaded","revision":"3f2a"}`
///
/// Metadata keys follow `time`, `level`, `logger` and `msg` at the top level, sorted; a metadata
/// key that collides with one of those four is written with a leading `_`. Arrays and dictionaries
/// become JSON arrays and objects; other values are strings. Escaping is ``JSONLineWriter``'s.
public struct JSONLogHandler: LogHandler {
    /// The logger label (`"logger"`).
    public let label: String
    /// Records below this level are not written.
    public var logLevel: Logger.Level
    /// Metadata attached to every record of this handler.
    public var metadata: Logger.Metadata = [:]
    /// Contextual metadata, merged before the record's own.
    public var metadataProvider: Logger.MetadataProvider?
    private let sink: LogSink

    private static let reservedKeys: Set<String> = ["time", "level", "logger", "msg"]

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
        var writer = JSONLineWriter(capacity: 256)
        writer.beginObject()
        writer.field("time", WallClockTime.now())
        writer.field("level", event.level.rawValue)
        if !self.label.isEmpty { writer.field("logger", self.label) }
        writer.field("msg", event.message.description)
        let fields = LogRecordFormatting.mergedMetadata(
            handler: self.metadata, provider: self.metadataProvider, event: event)
        for (key, value) in fields {
            writer.key(Self.reservedKeys.contains(key) ? "_" + key : key)
            Self.appendValue(value, to: &writer, depth: 0)
            writer.didWriteValue()
        }
        writer.endObject()
        writer.bytes.append(0x0A)
        self.sink.write(writer.bytes)
    }

    private static func appendValue(_ value: Logger.MetadataValue, to writer: inout JSONLineWriter, depth: Int) {
        // Bound recursion: a pathological self-describing structure must not overflow the stack.
        guard depth < 16 else {
            writer.appendString(value.description)
            return
        }
        switch value {
        case .string(let string):
            writer.appendString(string)
        case .stringConvertible(let convertible):
            writer.appendString(convertible.description)
        case .array(let values):
            writer.bytes.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { writer.bytes.append(UInt8(ascii: ",")) }
                Self.appendValue(element, to: &writer, depth: depth + 1)
            }
            writer.bytes.append(UInt8(ascii: "]"))
        case .dictionary(let dictionary):
            writer.bytes.append(UInt8(ascii: "{"))
            let sorted = dictionary.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (index, (key, element)) in sorted.enumerated() {
                if index > 0 { writer.bytes.append(UInt8(ascii: ",")) }
                writer.appendString(key)
                writer.bytes.append(UInt8(ascii: ":"))
                Self.appendValue(element, to: &writer, depth: depth + 1)
            }
            writer.bytes.append(UInt8(ascii: "}"))
        }
    }
}
