/// A minimal parser for Prometheus text format 0.0.4, the oracle for ``WebhookMetrics`` output.
///
/// Returns every sample keyed by `name{label="value",…}` with labels sorted and values unescaped,
/// plus the declared type of each family. Any malformed line is recorded in `errors`.
struct PrometheusTextParser {
    var samples: [String: Double] = [:]
    var types: [String: String] = [:]
    var errors: [String] = []

    init(_ text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { continue }
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                if parts.count == 4 { self.types[String(parts[2])] = String(parts[3]) } else { self.errors.append(String(line)) }
                continue
            }
            if line.hasPrefix("#") { continue }
            self.parseSample(Array(line.utf8))
        }
    }

    static func key(_ name: String, _ labels: [String: String]) -> String {
        let sorted = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }
        return sorted.isEmpty ? name : "\(name){\(sorted.joined(separator: ","))}"
    }

    private mutating func parseSample(_ bytes: [UInt8]) {
        var index = 0
        var name: [UInt8] = []
        while index < bytes.count, bytes[index] != UInt8(ascii: "{"), bytes[index] != UInt8(ascii: " ") {
            name.append(bytes[index])
            index += 1
        }
        var labels: [String: String] = [:]
        if index < bytes.count, bytes[index] == UInt8(ascii: "{") {
            index += 1
            while index < bytes.count, bytes[index] != UInt8(ascii: "}") {
                var key: [UInt8] = []
                while index < bytes.count, bytes[index] != UInt8(ascii: "=") {
                    key.append(bytes[index])
                    index += 1
                }
                index += 1
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                    self.errors.append(String(decoding: bytes, as: UTF8.self))
                    return
                }
                index += 1
                var value: [UInt8] = []
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count {
                        index += 1
                        switch bytes[index] {
                        case UInt8(ascii: "n"): value.append(0x0A)
                        case UInt8(ascii: "\\"), UInt8(ascii: "\""): value.append(bytes[index])
                        default:
                            self.errors.append("bad escape: " + String(decoding: bytes, as: UTF8.self))
                            return
                        }
                    } else {
                        value.append(bytes[index])
                    }
                    index += 1
                }
                index += 1
                labels[String(decoding: key, as: UTF8.self)] = String(decoding: value, as: UTF8.self)
                if index < bytes.count, bytes[index] == UInt8(ascii: ",") { index += 1 }
            }
            index += 1
        }
        guard index < bytes.count, bytes[index] == UInt8(ascii: " ") else {
            self.errors.append(String(decoding: bytes, as: UTF8.self))
            return
        }
        let text = String(decoding: bytes[(index + 1)...], as: UTF8.self)
        let value: Double? =
            switch text {
            case "+Inf": .infinity
            case "-Inf": -.infinity
            case "NaN": .nan
            default: Double(text)
            }
        guard let value else {
            self.errors.append(String(decoding: bytes, as: UTF8.self))
            return
        }
        let key = Self.key(String(decoding: name, as: UTF8.self), labels)
        if self.samples[key] != nil { self.errors.append("duplicate sample \(key)") }
        self.samples[key] = value
    }
}
