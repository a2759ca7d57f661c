/// JSON text for the few bodies the webhook writes by hand (Kubernetes `Status`, discovery).
public enum JSONText {
    /// `value` as a quoted JSON string, escaped exactly as RFC 8259 requires, bytes unchanged.
    public static func quoted(_ value: String) -> String {
        var writer = JSONWriter(capacity: value.utf8.count + 8)
        writer.appendString(value)
        return String(decoding: writer.finish(), as: UTF8.self)
    }

    /// `["a","b"]`.
    public static func array(_ values: [String]) -> String {
        "[" + values.map(quoted).joined(separator: ",") + "]"
    }
}
