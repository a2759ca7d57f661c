/// An immutable, indexed policy: what every request is evaluated against.
///
/// Built once by ``PolicyCompiler`` and then only read, from any thread (`Sendable`, `let`
/// properties of value types). The model:
///
/// - Every string is interned in a byte-exact ``SymbolTable``; rules hold symbol ids.
/// - Bindings are sorted (ClusterRoleBindings by name, then RoleBindings by namespace and name)
///   and indexed by subject: `(user | group, name)` for ClusterRoleBindings and
///   `(namespace, user | group, name)` for RoleBindings. Service-account subjects are indexed
///   under their user name (`system:serviceaccount:ns:name`), which is exactly how Kubernetes
///   matches them. A request therefore touches only the requester's own bindings.
/// - Roles with many rules carry a resource index: rules by `resource[/subresource]` id, plus
///   the rules with resource wildcards, so a large aggregated role is not scanned rule by rule.
/// - AccessPolicies are indexed by exact subject and by subject prefix (one probe per distinct
///   pattern length).
///
/// Results never depend on file or object order: ties are broken by the sorted order above.
public final class CompiledPolicy: Sendable {
    // MARK: Interned strings and rules
    let symbols: SymbolTable
    let pool: [Int32]
    let rules: [CompiledRule]

    // MARK: Roles
    /// Roles with their effective (aggregated) rules, in compiled order.
    public let roles: [Role]
    /// Per role: its rules, as a span of ``rules`` indices in `pool`.
    let roleRules: [Span]
    /// Roles over the indexing threshold: `(role << 32 | resource id)` → rule positions in the
    /// role (ascending).
    let roleResourceIndex: KeyedLists
    /// Per role: rule positions with resource wildcards (`*`, `*/sub`), and whether indexed.
    let roleWildcardRules: [Span]
    let roleIsIndexed: [Bool]

    // MARK: Bindings
    /// Bindings in evaluation order.
    public let bindings: [Binding]
    /// Per binding: index into ``roles``, or -1 when the role does not exist.
    let bindingRoles: [Int32]
    let clusterSubjects: KeyedLists
    let namespaceSubjects: KeyedLists

    // MARK: AccessPolicies
    /// AccessPolicies sorted by name.
    public let accessPolicies: [AccessPolicy]
    let policyRules: [Span]
    let policyExactSubjects: KeyedLists
    let policyPrefixSubjects: KeyedLists
    /// Distinct prefix lengths of user-name patterns and of group patterns.
    let userPrefixLengths: [Int]
    let groupPrefixLengths: [Int]
    let hasDenyPolicies: Bool
    let hasAllowPolicies: Bool

    // MARK: Summary
    /// What was skipped while loading, carried for summaries.
    public let skipped: [String: Int]

    init(
        symbols: SymbolTable, pool: [Int32], rules: [CompiledRule], roles: [Role], roleRules: [Span],
        roleResourceIndex: KeyedLists, roleWildcardRules: [Span], roleIsIndexed: [Bool], bindings: [Binding],
        bindingRoles: [Int32], clusterSubjects: KeyedLists, namespaceSubjects: KeyedLists,
        accessPolicies: [AccessPolicy], policyRules: [Span], policyExactSubjects: KeyedLists,
        policyPrefixSubjects: KeyedLists, userPrefixLengths: [Int], groupPrefixLengths: [Int],
        skipped: [String: Int]
    ) {
        self.symbols = symbols
        self.pool = pool
        self.rules = rules
        self.roles = roles
        self.roleRules = roleRules
        self.roleResourceIndex = roleResourceIndex
        self.roleWildcardRules = roleWildcardRules
        self.roleIsIndexed = roleIsIndexed
        self.bindings = bindings
        self.bindingRoles = bindingRoles
        self.clusterSubjects = clusterSubjects
        self.namespaceSubjects = namespaceSubjects
        self.accessPolicies = accessPolicies
        self.policyRules = policyRules
        self.policyExactSubjects = policyExactSubjects
        self.policyPrefixSubjects = policyPrefixSubjects
        self.userPrefixLengths = userPrefixLengths
        self.groupPrefixLengths = groupPrefixLengths
        self.hasDenyPolicies = accessPolicies.contains { $0.effect == .deny }
        self.hasAllowPolicies = accessPolicies.contains { $0.effect == .allow }
        self.skipped = skipped
    }

    // MARK: - Keys

    static let userKind: UInt64 = 0
    static let groupKind: UInt64 = 1

    @inline(__always)
    static func subjectKey(_ kind: UInt64, _ id: Int32) -> UInt64 {
        kind << 32 | UInt64(UInt32(bitPattern: id))
    }

    @inline(__always)
    static func namespacedKey(_ namespace: Int32, _ kind: UInt64, _ id: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: namespace)) << 33 | kind << 32 | UInt64(UInt32(bitPattern: id))
    }

    /// Number of rules above which a role gets a resource index.
    static let roleIndexThreshold = 8

    /// A one-line summary: counts of objects, bindings, rules and skipped objects.
    public var summary: String {
        let clusterRoles = roles.count { $0.kind == .clusterRole }
        let clusterBindings = bindings.count { $0.kind == .clusterRoleBinding }
        let subjects = bindings.reduce(0) { $0 + $1.subjects.count }
        let ruleCount = roles.reduce(0) { $0 + $1.rules.count } + accessPolicies.reduce(0) { $0 + $1.rules.count }
        var text =
            "\(clusterRoles) ClusterRoles, \(roles.count - clusterRoles) Roles, \(clusterBindings) ClusterRoleBindings, "
            + "\(bindings.count - clusterBindings) RoleBindings, \(accessPolicies.count) AccessPolicies; "
            + "\(subjects) binding subjects, \(ruleCount) rules"
        let skippedCount = skipped.values.reduce(0, +)
        if skippedCount > 0 {
            let kinds = skipped.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            text += "; skipped \(skippedCount) other objects (\(kinds))"
        }
        return text
    }
}
