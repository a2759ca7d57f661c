import ArbiterPolicy

/// A caller allowlist: certificate CNs (users) and Os (groups).
public struct CallerPolicy: Sendable {
    public var users: [String]
    public var groups: [String]

    public init(users: [String] = [], groups: [String] = []) {
        self.users = users
        self.groups = groups
    }

    /// Byte-exact membership of the CN or of any O.
    public func allows(user: String, groups callerGroups: [String]) -> Bool {
        users.contains { $0.bytesEqual(user) } || callerGroups.contains { group in groups.contains { $0.bytesEqual(group) } }
    }

    public var isEmpty: Bool { users.isEmpty && groups.isEmpty }
}
