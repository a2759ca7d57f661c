/// One Prometheus metric family in text exposition format 0.0.4: a name, help text, a type and
/// its samples.
///
/// ``WebhookMetrics/render(extra:)`` writes its own families and then any caller-supplied ones, so
/// counters owned elsewhere (the transport's connections, handshake failures, shed requests) can be
/// exposed on the same `/metrics` page without this module knowing about them.
///
/// ```swift
/// let shed = MetricFamily(
///     name: "arbiter_requests_shed_total", help: "Requests refused under overload.", type: .counter,
///     samples: [.init(value: Double(transport.shedCount))])
/// let body = metrics.render(extra: [shed])
/// ```
public struct MetricFamily: Sendable, Hashable {
    /// The family type written on the `# TYPE` line.
    public enum Kind: String, Sendable, Hashable {
        /// A monotonically increasing count.
        case counter
        /// A value that can go up and down.
        case gauge
        /// Buckets, sum and count; samples carry the `_bucket`/`_sum`/`_count` suffixes.
        case histogram
        /// Quantiles, sum and count.
        case summary
        /// No declared type.
        case untyped
    }

    /// One line of the family: an optional name suffix, labels and a value.
    public struct Sample: Sendable, Hashable {
        /// Appended to the family name, for example `_bucket`; empty for plain counters and gauges.
        public var nameSuffix: String
        /// Label names and values; rendered sorted by name. Values are escaped when rendered.
        public var labels: [String: String]
        /// The sample value.
        public var value: Double

        /// Creates a sample.
        public init(nameSuffix: String = "", labels: [String: String] = [:], value: Double) {
            self.nameSuffix = nameSuffix
            self.labels = labels
            self.value = value
        }
    }

    /// The metric name; must match `[a-zA-Z_:][a-zA-Z0-9_:]*` (not checked).
    public var name: String
    /// The help text (escaped when rendered).
    public var help: String
    /// The family type.
    public var type: Kind
    /// The samples, rendered in this order.
    public var samples: [Sample]

    /// Creates a family.
    public init(name: String, help: String, type: Kind, samples: [Sample]) {
        self.name = name
        self.help = help
        self.type = type
        self.samples = samples
    }

    /// Appends the family's `# HELP`, `# TYPE` and sample lines to `output`.
    func render(into output: inout String) {
        output += "# HELP \(self.name) \(Self.escapeHelp(self.help))\n"
        output += "# TYPE \(self.name) \(self.type.rawValue)\n"
        for sample in self.samples {
            output += self.name
            output += sample.nameSuffix
            if !sample.labels.isEmpty {
                output += "{"
                var first = true
                // Sort by UTF-8 bytes, not canonical equivalence, for a stable order.
                for (key, value) in sample.labels.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
                    if !first { output += "," }
                    first = false
                    output += key
                    output += "=\""
                    output += Self.escapeLabelValue(value)
                    output += "\""
                }
                output += "}"
            }
            output += " "
            output += Self.formatValue(sample.value)
            output += "\n"
        }
    }

    /// Escapes a label value: backslash, double quote and line feed (exposition format 0.0.4).
    static func escapeLabelValue(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == 0x0A })
        else { return value }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(value.utf8.count + 8)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case 0x0A: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Escapes help text: backslash and line feed.
    static func escapeHelp(_ help: String) -> String {
        guard help.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == 0x0A }) else { return help }
        var bytes: [UInt8] = []
        for byte in help.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Formats a value as Go's `ParseFloat` reads it: integers without a fraction, `+Inf`, `-Inf`, `NaN`.
    static func formatValue(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if value == value.rounded(.towardZero) && abs(value) < 1e15 { return String(Int64(value)) }
        return String(describing: value)
    }
}
