// MARK: - Decoding, validation and encoding

extension SelfSubjectRulesReview {
    /// Parses and validates a SelfSubjectRulesReview body.
    ///
    /// - Throws: ``ReviewDecodingError`` for malformed JSON, a broken limit, a wrong JSON type for
    ///   a known field, an unsupported `apiVersion` or a `kind` other than `SelfSubjectRulesReview`.
    public static func decode(
        _ bytes: [UInt8],
        limits: ReviewDecodingLimits = .default
    ) throws(ReviewDecodingError) -> SelfSubjectRulesReview {
        let review = try SelfSubjectRulesReview(json: bytes, limits: limits)
        try review.validate()
        return review
    }

    /// Parses a SelfSubjectRulesReview body without validating it; the JSON rules are those of
    /// ``SubjectAccessReview/init(json:limits:defaultVersion:)-(UnsafeRawBufferPointer,_,_)``.
    public init(json bytes: UnsafeRawBufferPointer, limits: ReviewDecodingLimits = .default) throws(ReviewDecodingError)
    {
        self.init(apiVersion: "", kind: "")
        var reader = try JSONReader(body: bytes, limits: limits)
        defer { reader.releaseScratch() }
        try read(from: &reader)
    }

    /// Parses a SelfSubjectRulesReview body held in an array; see
    /// ``init(json:limits:)-(UnsafeRawBufferPointer,_)``.
    public init(json bytes: [UInt8], limits: ReviewDecodingLimits = .default) throws(ReviewDecodingError) {
        // `withUnsafeBytes` rethrows untyped errors: carry the typed one out by hand.
        var failure: ReviewDecodingError? = nil
        self = bytes.withUnsafeBytes { buffer in
            do throws(ReviewDecodingError) {
                return try SelfSubjectRulesReview(json: buffer, limits: limits)
            } catch {
                failure = error
                return SelfSubjectRulesReview()
            }
        }
        if let failure { throw failure }
    }

    /// Checks the version and the kind (byte-exact).
    public func validate() throws(ReviewDecodingError) {
        guard version != nil else {
            throw ReviewDecodingError(
                .unsupportedAPIVersion,
                message:
                    "unsupported apiVersion \(quotedValue(apiVersion)) (expected `authorization.k8s.io/v1` or `authorization.k8s.io/v1beta1`)"
            )
        }
        guard utf8Equal(kind, ReviewKind.selfSubjectRulesReview.rawValue) else {
            throw ReviewDecodingError(
                .unexpectedKind,
                message: "unexpected kind \(quotedValue(kind)) (expected `SelfSubjectRulesReview`)"
            )
        }
    }

    /// The review as compact JSON in Go's field order: `kind`, `apiVersion`, `metadata`, `spec`,
    /// `status` (with both rule lists always present, as Go writes them).
    public func jsonBytes() -> [UInt8] {
        JSONWriter.makeBytes(capacity: 1000) { writer in
            writer.append("{\"kind\":")
            writer.appendString(kind)
            writer.append(",\"apiVersion\":")
            writer.appendString(apiVersion)
            writer.append(",")
            metadata.write(to: &writer)
            writer.append(",\"spec\":{")
            var comma = false
            writer.appendField("\"namespace\":", spec.namespace, comma: &comma)
            writer.append("},\"status\":{\"resourceRules\":[")
            for (position, rule) in status.resourceRules.enumerated() {
                writer.append(position > 0 ? ",{\"verbs\":" : "{\"verbs\":")
                writer.appendStringArray(rule.verbs)
                var ruleComma = true
                writer.appendField("\"apiGroups\":", rule.apiGroups, comma: &ruleComma)
                writer.appendField("\"resources\":", rule.resources, comma: &ruleComma)
                writer.appendField("\"resourceNames\":", rule.resourceNames, comma: &ruleComma)
                writer.append("}")
            }
            writer.append("],\"nonResourceRules\":[")
            for (position, rule) in status.nonResourceRules.enumerated() {
                writer.append(position > 0 ? ",{\"verbs\":" : "{\"verbs\":")
                writer.appendStringArray(rule.verbs)
                var ruleComma = true
                writer.appendField("\"nonResourceURLs\":", rule.nonResourceURLs, comma: &ruleComma)
                writer.append("}")
            }
            writer.append(status.incomplete ? "],\"incomplete\":true" : "],\"incomplete\":false")
            var statusComma = true
            writer.appendField("\"evaluationError\":", status.evaluationError, comma: &statusComma)
            writer.append("}}")
        }
    }

    // MARK: - Reading

