/// An error in a policy source: what went wrong and where.
///
/// Errors compare equal on ``code`` only, so tests can build the expected error directly.
/// Messages follow the project's style: lower-case start, no final period, user input in backticks.
public struct PolicyError: Error, Sendable, CustomStringConvertible {
    /// The class of error; stable, for tests and metrics.
    public enum Code: String, Sendable, Hashable {
        case fileTooLarge
        case unreadable
        case invalidUTF8
        case syntax
        case duplicateKey
        case aliasLimit
        case nestingLimit
        case unsupportedYAML
        case wrongType
        case missingField
        case invalidValue
        case duplicateObject
        case unknownAPIVersion
    }

    public var code: Code
    public var location: SourceLocation?
    public var message: String

    public init(_ code: Code, _ message: String, at location: SourceLocation? = nil) {
        self.code = code
        self.message = message
        self.location = location
    }

    /// `file:line:column: message`, or the message alone when there is no location.
    public var description: String {
        if let location { return "\(location): \(message)" }
        return message
    }
}

extension PolicyError: Equatable {
    public static func == (lhs: PolicyError, rhs: PolicyError) -> Bool { lhs.code == rhs.code }
}
