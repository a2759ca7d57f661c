/// Why a review body was rejected, where, and a message fit for a 400 response.
///
/// Parsing errors (malformed JSON, limits, wrong JSON types for known fields) carry the byte
/// ``offset`` at which the problem was found. Validation errors (wrong `apiVersion` or `kind`,
/// missing attributes, ...) concern the review as a whole and have no offset.
///
/// Two errors compare equal when their ``code`` is equal, so tests can write
/// `#expect(throws: ReviewDecodingError(.duplicateKey))`.
///
/// Messages start lower-case, have no final period and put input in backticks:
/// ``duplicate key `user` in `spec` at byte 123``. Input quoted in a message is the key as sent
/// (escapes are not decoded) and is cut after 64 bytes.
public struct ReviewDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of problem.
    ///
    /// HTTP mapping: ``bodyTooLarge`` is 413, everything else 400.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        // MARK: Limits
        /// The body is longer than ``ReviewDecodingLimits/maxBodyBytes``.
        case bodyTooLarge
        /// A string is longer than ``ReviewDecodingLimits/maxStringBytes``.
        case stringTooLong
        /// Objects and arrays nest deeper than ``ReviewDecodingLimits/maxDepth``.
        case nestingTooDeep

        // MARK: JSON syntax (RFC 8259)
        /// The body ends inside a value (including an empty body).
        case unexpectedEndOfInput
        /// A byte that cannot start or continue a JSON value here.
        case unexpectedCharacter
        /// A number that RFC 8259 does not allow (`01`, `1.`, `-`, `1e`, ...).
        case invalidNumber
        /// A backslash escape that is not one of `\" \\ \/ \b \f \n \r \t \uXXXX`.
        case invalidEscape
        /// A `\uD800`–`\uDFFF` escape that is not part of a high+low surrogate pair.
        case unpairedSurrogate
        /// A raw byte below 0x20 inside a string (it must be escaped).
        case controlCharacterInString
        /// Bytes that are not well-formed UTF-8 (overlong forms, encoded surrogates, truncated or
        /// stray continuation bytes, values above U+10FFFF).
        case invalidUTF8
        /// Anything but whitespace after the top-level value.
        case trailingData
        /// The same key twice in one object (compared as unescaped bytes). Go keeps the last value,
        /// Foundation the first; an authorizer must not guess, so Arbiter rejects.
        case duplicateKey

        // MARK: Schema
        /// A known field holds the wrong JSON type (`"user": 5`, `"groups": "a"`).
        case typeMismatch

        // MARK: Validation
        /// `apiVersion` is not `authorization.k8s.io/v1` or `authorization.k8s.io/v1beta1`.
        case unsupportedAPIVersion
        /// `kind` is not the kind the endpoint expects.
        case unexpectedKind
        /// Neither `resourceAttributes` nor `nonResourceAttributes` is set.
        case missingAttributes
        /// Both `resourceAttributes` and `nonResourceAttributes` are set.
        case conflictingAttributes
        /// A SubjectAccessReview names neither a user nor a group.
        case missingSubject
        /// A LocalSubjectAccessReview whose attributes do not fit its namespace (different
        /// namespace, or non-resource attributes).
        case namespaceMismatch
    }

    /// The class of problem.
    public var code: Code
    /// The byte offset in the body where the problem was found; `nil` for validation errors.
    public var offset: Int?
    /// A short lower-case description, including the offset when there is one.
    public var message: String

    /// Creates an error; the message defaults to a generic description of `code`.
    public init(_ code: Code, offset: Int? = nil, message: String? = nil) {
        self.code = code
        self.offset = offset
        self.message = message ?? code.rawValue
    }

    public var description: String { message }

    /// The error for a body of `count` bytes over the `limit`.
    static func bodyTooLarge(_ count: Int, limit: Int) -> ReviewDecodingError {
        ReviewDecodingError(
            .bodyTooLarge,
            offset: limit,
            message: "body of \(count) bytes is larger than the limit of \(limit) bytes"
        )
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