    private mutating func read(from reader: inout JSONReader) throws(ReviewDecodingError) {
        let context = JSONContext.root
        guard try reader.peekByte(context) == UInt8(ascii: "{") else {
            throw reader.typeMismatch(expected: "an object", context)
        }
        _ = try reader.beginObject(context)
        var state = JSONObjectState()
        while let key = try reader.nextKey(&state, context) {
            if key.matches("apiVersion") {
                try reader.markKnown(0, key, &state, context)
                apiVersion = try reader.readString(JSONContext("apiVersion")) ?? ""
            } else if key.matches("kind") {
                try reader.markKnown(1, key, &state, context)
                kind = try reader.readString(JSONContext("kind")) ?? ""
            } else if key.matches("metadata") {
                try reader.markKnown(2, key, &state, context)
                try metadata.read(from: &reader)
            } else if key.matches("spec") {
                try reader.markKnown(3, key, &state, context)
                try readSpec(from: &reader)
            } else if key.matches("status") {
                try reader.markKnown(4, key, &state, context)
                try readStatus(from: &reader)
            } else {
                try reader.skipMember(key, &state, context)
            }
        }
        try reader.finish()
    }

    private mutating func readSpec(from reader: inout JSONReader) throws(ReviewDecodingError) {
        let context = JSONContext("spec")
        guard try reader.beginObject(context) else { return }
        var state = JSONObjectState()
        while let key = try reader.nextKey(&state, context) {
            if key.matches("namespace") {
                try reader.markKnown(0, key, &state, context)
                spec.namespace = try reader.readString(JSONContext("spec.namespace")) ?? ""
            } else {
                try reader.skipMember(key, &state, context)
            }
        }
    }

    private mutating func readStatus(from reader: inout JSONReader) throws(ReviewDecodingError) {
        let context = JSONContext("status")
        guard try reader.beginObject(context) else { return }
        var state = JSONObjectState()
        while let key = try reader.nextKey(&state, context) {
            if key.matches("resourceRules") {
                try reader.markKnown(0, key, &state, context)
                let rulesContext = JSONContext("status.resourceRules")
                guard try reader.beginArray(rulesContext) else { continue }
                var isFirst = true
                while try reader.nextElement(&isFirst, rulesContext) {
                    status.resourceRules.append(try Self.readResourceRule(from: &reader))
                }
            } else if key.matches("nonResourceRules") {
                try reader.markKnown(1, key, &state, context)
                let rulesContext = JSONContext("status.nonResourceRules")
                guard try reader.beginArray(rulesContext) else { continue }
                var isFirst = true
                while try reader.nextElement(&isFirst, rulesContext) {
                    status.nonResourceRules.append(try Self.readNonResourceRule(from: &reader))
                }
            } else if key.matches("incomplete") {
                try reader.markKnown(2, key, &state, context)
                status.incomplete = try reader.readBool(JSONContext("status.incomplete")) ?? false
            } else if key.matches("evaluationError") {
                try reader.markKnown(3, key, &state, context)
                status.evaluationError = try reader.readString(JSONContext("status.evaluationError")) ?? ""
            } else {
                try reader.skipMember(key, &state, context)
            }
        }
    }

    private static func readResourceRule(from reader: inout JSONReader) throws(ReviewDecodingError) -> ResourceRule {
        let context = JSONContext("status.resourceRules")
        guard try reader.peekByte(context) == UInt8(ascii: "{") else {
            throw reader.typeMismatch(expected: "an object", context.element)
        }
        _ = try reader.beginObject(context)
        var rule = ResourceRule(verbs: [])
        var state = JSONObjectState()
        while let key = try reader.nextKey(&state, context) {
            if key.matches("verbs") {
                try reader.markKnown(0, key, &state, context)
                rule.verbs = try reader.readStringArray(JSONContext("status.resourceRules.verbs")) ?? []
            } else if key.matches("apiGroups") {
                try reader.markKnown(1, key, &state, context)
                rule.apiGroups = try reader.readStringArray(JSONContext("status.resourceRules.apiGroups")) ?? []
            } else if key.matches("resources") {
                try reader.markKnown(2, key, &state, context)
                rule.resources = try reader.readStringArray(JSONContext("status.resourceRules.resources")) ?? []
            } else if key.matches("resourceNames") {
                try reader.markKnown(3, key, &state, context)
                rule.resourceNames = try reader.readStringArray(JSONContext("status.resourceRules.resourceNames")) ?? []
            } else {
                try reader.skipMember(key, &state, context)
            }
        }
        return rule
    }

    private static func readNonResourceRule(
        from reader: inout JSONReader
    ) throws(ReviewDecodingError) -> NonResourceRule {
        let context = JSONContext("status.nonResourceRules")
        guard try reader.peekByte(context) == UInt8(ascii: "{") else {
            throw reader.typeMismatch(expected: "an object", context.element)
        }
        _ = try reader.beginObject(context)
        var rule = NonResourceRule(verbs: [])
        var state = JSONObjectState()
        while let key = try reader.nextKey(&state, context) {
            if key.matches("verbs") {
                try reader.markKnown(0, key, &state, context)
                rule.verbs = try reader.readStringArray(JSONContext("status.nonResourceRules.verbs")) ?? []
            } else if key.matches("nonResourceURLs") {
                try reader.markKnown(1, key, &state, context)
                rule.nonResourceURLs =
                    try reader.readStringArray(JSONContext("status.nonResourceRules.nonResourceURLs")) ?? []
            } else {
                try reader.skipMember(key, &state, context)
            }
        }
        return rule
    }
}
