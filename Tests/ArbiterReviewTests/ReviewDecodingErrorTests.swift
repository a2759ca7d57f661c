import ArbiterReview
import Testing

/// One malformed body and the error class it must produce.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    var label: String
    var bytes: [UInt8]
    var code: ReviewDecodingError.Code
    var limits = ReviewDecodingLimits.default

    init(_ label: String, _ json: String, _ code: ReviewDecodingError.Code, limits: ReviewDecodingLimits = .default) {
        self.label = label
        self.bytes = Array(json.utf8)
        self.code = code
        self.limits = limits
    }

    init(_ label: String, bytes: [UInt8], _ code: ReviewDecodingError.Code) {
        self.label = label
        self.bytes = bytes
        self.code = code
    }

    var testDescription: String { label }
}

/// `{"spec":{"user":"` + bytes + `"}}`: raw bytes inside a known string.
func userStringBody(_ bytes: [UInt8]) -> [UInt8] {
    Array(#"{"spec":{"user":""#.utf8) + bytes + Array(#""}}"#.utf8)
}

/// `{"x":"` + bytes + `"}`: raw bytes inside a skipped string.
func unknownStringBody(_ bytes: [UInt8]) -> [UInt8] {
    Array(#"{"x":""#.utf8) + bytes + Array(#""}"#.utf8)
}

let malformedCases: [MalformedCase] = [
    // Limits
    MalformedCase(
        "body over the limit",
        #"{"kind":"SubjectAccessReview"}"#,
        .bodyTooLarge,
        limits: ReviewDecodingLimits(maxBodyBytes: 10)
    ),
    MalformedCase(
        "string over the limit",
        #"{"spec":{"user":"abcdefgh"}}"#,
        .stringTooLong,
        limits: ReviewDecodingLimits(maxStringBytes: 7)
    ),
    MalformedCase(
        "key over the limit",
        #"{"abcdefghij":1}"#,
        .stringTooLong,
        limits: ReviewDecodingLimits(maxStringBytes: 7)
    ),
    MalformedCase(
        "skipped string over the limit",
        #"{"x":["abcdefghij"]}"#,
        .stringTooLong,
        limits: ReviewDecodingLimits(maxStringBytes: 7)
    ),
    MalformedCase(
        "65 levels of nesting",
        #"{"x":"# + String(repeating: "[", count: 64) + String(repeating: "]", count: 64) + "}",
        .nestingTooDeep
    ),
    MalformedCase(
        "nesting over a lower limit",
        #"{"spec":{"extra":{}}}"#,
        .nestingTooDeep,
        limits: ReviewDecodingLimits(maxDepth: 2)
    ),
    // End of input
    MalformedCase("empty body", "", .unexpectedEndOfInput),
    MalformedCase("only whitespace", " \n\t", .unexpectedEndOfInput),
    MalformedCase("open object", "{", .unexpectedEndOfInput),
    MalformedCase("missing value", #"{"a":"#, .unexpectedEndOfInput),
    MalformedCase("unterminated string", #"{"a":"x"#, .unexpectedEndOfInput),
    MalformedCase("unterminated array", #"{"a":[1,2"#, .unexpectedEndOfInput),
    MalformedCase("truncated literal", #"{"a":tr"#, .unexpectedEndOfInput),
    MalformedCase("truncated escape", #"{"a":"\u12"#, .unexpectedEndOfInput),
    // Syntax
    MalformedCase("bare word", #"{"a":x}"#, .unexpectedCharacter),
    MalformedCase("missing colon", #"{"a" 1}"#, .unexpectedCharacter),
    MalformedCase("leading comma", #"{,"a":1}"#, .unexpectedCharacter),
    MalformedCase("trailing comma in object", #"{"a":1,}"#, .unexpectedCharacter),
    MalformedCase("trailing comma in array", #"{"a":[1,]}"#, .unexpectedCharacter),
    MalformedCase("missing comma", #"{"a":1 "b":2}"#, .unexpectedCharacter),
    MalformedCase("single quotes", #"{'a':1}"#, .unexpectedCharacter),
    MalformedCase("misspelt literal", #"{"a":trve}"#, .unexpectedCharacter),
    MalformedCase("capitalised literal", #"{"a":True}"#, .unexpectedCharacter),
    MalformedCase("plus sign", #"{"a":+1}"#, .unexpectedCharacter),
    MalformedCase("leading dot", #"{"a":.5}"#, .unexpectedCharacter),
    MalformedCase("non-breaking space as whitespace", "{\u{A0}}", .unexpectedCharacter),
    MalformedCase("comment", #"{/*c*/}"#, .unexpectedCharacter),
    MalformedCase("byte order mark", "\u{FEFF}{}", .unexpectedCharacter),
    // Numbers
    MalformedCase("leading zero", #"{"a":01}"#, .invalidNumber),
    MalformedCase("negative leading zero", #"{"a":-01}"#, .invalidNumber),
    MalformedCase("bare minus", #"{"a":-}"#, .invalidNumber),
    MalformedCase("trailing dot", #"{"a":1.}"#, .invalidNumber),
    MalformedCase("empty exponent", #"{"a":1e}"#, .invalidNumber),
    MalformedCase("signed empty exponent", #"{"a":1E+}"#, .invalidNumber),
    // Strings
    MalformedCase("unknown escape", #"{"a":"\x"}"#, .invalidEscape),
    MalformedCase("escaped single quote", #"{"a":"\'"}"#, .invalidEscape),
    MalformedCase("bad hex digit", #"{"a":"\u12G4"}"#, .invalidEscape),
    MalformedCase("lone high surrogate", #"{"a":"\uD800"}"#, .unpairedSurrogate),
    MalformedCase("lone low surrogate", #"{"a":"\uDC00"}"#, .unpairedSurrogate),
    MalformedCase("high surrogate then letter", #"{"a":"\uD800x"}"#, .unpairedSurrogate),
    MalformedCase("high surrogate then non-surrogate escape", #"{"spec":{"user":"\uD800\u0041"}}"#, .unpairedSurrogate),
    MalformedCase("two high surrogates", #"{"a":"\uD800\uD800"}"#, .unpairedSurrogate),
    MalformedCase("raw newline in a string", bytes: userStringBody([0x0A]), .controlCharacterInString),
    MalformedCase("raw NUL in a string", bytes: unknownStringBody([0x41, 0x00]), .controlCharacterInString),
    MalformedCase(
        "raw 0x1F in a key",
        bytes: Array(#"{"a"#.utf8) + [0x1F] + Array(#"":1}"#.utf8),
        .controlCharacterInString
    ),
    MalformedCase(
        "raw tab after an escape",
        bytes: userStringBody(Array(#"\n"#.utf8) + [0x09]),
        .controlCharacterInString
    ),
    // UTF-8
    MalformedCase("overlong slash", bytes: userStringBody([0xC0, 0xAF]), .invalidUTF8),
    MalformedCase("overlong NUL", bytes: unknownStringBody([0xC1, 0x80]), .invalidUTF8),
    MalformedCase("overlong three-byte", bytes: userStringBody([0xE0, 0x80, 0xAF]), .invalidUTF8),
    MalformedCase("overlong four-byte", bytes: userStringBody([0xF0, 0x80, 0x80, 0xAF]), .invalidUTF8),
    MalformedCase("UTF-8 encoded surrogate", bytes: userStringBody([0xED, 0xA0, 0x80]), .invalidUTF8),
    MalformedCase("above U+10FFFF", bytes: userStringBody([0xF4, 0x90, 0x80, 0x80]), .invalidUTF8),
    MalformedCase("F5 lead byte", bytes: userStringBody([0xF5, 0x80, 0x80, 0x80]), .invalidUTF8),
    MalformedCase("stray continuation byte", bytes: userStringBody([0x41, 0x80]), .invalidUTF8),
    MalformedCase("truncated sequence before the quote", bytes: userStringBody([0xE2, 0x82]), .invalidUTF8),
    MalformedCase("truncated sequence at the end of the body", bytes: Array(#"{"a":""#.utf8) + [0xE2], .invalidUTF8),
    MalformedCase("0xFF", bytes: unknownStringBody([0xFF]), .invalidUTF8),
    MalformedCase("invalid UTF-8 in a key", bytes: [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D], .invalidUTF8),
    MalformedCase(
        "invalid UTF-8 after an escape",
        bytes: userStringBody(Array(#"\t"#.utf8) + [0xC3, 0x28]),
        .invalidUTF8
    ),
    MalformedCase("raw byte outside strings", bytes: [0x7B, 0xC3, 0xA9, 0x7D], .unexpectedCharacter),
    // Trailing data
    MalformedCase("second object", "{}{}", .trailingData),
    MalformedCase("garbage after the object", "{} x", .trailingData),
    MalformedCase("NUL after the object", "{}\u{0}", .trailingData),
    // Duplicate keys
    MalformedCase("top-level duplicate", #"{"kind":"a","kind":"b"}"#, .duplicateKey),
    MalformedCase("duplicate in spec", #"{"spec":{"user":"a","groups":[],"user":"b"}}"#, .duplicateKey),
    MalformedCase("duplicate through an escape", #"{"spec":{"user":"a","\u0075ser":"b"}}"#, .duplicateKey),
    MalformedCase("duplicate unknown key", #"{"x":1,"x":2}"#, .duplicateKey),
    MalformedCase("duplicate unknown key among many", #"{"a":1,"b":2,"c":3,"d":4,"b":5}"#, .duplicateKey),
    MalformedCase("duplicate unknown escaped key", #"{"\u0078":1,"x":2}"#, .duplicateKey),
    MalformedCase("duplicate in a skipped object", #"{"metadata":{"labels":{"a":"1","a":"2"}}}"#, .duplicateKey),
    MalformedCase("duplicate in a skipped array", #"{"x":[{"a":1},{"b":1,"b":2}]}"#, .duplicateKey),
    MalformedCase("duplicate extra key", #"{"spec":{"extra":{"k":["a"],"k":["b"]}}}"#, .duplicateKey),
    MalformedCase("duplicate null status field", #"{"status":{"allowed":null,"allowed":true}}"#, .duplicateKey),
    MalformedCase(
        "duplicate in resourceAttributes",
        #"{"spec":{"resourceAttributes":{"verb":"get","verb":"list"}}}"#,
        .duplicateKey
    ),
    MalformedCase("groups and group both twice", #"{"spec":{"group":[],"group":["a"]}}"#, .duplicateKey),
    // Types of known fields
    MalformedCase("top-level array", "[]", .typeMismatch),
    MalformedCase("top-level null", "null", .typeMismatch),
    MalformedCase("top-level string", #""x""#, .typeMismatch),
    MalformedCase("number for user", #"{"spec":{"user":5}}"#, .typeMismatch),
    MalformedCase("string for groups", #"{"spec":{"groups":"a"}}"#, .typeMismatch),
    MalformedCase("null group element", #"{"spec":{"groups":["a",null]}}"#, .typeMismatch),
    MalformedCase("array for spec", #"{"spec":[]}"#, .typeMismatch),
    MalformedCase("string for allowed", #"{"status":{"allowed":"true"}}"#, .typeMismatch),
    MalformedCase("number for apiVersion", #"{"apiVersion":1}"#, .typeMismatch),
    MalformedCase("string for extra", #"{"spec":{"extra":"a"}}"#, .typeMismatch),
    MalformedCase("string for an extra value", #"{"spec":{"extra":{"k":"a"}}}"#, .typeMismatch),
    MalformedCase(
        "string for a requirement",
        #"{"spec":{"resourceAttributes":{"labelSelector":{"requirements":["a"]}}}}"#,
        .typeMismatch
    ),
    MalformedCase("object for metadata.name", #"{"metadata":{"name":{}}}"#, .typeMismatch),
]

@Suite struct ReviewDecodingErrorTests {
    @Test(arguments: malformedCases)
    func rejectsMalformedBody(_ testCase: MalformedCase) {
        #expect(throws: ReviewDecodingError(testCase.code)) {
            try SubjectAccessReview(json: testCase.bytes, limits: testCase.limits)
        }
    }

    @Test func everyParsingErrorCodeIsCovered() {
        let validationCodes: Set<ReviewDecodingError.Code> = [
            .unsupportedAPIVersion, .unexpectedKind, .missingAttributes, .conflictingAttributes, .missingSubject,
            .namespaceMismatch,
        ]
        let covered = Set(malformedCases.map(\.code))
        for code in ReviewDecodingError.Code.allCases where !validationCodes.contains(code) {
            #expect(covered.contains(code), "no malformed case for \(code)")
        }
    }

    @Test func sixtyFourLevelsOfNestingAreAccepted() throws {
        let json = #"{"x":"# + String(repeating: "[", count: 63) + String(repeating: "]", count: 63) + "}"
        _ = try SubjectAccessReview(json: Array(json.utf8))
    }

    @Test func duplicateKeyMessageNamesKeyObjectAndOffset() {
        let json = #"{"spec":{"user":"a","user":"b"}}"#
        do {
            _ = try SubjectAccessReview(json: Array(json.utf8))
            Issue.record("expected an error")
        } catch {
            #expect(error.message == "duplicate key `user` in `spec` at byte 20")
            #expect(error.offset == 20)
        }
    }

    @Test func skippedValueMessageNamesTheUnknownKey() {
        let json = #"{"metadata":{"labels":{"a":"1","a":"2"}}}"#
        do {
            _ = try SubjectAccessReview(json: Array(json.utf8))
            Issue.record("expected an error")
        } catch {
            #expect(error.message == "duplicate key `a` in `metadata.labels` at byte 31")
        }
    }

    @Test func typeMismatchMessageNamesFieldAndFoundType() {
        let json = #"{"spec":{"user":5}}"#
        do {
            _ = try SubjectAccessReview(json: Array(json.utf8))
            Issue.record("expected an error")
        } catch {
            #expect(error.message == "expected a string for `spec.user`, found a number at byte 16")
            #expect(error.code == .typeMismatch)
        }
    }

    /// Every field's type error names that field (the non-resource verb was reported as the
    /// resource one).
    @Test(arguments: [
        (#"{"spec":{"user":"u","nonResourceAttributes":{"verb":5}}}"#, "spec.nonResourceAttributes.verb"),
        (#"{"spec":{"user":"u","nonResourceAttributes":{"path":5}}}"#, "spec.nonResourceAttributes.path"),
        (#"{"spec":{"user":"u","resourceAttributes":{"verb":5}}}"#, "spec.resourceAttributes.verb"),
    ])
    func typeMismatchNamesTheFieldItIsIn(_ json: String, _ field: String) {
        do {
            _ = try SubjectAccessReview(json: Array(json.utf8))
            Issue.record("expected an error")
        } catch {
            #expect(error.message.hasPrefix("expected a string for `\(field)`"), "\(error.message)")
        }
    }

    /// No line break of any kind (C0 and C1 controls, U+2028, U+2029) reaches a message.
    @Test(arguments: ["a\\nb", "a\\u0085b", "a\\u2028b", "a\\u2029b", "a\\rb"])
    func messagesAreSingleLineEvenForHostileInput(_ apiVersion: String) {
        let json = #"{"apiVersion":""# + apiVersion + #"","kind":"SubjectAccessReview"}"#
        do {
            _ = try SubjectAccessReview.decode(Array(json.utf8))
            Issue.record("expected an error")
        } catch {
            #expect(!error.message.unicodeScalars.contains { [0x0A, 0x0D, 0x85, 0x2028, 0x2029].contains($0.value) }, "\(error.message)")
            #expect(error.code == .unsupportedAPIVersion)
        }
    }

    @Test func errorsCompareByCodeOnly() {
        #expect(ReviewDecodingError(.duplicateKey, offset: 1, message: "a") == ReviewDecodingError(.duplicateKey))
        #expect(ReviewDecodingError(.duplicateKey) != ReviewDecodingError(.typeMismatch))
    }

    @Test func unknownFieldsOfEveryTypeAreSkipped() throws {
        let json = #"""
            {"x1":{"a":[1,-2.5e+3,0,0.0,-0,1E9,true,false,null,"s\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00",{}],"b":{"c":{}}},
             "apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","x2":[],
             "metadata":{"creationTimestamp":null,"labels":{"a":"b"},"name":"n"},
             "spec":{"x3":null,"user":"u","nonResourceAttributes":{"path":"/","verb":"get","x4":1}},"status":{"allowed":false,"x5":"y"}}
            """#
        let review = try SubjectAccessReview.decode(Array(json.utf8))
        #expect(review.metadata.name == "n")
        #expect(review.spec.nonResourceAttributes?.path == "/")
    }
}

/// Hostile bodies at the size limit: each must be answered (accepted or rejected) in one linear
/// pass; the tests check the outcome, never the time.
@Suite struct PathologicalInputTests {
    private static let oneMiB = 1 << 20

    @Test func megabyteOfOpenBracketsStopsAtTheDepthLimit() {
        let body = Array(#"{"x":"#.utf8) + [UInt8](repeating: UInt8(ascii: "["), count: Self.oneMiB - 5)
        #expect(throws: ReviewDecodingError(.nestingTooDeep)) { try SubjectAccessReview(json: body) }
    }

    @Test func hugeDepthLimitIsCappedToProtectTheStack() {
        let body = Array(#"{"x":"#.utf8) + [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
        let limits = ReviewDecodingLimits(maxDepth: .max)
        #expect(throws: ReviewDecodingError(.nestingTooDeep)) { try SubjectAccessReview(json: body, limits: limits) }
    }

    @Test func manyDistinctUnknownKeysAreAccepted() throws {
        var text = "{"
        for index in 0..<60_000 { text += "\"k\(index)\":0," }
        text += "\"spec\":1}"
        // Distinct keys, then a type error at the very end: the whole object was checked.
        #expect(throws: ReviewDecodingError(.typeMismatch)) { try SubjectAccessReview(json: Array(text.utf8)) }
    }

    @Test func duplicateFoundAmongManyKeys() {
        var text = "{\"metadata\":{"
        for index in 0..<50_000 { text += "\"k\(index)\":0," }
        text += "\"k123\":1}}"
        #expect(throws: ReviewDecodingError(.duplicateKey)) { try SubjectAccessReview(json: Array(text.utf8)) }
    }

    @Test func manyGroupsAndEscapesDecode() throws {
        var text =
            #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"nonResourceAttributes":{"path":"/","verb":"get"},"groups":["#
        for index in 0..<20_000 { text += (index > 0 ? "," : "") + #""g\u00e9\n\"\#(index)""# }
        text += "]}}"
        let review = try SubjectAccessReview.decode(Array(text.utf8))
        #expect(review.spec.groups.count == 20_000)
        #expect(Array(review.spec.groups[7].utf8) == Array("gé\n\"7".utf8))
    }

    @Test func stringAtTheLimitIsAcceptedAndOneMoreByteIsNot() throws {
        let limits = ReviewDecodingLimits()
        let atLimit = String(repeating: "a", count: limits.maxStringBytes)
        _ = try SubjectAccessReview(json: Array(#"{"spec":{"user":"\#(atLimit)"}}"#.utf8))
        #expect(throws: ReviewDecodingError(.stringTooLong)) {
            try SubjectAccessReview(json: Array(#"{"spec":{"user":"\#(atLimit)a"}}"#.utf8))
        }
    }

    @Test func bodyAtTheLimitIsReadAndOneMoreByteIsNot() throws {
        let limits = ReviewDecodingLimits(maxBodyBytes: 64)
        let body = Array(#"{"apiVersion":"authorization.k8s.io/v1"}"#.utf8)
        let padded = body + [UInt8](repeating: 0x20, count: 64 - body.count)
        _ = try SubjectAccessReview(json: padded, limits: limits)
        #expect(throws: ReviewDecodingError(.bodyTooLarge)) {
            try SubjectAccessReview(json: padded + [0x20], limits: limits)
        }
    }
}
