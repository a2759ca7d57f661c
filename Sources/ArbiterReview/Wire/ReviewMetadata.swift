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

    public init(name: String = "", namespace: String = "") {
        self.name = name
        self.namespace = namespace
    }
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
            } else {
                try reader.skipMember(key, &state, context)
            }
        }
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
