/// Arbiter's own policy kind (`arbiter.dev/v1alpha1`, `AccessPolicy`) for what RBAC cannot say:
/// explicit deny, exceptions and subject/namespace patterns.
///
/// Precedence: any matching `Deny` wins; otherwise any allow (RBAC or `Allow` policy) allows;
/// otherwise no opinion (or deny, when the operator configures that default).
public struct AccessPolicy: Sendable {
    public enum Effect: String, Sendable, Hashable {
        case allow = "Allow"
        case deny = "Deny"
    }

    public var name: String
    public var effect: Effect
    /// Who the policy applies to; any entry matches.
    public var subjects: [SubjectPattern]
    /// Subjects exempted from the policy (break-glass).
    public var except: [SubjectPattern]
    /// Namespace patterns; `nil` means every namespace and the cluster scope. `""` names the
    /// cluster scope. With namespaces set, non-resource requests never match.
    public var namespaces: [String]?
    /// Rules with RBAC's shape and matching semantics.
    public var rules: [PolicyRule]
    public var location: SourceLocation?

    public init(
        name: String, effect: Effect, subjects: [SubjectPattern], except: [SubjectPattern] = [],
        namespaces: [String]? = nil, rules: [PolicyRule], location: SourceLocation? = nil
    ) {
        self.name = name
        self.effect = effect
        self.subjects = subjects
        self.except = except
        self.namespaces = namespaces
        self.rules = rules
        self.location = location
    }
}

/// A subject of an ``AccessPolicy``: exact names or trailing-`*` prefix patterns.
public struct SubjectPattern: Sendable, Hashable {
    public var kind: Subject.Kind
    public var name: String
    /// Service accounts only: the namespace, exact or a pattern. Required for service accounts.
    public var namespace: String

    public init(kind: Subject.Kind, name: String, namespace: String = "") {
        self.kind = kind
        self.name = name
        self.namespace = namespace
    }

    /// Whether a user with these groups is this subject. Byte-exact; `*` only at the end.
    public func matches(user: String, groups: [String]) -> Bool {
        switch kind {
        case .user:
            return Pattern.matches(name, user)
        case .group:
            return groups.contains { Pattern.matches(name, $0) }
        case .serviceAccount:
            guard let (namespace, name) = ServiceAccountName.parse(user) else { return false }
            return Pattern.matches(self.namespace, namespace) && Pattern.matches(self.name, name)
        }
    }
}

/// Trailing-`*` prefix patterns, compared as bytes.
public enum Pattern {
    /// True if `pattern` ends in `*`.
    public static func isPattern(_ pattern: String) -> Bool { pattern.utf8.last == UInt8(ascii: "*") }

    /// The literal part of a pattern (without the trailing `*`), or the whole exact string.
    public static func literal(_ pattern: String) -> Substring {
        isPattern(pattern) ? pattern.dropLast() : Substring(pattern)
    }

    /// `value` equals `pattern`, or starts with its literal part when it ends in `*`.
    public static func matches(_ pattern: String, _ value: String) -> Bool {
        if isPattern(pattern) {
            return value.utf8.starts(with: pattern.utf8.dropLast())
        }
        return pattern.bytesEqual(value)
    }
}

/// Service-account user names: `system:serviceaccount:<namespace>:<name>`.
public enum ServiceAccountName {
    public static let prefix = "system:serviceaccount:"

    /// The user name of a service account.
    public static func userName(namespace: String, name: String) -> String {
        prefix + namespace + ":" + name
    }

    /// Splits a service-account user name at the first `:` after the prefix.
    public static func parse(_ user: String) -> (namespace: String, name: String)? {
        let utf8 = user.utf8
        guard utf8.starts(with: prefix.utf8) else { return nil }
        let rest = utf8.dropFirst(prefix.utf8.count)
        guard let colon = rest.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        let namespace = String(Substring(rest[rest.startIndex..<colon]))
        let name = String(Substring(rest[rest.index(after: colon)...]))
        return (namespace, name)
    }
}
