/// The part of a review's `metadata` (Kubernetes `ObjectMeta`) that Arbiter keeps.
///
/// Reviews are not stored objects, so kube-apiserver sends `{"creationTimestamp": null}` at most.
/// `name` and `namespace` are kept (a LocalSubjectAccessReview is bound to its namespace); every
/// other field is validated and dropped.
public struct ReviewMetadata: Sendable {
    /// `metadata.name`; empty when absent.
    public var name: String
    /// `metadata.namespace`; empty when absent.
    public var namespace: String
    /// The other `ObjectMeta` fields the body set to something other than their zero value
    /// (`null`, `""`, `0`, `false`, `{}`, `[]`; for the pointer fields `deletionTimestamp` and
    /// `deletionGracePeriodSeconds`, only `null`), in the order sent. `managedFields` and keys
    /// that are not `ObjectMeta` fields are not counted, as kube-apiserver ignores them.
    /// kube-apiserver's REST endpoints require a review's metadata to be empty.
    public internal(set) var setFields: [String] = []

    public init(name: String = "", namespace: String = "") {
        self.name = name
        self.namespace = namespace
    }

    /// The fields kube-apiserver's validation finds set (`ValidateSubjectAccessReview`: the
    /// metadata must equal an empty `ObjectMeta`), the namespace left out when it may be set (a
    /// LocalSubjectAccessReview's). Empty when the metadata is empty.
    public func fieldsSet(allowingNamespace: Bool) -> [String] {
        var fields: [String] = []
        if !name.isEmpty { fields.append("name") }
        if !namespace.isEmpty && !allowingNamespace { fields.append("namespace") }
        return fields + setFields
    }

    /// `ObjectMeta`'s other JSON fields and protobuf field numbers; `isPointer` when Go holds
    /// the field as a pointer, so that any value but `null` sets it.
    static let otherFields: [(name: StaticString, number: UInt64, isPointer: Bool)] = [
        ("generateName", 2, false), ("selfLink", 4, false), ("uid", 5, false), ("resourceVersion", 6, false),
        ("generation", 7, false), ("creationTimestamp", 8, false), ("deletionTimestamp", 9, true),
        ("deletionGracePeriodSeconds", 10, true), ("labels", 11, false), ("annotations", 12, false),
        ("ownerReferences", 13, false), ("finalizers", 14, false),
    ]
}

extension ReviewMetadata {
    /// Reads `metadata` into `self`, which is empty; `null` leaves it empty.
    mutating func read(from reader: inout JSONReader) throws(ReviewDecodingError) {
        let context = JSONContext("metadata")
        guard try reader.beginObject(context) else { return }
        var state = JSONObjectState()
        while let key = try reader.nextKey(&state, context) {
            if key.matches("name") {
                try reader.markKnown(0, key, &state, context)
                name = try reader.readString(JSONContext("metadata.name")) ?? ""
            } else if key.matches("namespace") {
                try reader.markKnown(1, key, &state, context)
                namespace = try reader.readString(JSONContext("metadata.namespace")) ?? ""
            } else if let field = Self.otherFields.first(where: { key.matches($0.name) }) {
                try reader.markOther(key, &state, context)
                _ = try reader.peekByte(context)
                let start = reader.index
                try reader.skipValue(context.member(key))
                if !Self.isZero(reader.base + start, reader.index - start, isPointer: field.isPointer) {
                    setFields.append(field.name.description)
                }
            } else {
                try reader.skipMember(key, &state, context)
            }
        }
    }

    /// Whether a JSON value (valid, as the reader skipped it) is its Go field's zero value:
    /// `null`, or for a value field also `""`, `0`, `false`, `{}` or `[]`.
    static func isZero(_ value: UnsafePointer<UInt8>, _ count: Int, isPointer: Bool) -> Bool {
        let bytes = UnsafeBufferPointer(start: value, count: count)
        if bytes.elementsEqual("null".utf8) { return true }
        if isPointer { return false }
        // A string is zero only when empty (`" "` is not); whitespace counts only between the
        // brackets of `{ }` and `[ ]`.
        if bytes.first == UInt8(ascii: "\"") { return count == 2 }
        let text = bytes.filter { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        return ["0", "-0", "false", "{}", "[]"].contains { text.elementsEqual($0.utf8) }
    }

    /// Writes `"metadata":{...}` the way Go's `ObjectMeta` marshals a review: `name`, `namespace`
    /// when set, then `"creationTimestamp":null`.
    func write(to writer: inout JSONWriter) {
        writer.append("\"metadata\":{")
        if !name.isEmpty {
            writer.append("\"name\":")
            writer.appendString(name)
            writer.append(",")
        }
        if !namespace.isEmpty {
            writer.append("\"namespace\":")
            writer.appendString(namespace)
            writer.append(",")
        }
        writer.append("\"creationTimestamp\":null}")
    }
}
