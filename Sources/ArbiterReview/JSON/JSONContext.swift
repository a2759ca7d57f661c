/// Where in the document the reader is, for error messages only.
///
/// Known objects and fields name themselves with a static dotted path (`spec.resourceAttributes`);
/// inside a skipped value the context is that path plus the unknown key that holds it
/// (`metadata.labels`). Nothing is formatted unless an error is thrown, and the context is small
/// enough to pass in registers on the hot path.
struct JSONContext {
    /// The dotted path of the known object or field; empty for the top-level object.
    var path: StaticString
    /// The unknown key (raw, as sent) under ``path`` that holds a skipped value: offsets of its
    /// first and one-past-last content byte, or -1.
    var memberStart: Int32 = -1
    var memberEnd: Int32 = -1
    /// The reader is at an element of the array at ``path``.
    var isElement = false

    init(_ path: StaticString) {
        self.path = path
    }

    /// The top-level object.
    static let root = JSONContext("")

    /// The context of the value of unknown `key` inside this one (kept as is when already inside
    /// a skipped value).
    func member(_ key: JSONKey) -> JSONContext {
        guard memberStart < 0 else { return self }
        var context = self
        // Bodies are far below 2 GiB (ReviewDecodingLimits); clamp anyway.
        context.memberStart = Int32(clamping: key.offset + 1)
        context.memberEnd = Int32(clamping: key.rawEnd - 1)
        return context
    }

    /// The context of an element of this array.
    var element: JSONContext {
        var context = self
        context.isElement = true
        return context
    }

    /// The path for a message, with backticks: `` `spec.user` ``, or `nil` at the top level.
    func name(_ reader: JSONReader) -> String? {
        var name = path.utf8CodeUnitCount == 0 ? "" : path.description
        if memberStart >= 0 {
            let raw = reader.quotedRaw(from: Int(memberStart), to: Int(memberEnd))
            name += (name.isEmpty ? "" : ".") + raw.dropFirst().dropLast()
        }
        return name.isEmpty ? nil : "`\(name)`"
    }

    /// `in `spec`` or `at the top level`.
    func inPhrase(_ reader: JSONReader) -> String {
        guard let name = name(reader) else { return "at the top level" }
        return "in \(name)"
    }

    /// `for `spec.user``, `in `spec.groups`` for elements, or `for the review`.
    func forPhrase(_ reader: JSONReader) -> String {
        guard let name = name(reader) else { return "for the review" }
        return isElement ? "in \(name)" : "for \(name)"
    }
}
