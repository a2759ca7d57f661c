/// A field or label selector of a list/watch request (`resourceAttributes.fieldSelector` and
/// `.labelSelector`, Kubernetes 1.31+).
///
/// kube-apiserver only sends ``requirements``. Requirements can only narrow a request, so an
/// authorizer may always ignore them and decide the broader request; Arbiter carries them for
/// echoing and for explanations. ``rawSelector`` is kept as sent and never parsed.
public struct ReviewSelector: Sendable {
    /// The selector as the client wrote it; empty when absent.
    public var rawSelector: String
    /// The parsed requirements, in order.
    public var requirements: [ReviewSelectorRequirement]

    public init(rawSelector: String = "", requirements: [ReviewSelectorRequirement] = []) {
        self.rawSelector = rawSelector
        self.requirements = requirements
    }
}

/// One requirement of a ``ReviewSelector``: `key operator values`.
public struct ReviewSelectorRequirement: Sendable {
    /// The field path or label key.
    public var key: String
    /// `In`, `NotIn`, `Exists` or `DoesNotExist` (label selectors also `Gt`/`Lt`); kept as sent.
    public var `operator`: String
    /// The values; empty for `Exists` and `DoesNotExist`.
    public var values: [String]

    public init(key: String, operator: String, values: [String] = []) {
        self.key = key
        self.operator = `operator`
        self.values = values
    }
}

// MARK: - Reading and writing

extension ReviewSelector {
    /// Reads a selector object, or returns `nil` for `null`.
    static func read(
        from reader: inout JSONReader,
        isLabelSelector: Bool
    ) throws(ReviewDecodingError) -> ReviewSelector? {
        let context = JSONContext(
            isLabelSelector ? "spec.resourceAttributes.labelSelector" : "spec.resourceAttributes.fieldSelector"
        )
        guard try reader.beginObject(context) else { return nil }
        var selector = ReviewSelector()
        var state = JSONObjectState()
        let requirementsContext = JSONContext(
            isLabelSelector
                ? "spec.resourceAttributes.labelSelector.requirements"
                : "spec.resourceAttributes.fieldSelector.requirements"
        )
        while let key = try reader.nextKey(&state, context) {
            if key.matches("rawSelector") {
                try reader.markKnown(0, key, &state, context)
                selector.rawSelector =
                    try reader.readString(
                        JSONContext(
                            isLabelSelector
                                ? "spec.resourceAttributes.labelSelector.rawSelector"
                                : "spec.resourceAttributes.fieldSelector.rawSelector"
                        )
                    ) ?? ""
            } else if key.matches("requirements") {
                try reader.markKnown(1, key, &state, context)
                guard try reader.beginArray(requirementsContext) else { continue }
                var isFirst = true
                while try reader.nextElement(&isFirst, requirementsContext) {
                    guard reader.base[reader.index] == UInt8(ascii: "{") else {
                        throw reader.typeMismatch(expected: "an object", requirementsContext.element)
                    }
                    selector.requirements.append(
                        try ReviewSelectorRequirement(reading: &reader, isLabelSelector: isLabelSelector)
                    )
                }
            } else {
                try reader.skipMember(key, &state, context)
            }
        }
        return selector
    }

    /// Writes the selector object (empty members omitted, as Go's `omitempty` does).
    func write(to writer: inout JSONWriter) {
        writer.append("{")
        var comma = false
        writer.appendField("\"rawSelector\":", rawSelector, comma: &comma)
        if !requirements.isEmpty {
            writer.appendKey("\"requirements\":", comma: &comma)
            writer.append("[")
            for (position, requirement) in requirements.enumerated() {
                if position > 0 { writer.append(",") }
                writer.append("{\"key\":")
                writer.appendString(requirement.key)
                writer.append(",\"operator\":")
                writer.appendString(requirement.operator)
                var valueComma = true
                writer.appendField("\"values\":", requirement.values, comma: &valueComma)
                writer.append("}")
            }
            writer.append("]")
        }
        writer.append("}")
    }
}

extension ReviewSelectorRequirement {
    /// Reads one requirement object (the reader is at its `{`).
    init(reading reader: inout JSONReader, isLabelSelector: Bool) throws(ReviewDecodingError) {
        let context = JSONContext(
            isLabelSelector
                ? "spec.resourceAttributes.labelSelector.requirements"
                : "spec.resourceAttributes.fieldSelector.requirements"
        )
        self.init(key: "", operator: "")
        _ = try reader.beginObject(context)
        var state = JSONObjectState()
        while let key = try reader.nextKey(&state, context) {
            if key.matches("key") {
                try reader.markKnown(0, key, &state, context)
                self.key =
                    try reader.readString(
                        JSONContext(
                            isLabelSelector
                                ? "spec.resourceAttributes.labelSelector.requirements.key"
                                : "spec.resourceAttributes.fieldSelector.requirements.key"
                        )
                    ) ?? ""
            } else if key.matches("operator") {
                try reader.markKnown(1, key, &state, context)
                self.operator =
                    try reader.readString(
                        JSONContext(
                            isLabelSelector
                                ? "spec.resourceAttributes.labelSelector.requirements.operator"
                                : "spec.resourceAttributes.fieldSelector.requirements.operator"
                        )
                    ) ?? ""
            } else if key.matches("values") {
                try reader.markKnown(2, key, &state, context)
                values =
                    try reader.readStringArray(
                        JSONContext(
                            isLabelSelector
                                ? "spec.resourceAttributes.labelSelector.requirements.values"
                                : "spec.resourceAttributes.fieldSelector.requirements.values"
                        )
                    ) ?? []
            } else {
                try reader.skipMember(key, &state, context)
            }
        }
    }
}
