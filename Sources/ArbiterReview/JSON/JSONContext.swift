/// Where in the document the reader is, for error messages only.
///
/// Known objects name themselves with a static path (`spec.resourceAttributes`); inside a skipped
/// value the context is that path plus the unknown key that holds it (`metadata.labels`). Nothing
/// is formatted unless an error is thrown.
struct JSONContext {
    /// The dotted path of the known object or field; empty for the top-level object.
    var path: StaticString
    /// Up to two more path components below ``path`` (for objects read under several paths,
    /// such as the two selectors).
    var components: (StaticString?, StaticString?) = (nil, nil)
    /// The unknown key (raw, as sent) under ``path`` that holds a skipped value: offsets of its
    /// first and one-past-last content byte.
    var memberKey: (start: Int, end: Int)? = nil
    /// The reader is at an element of the array at ``path``.
    var isElement = false

    init(_ path: StaticString) {
        self.path = path
    }

    /// The context of the known field `name` below this one.
    func child(_ name: StaticString) -> JSONContext {
        var context = self
        if context.components.0 == nil {
            context.components.0 = name
        } else {
            context.components.1 = name
        }
        return context
    }

    /// The top-level object.
    static let root = JSONContext("")

    /// The context of the value of unknown `key` inside this one (kept as is when already inside
    /// a skipped value).
    func member(_ key: JSONKey) -> JSONContext {
        guard memberKey == nil else { return self }
        var context = self
        context.memberKey = (key.offset + 1, key.rawEnd - 1)
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
        for component in [components.0, components.1] {
            if let component { name += ".\(component)" }
        }
        if let memberKey {
            let raw = reader.quotedRaw(from: memberKey.start, to: memberKey.end)
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
