// MARK: - `spec.extra`, kept as validated JSON until it is read

extension SubjectAccessReview.Spec {
    /// Where ``extra`` lives: decoded entries, or the JSON object the decoder validated.
    ///
    /// Building the entries costs an array per entry, one for the entry list and a string per key
    /// and value (most are too long for Swift's inline strings), while the hot path (policy
    /// evaluation and the status-only webhook answer) never reads them. So the decoder checks
    /// `spec.extra` exactly as strictly as any other field, copies its bytes into one array, and
    /// the entries are built from that copy when someone asks for them.
    enum ExtraStorage: Sendable {
        case entries([SubjectAccessReview.ExtraEntry])
        /// A JSON object of string arrays (or `null`s) with `count` members, already validated
        /// by the decoder: UTF-8, escapes, types, unique keys. `count` is at least 1.
        case json([UInt8], count: Int)

        /// The entries, built from the JSON if that is what is stored.
        var entries: [SubjectAccessReview.ExtraEntry] {
            switch self {
            case .entries(let entries):
                return entries
            case .json(let bytes, _):
                return Self.decodeValidated(bytes)
            }
        }

        /// Whether there are no entries.
        var isEmpty: Bool {
            switch self {
            case .entries(let entries): return entries.isEmpty
            case .json: return false
            }
        }

        /// Reads the stored object again; it cannot fail, because the decoder has validated these
        /// very bytes under limits at least as strict as the ones used here.
        private static func decodeValidated(_ bytes: [UInt8]) -> [SubjectAccessReview.ExtraEntry] {
            bytes.withUnsafeBufferPointer { buffer in
                var reader = JSONReader(buffer.baseAddress!, count: buffer.count, limits: .validatedSpan)
                defer { reader.releaseScratch() }
                do throws(ReviewDecodingError) {
                    return try SubjectAccessReview.Spec.readExtra(from: &reader)
                } catch {
                    preconditionFailure("spec.extra changed after it was validated: \(error)")
                }
            }
        }

        /// Writes the stored entries as a JSON object, keys sorted by their bytes (Go's map order).
        func write(to writer: inout JSONWriter) {
            switch self {
            case .json(let bytes, count: 1):
                // One entry is already in order: copy it across string by string, escaped the
                // way the writer escapes, without building Strings.
                bytes.withUnsafeBufferPointer { buffer in
                    var reader = JSONReader(buffer.baseAddress!, count: buffer.count, limits: .validatedSpan)
                    defer { reader.releaseScratch() }
                    do throws(ReviewDecodingError) {
                        try Self.copyValidatedEntry(from: &reader, to: &writer)
                    } catch {
                        preconditionFailure("spec.extra changed after it was validated: \(error)")
                    }
                }
            default:
                let entries = self.entries
                let sorted =
                    entries.count < 2 ? entries : entries.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                writer.append("{")
                for (position, entry) in sorted.enumerated() {
                    if position > 0 { writer.append(",") }
                    writer.appendString(entry.key)
                    writer.append(":")
                    writer.appendStringArray(entry.values)
                }
                writer.append("}")
            }
        }

        /// Copies a validated one-member object of string arrays; `null` is written as `[]`, as
        /// the entries would be.
        private static func copyValidatedEntry(
            from reader: inout JSONReader,
            to writer: inout JSONWriter
        ) throws(ReviewDecodingError) {
            let context = JSONContext("spec.extra")
            _ = try reader.beginObject(context)
            var state = JSONObjectState()
            writer.append("{")
            while let key = try reader.nextKey(&state, context) {
                // The key may live in the scratch buffer: write it before reading the values.
                writer.appendString(UnsafeBufferPointer(start: key.pointer, count: key.count))
                writer.append(":[")
                if try reader.beginArray(context) {
                    var isFirst = true
                    var comma = false
                    while try reader.nextElement(&isFirst, context) {
                        let (pointer, count, _) = try reader.scanString()
                        if comma { writer.append(",") }
                        comma = true
                        writer.appendString(UnsafeBufferPointer(start: pointer, count: count))
                    }
                }
                writer.append("]")
            }
            writer.append("}")
        }
    }
}

extension ReviewDecodingLimits {
    /// Limits for reading bytes again that were validated under the caller's limits (which can
    /// only be stricter).
    static let validatedSpan = ReviewDecodingLimits(maxBodyBytes: .max, maxStringBytes: .max, maxDepth: 512)
}
