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
///
/// INVARIANT (frozen-tables): the index tables are ``FrozenArray``s in the policy's own
/// ``TableArena``, written once by the compiler and freed with the policy; that is why the class
/// is `@unchecked Sendable`: after `init` nothing is ever written, so any number of threads may
/// read it at once.
public final class CompiledPolicy: @unchecked Sendable {
    /// The memory of every table below; freed with the policy.
    let arena: TableArena

    // MARK: Interned strings and rules
    /// Subject names (users, groups, service-account user names).
    let symbols: FrozenSymbolTable<SubjectScopes>
    /// Request attributes: API groups, resources, subresources, names, URLs, namespaces.
    let attributeSymbols: FrozenSymbolTable<NoPayload>
    /// Verbs only: small enough to stay in cache, and a verb id is its mask bit.
    let verbSymbols: FrozenSymbolTable<NoPayload>
    let pool: FrozenArray<Int32>
    /// Every rule in full: read for resource names, `*/sub` entries and non-resource URLs.
    let rules: FrozenArray<CompiledRule>
    /// Every rule's ``RuleHead``: what a rule test reads first (``ruleAllows(_:_:_:)``).
    let ruleHeads: FrozenArray<RuleHead>
    /// Per rule, its verb ids (``RuleCompilerState/ruleVerbs``).
    let ruleVerbs: FrozenArray<IdList>

    // MARK: Roles
    /// Roles with their effective (aggregated) rules, in compiled order.
    public let roles: [Role]
    /// Roles over the indexing threshold: `(role << 32 | resource id)` → rule positions in the
    /// role (ascending).
    let roleResourceIndex: KeyedLists<Int32>
    /// Per role: its first rule id and count (a role's rules are compiled consecutively), its
    /// wildcard positions and whether it is indexed. The binding scan reads it only for indexed
    /// roles (the entries name the first rule, whose ``RuleHead`` has the count); tools and
    /// `roleAllows(_:_:_:_:)` by role index read it first.
    let roleInfo: FrozenArray<RoleInfo>
    /// The bit of each resource in the roles' resource filters.
    let resourceBits: ResourceBits

    // MARK: Bindings
    /// Bindings in evaluation order.
    public let bindings: [Binding]
    /// Per binding: index into ``roles``, or -1 when the role does not exist.
    let bindingRoles: FrozenArray<Int32>
    /// Subject indexes: each entry carries the binding, its role and the role's verb and
    /// resource filters, so a candidate whose role cannot match the request's verb or resource
    /// costs no further memory access.
    let clusterSubjects: SubjectIndex
    let namespaceSubjects: SubjectIndex
    /// Per binding subject (flattened, `bindingReasonStart[b]` is binding b's first): the whole
    /// allow reason, built once so that an allow costs no string formatting (and, through
    /// ``AuthorizationResult``'s lazy reason, no access to the string unless it is read).
    let bindingReasons: BindingReasons
    let bindingReasonStart: FrozenArray<Int32>
    /// Per binding subject (same flattening): its subject key, or `UInt64.max` when it can
    /// never match (a service account without a namespace).
    let bindingSubjectKeys: FrozenArray<UInt64>
    /// True when some binding names a role that does not exist (only then are errors searched).
    let hasMissingRoles: Bool
    /// True when the subject tables are too large to stay cached: then a request starts loading
    /// all its subjects' slots before it looks any of them up (``fillSubjectKeys``).
    let prefetchesSubjects: Bool

    // MARK: AccessPolicies
    /// AccessPolicies sorted by name.
    public let accessPolicies: [AccessPolicy]
    let policyRules: FrozenArray<Span>
    let policyExactSubjects: KeyedLists<Int32>
    let policyPrefixSubjects: KeyedLists<Int32>
    /// Distinct prefix lengths of user-name patterns and of group patterns.
    let userPrefixLengths: [Int]
    let groupPrefixLengths: [Int]
    let hasDenyPolicies: Bool
    let hasAllowPolicies: Bool

    // MARK: Summary
    /// What was skipped while loading, carried for summaries.
    public let skipped: [String: Int]

    init(
        arena: TableArena, symbols: FrozenSymbolTable<SubjectScopes>, attributeSymbols: FrozenSymbolTable<NoPayload>,
        verbSymbols: FrozenSymbolTable<NoPayload>, pool: [Int32], rules: [CompiledRule], ruleVerbs: [IdList], roles: [Role], roleInfo: [RoleInfo],
        resourceBits: ResourceBits.Builder, roleResourceIndex: KeyedLists<Int32>, bindings: [Binding], bindingRoles: [Int32], clusterSubjects: SubjectIndex,
        namespaceSubjects: SubjectIndex, accessPolicies: [AccessPolicy], policyRules: [Span],
        policyExactSubjects: KeyedLists<Int32>, policyPrefixSubjects: KeyedLists<Int32>, userPrefixLengths: [Int], groupPrefixLengths: [Int],
        skipped: [String: Int], prefetchesSubjects: Bool? = nil
    ) {
        self.arena = arena
        self.symbols = symbols
        self.attributeSymbols = attributeSymbols
        self.verbSymbols = verbSymbols
        self.pool = FrozenArray(pool, in: arena)
        self.rules = FrozenArray(rules, in: arena)
        self.ruleHeads = FrozenArray(Self.ruleHeads(rules, roleInfo, pool: pool), in: arena)
        self.ruleVerbs = FrozenArray(ruleVerbs, in: arena)
        self.roles = roles
        self.roleResourceIndex = roleResourceIndex
        self.roleInfo = FrozenArray(roleInfo, in: arena)
        self.resourceBits = ResourceBits(resourceBits, in: arena)
        self.bindings = bindings
        self.bindingRoles = FrozenArray(bindingRoles, in: arena)
        self.clusterSubjects = clusterSubjects
        self.namespaceSubjects = namespaceSubjects
        var reasons: [String] = []
        var starts: [Int32] = []
        var keys: [UInt64] = []
        for binding in bindings {
            starts.append(Int32(reasons.count))
            for subject in binding.subjects {
                reasons.append(Self.allowReason(binding, subject))
                if let (kind, name) = Self.indexName(subject, bindingNamespace: binding.namespace) {
                    let id = symbols.lookup(name)
                    keys.append(id == SymbolTable.missing ? UInt64.max : Self.subjectKey(kind, id))
                } else {
                    keys.append(UInt64.max)
                }
            }
        }
        self.bindingReasons = BindingReasons(reasons)
        self.bindingReasonStart = FrozenArray(starts, in: arena)
        self.bindingSubjectKeys = FrozenArray(keys, in: arena)
        self.hasMissingRoles = bindingRoles.contains(-1)
        let subjectTableBytes =
            symbols.slots.count * MemoryLayout<FrozenSymbolTable<SubjectScopes>.Slot>.stride + namespaceSubjects.slotBytes
        self.prefetchesSubjects = prefetchesSubjects ?? (subjectTableBytes > Self.prefetchThresholdBytes)
        self.accessPolicies = accessPolicies
        self.policyRules = FrozenArray(policyRules, in: arena)
        self.policyExactSubjects = policyExactSubjects
        self.policyPrefixSubjects = policyPrefixSubjects
        self.userPrefixLengths = userPrefixLengths
        self.groupPrefixLengths = groupPrefixLengths
        self.hasDenyPolicies = accessPolicies.contains { $0.effect == .deny }
        self.hasAllowPolicies = accessPolicies.contains { $0.effect == .allow }
        self.skipped = skipped
    }

    /// The name a binding subject is indexed under: user names (service accounts by their user
    /// name, namespace defaulted from a RoleBinding) or group names; `nil` if it never matches.
    static func indexName(_ subject: Subject, bindingNamespace: String) -> (kind: UInt64, name: String)? {
        switch subject.kind {
        case .user: return (userKind, subject.name)
        case .group: return (groupKind, subject.name)
        case .serviceAccount:
            let namespace = subject.namespace.isEmpty ? bindingNamespace : subject.namespace
            if namespace.isEmpty { return nil }
            return (userKind, ServiceAccountName.userName(namespace: namespace, name: subject.name))
        }
    }

    /// Kubernetes' allow reason for a binding and the subject that matched.
    static func allowReason(_ binding: Binding, _ subject: Subject) -> String {
        let bindingName =
            binding.kind == .clusterRoleBinding ? goQuoted(binding.name) : goQuoted(binding.name + "/" + binding.namespace)
        return "RBAC: allowed by \(binding.kind.rawValue) \(bindingName) of \(binding.roleRef.kind.rawValue) "
            + "\(goQuoted(binding.roleRef.name)) to \(describe(subject, bindingNamespace: binding.namespace))"
    }

    /// A role's evaluation metadata, packed.
    struct RoleInfo: BitwiseCopyable {
        var firstRule: Int32
        var ruleCount: Int32
        /// Span in `pool` of the positions of rules with resource wildcards (`*`, `*/sub`),
        /// for roles over the indexing threshold.
        var wildcardStart: Int32
        var wildcardCount: Int32
        var indexed: Bool
    }

    /// Every rule's head, with each role's rule count and indexing on its first rule, and the
    /// two ids of a two-resource rule in place.
    static func ruleHeads(_ rules: [CompiledRule], _ roleInfo: [RoleInfo], pool: [Int32]) -> [RuleHead] {
        var heads = rules.map(\.head)
        for (role, info) in roleInfo.enumerated() where info.ruleCount > 0 {
            let first = Int(info.firstRule)
            // An indexed role's count is read from its ``RoleInfo``; so is that of a role too
            // long for 16 bits, which is always indexed (roleIndexThreshold is far below).
            if info.indexed {
                heads[first].flags.insert(.firstOfIndexedRole)
                heads[first].extra = Int32(role)
            } else {
                precondition(info.ruleCount <= Int32(UInt16.max))
                heads[first].roleRuleCount = UInt16(info.ruleCount)
            }
        }
        // Two resources are the most frequent list kept in the pool (on the large benchmark
        // policy 29% of all rules): in the head, their test reads no second line. An indexed
        // role's first rule keeps them in the pool: its `extra` word names the role.
        for ruleID in heads.indices
        where heads[ruleID].resources.count == 2 && !heads[ruleID].flags.contains(.firstOfIndexedRole) {
            let start = Int(heads[ruleID].resources.head)
            heads[ruleID].resources = IdList(head: pool[start], count: 2)
            heads[ruleID].extra = pool[start + 1]
            heads[ruleID].flags.insert(.resourcePair)
        }
        return heads
    }

    /// One entry of a subject index: a binding, seen from one of its subjects (24 bytes).
    struct BindingEntry: BitwiseCopyable {
        var binding: Int32
        /// The first rule of the binding's role (its ``RuleHead`` says how many follow), or
        /// ``missingRole`` when the role does not exist, ``emptyRole`` when it has no rules.
        /// In a ``SubjectIndex`` slot marking a longer list: the list's length.
        var firstRule: Int32
        /// Where the binding's subjects start in ``bindingReasons`` and ``bindingSubjectKeys``.
        var reasonStart: Int32
        /// The role's verb mask, folded to 16 bits (``foldVerbs(_:)``; 0 for a missing role).
        var verbFilter: UInt16
        /// The position in the binding of the first subject with this entry's key (at most
        /// ``maxSubjectPosition``, where the evaluator looks at every subject before it). When
        /// it is 0, that subject is the one Kubernetes reports, with no look at the others.
        var subjectPosition: UInt16
        /// The role's resource filter (``resourceFilterMask(_:pool:)``; 0 for a missing role).
        var resourceFilter: UInt64

        static var maxSubjectPosition: Int { Int(UInt16.max) }
        /// ``firstRule`` of an entry whose binding names a role that does not exist.
        static var missingRole: Int32 { -1 }
        /// ``firstRule`` of an entry whose role has no rules (it allows nothing).
        static var emptyRole: Int32 { -2 }
    }

    /// A verb mask folded to 16 bits: bit `b` becomes bit `b % 16`. Filters only say "maybe",
    /// so folding both sides keeps them sound: a role with bit `b` has bit `b % 16`. (Policies
    /// rarely use more than 16 verbs; the exact test is the rule's own 64-bit mask.)
    @inline(__always)
    static func foldVerbs(_ mask: UInt64) -> UInt16 {
        let half = UInt32(truncatingIfNeeded: mask) | UInt32(truncatingIfNeeded: mask >> 32)
        return UInt16(truncatingIfNeeded: half) | UInt16(truncatingIfNeeded: half >> 16)
    }

    // MARK: - Resource filter

    /// The bit of every resource without a bit of its own (and of unknown resources): roles
    /// naming any such resource have it, and so does every role with a resource wildcard.
    static var sharedResourceBit: UInt8 { 62 }

    /// The bit of a request in a role's resource filter: for a resource request, the bit its
    /// `resource[/subresource]` id was given (``ResourceBits``); bit 63 for a non-resource request.
    @inline(__always)
    func resourceFilterBit(isResource: Bool, combined: Int32) -> UInt64 {
        isResource ? 1 << UInt64(resourceBits.bit(combined)) : 1 << 63
    }

    /// A rule's resource filter, a superset of the requests it can allow: every bit 0...62 for a
    /// rule with `*` resources, else the bit of each resource it names (``ResourceBits``) and,
    /// for each `*/sub`, the bits of every `resource/sub` and the shared bit; bit 63 when it has
    /// non-resource URLs.
    ///
    /// INVARIANT (resource-filter): if ``ruleAllows(_:_:_:)`` or ``nonResourcePrefixAllows(_:_:_:_:forDeny:)``
    /// is true for a request and a rule, the rule's filter contains the request's bit. A role's
    /// filter is the union of its rules' filters, so a role whose filter lacks the bit is skipped
    /// without reading its rules.
    static func resourceFilterMask(_ rule: CompiledRule, pool: [Int32], bits: ResourceBits.Builder) -> UInt64 {
        var mask: UInt64 = 0
        if rule.flags.contains(.allResources) {
            mask |= (1 << 63) - 1
        } else {
            for i in 0..<Int(rule.resources.count) {
                mask |= 1 << UInt64(bits.bit(rule.resources.id(i, in: pool)))
            }
            for i in 0..<Int(rule.starSubresources.count) {
                mask |= bits.starSubresourceMask(rule.starSubresources.id(i, in: pool))
            }
        }
        if rule.flags.contains(.allURLs) || rule.urls.count > 0 || rule.urlPrefixes.count > 0 {
            mask |= 1 << 63
        }
        return mask
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

    /// Where the subject indexes probe for a subject (their ``KeyedLists`` locator): the hash of
    /// the subject's name (``SymbolTable/hash(_:)``), its kind and, for the RoleBinding index,
    /// the namespace (``SymbolTable/missing`` for the ClusterRoleBinding index). A request has
    /// the name's hash before it has the name's id, so it can start loading both at once.
    @inline(__always)
    static func subjectLocator(nameHash: UInt64, kind: UInt64, namespace: Int32) -> UInt64 {
        nameHash ^ ((UInt64(UInt32(bitPattern: namespace)) << 1 | kind) &* 0x9e37_79b9_7f4a_7c15)
    }

    /// The locator of a subject-index key (``subjectKey(_:_:)`` or ``namespacedKey(_:_:_:)``),
    /// given the hash of every subject name by id.
    static func subjectLocator(key: UInt64, namespaced: Bool, nameHashes: [UInt64]) -> UInt64 {
        let id = Int(UInt32(truncatingIfNeeded: key))
        let namespace = namespaced ? Int32(truncatingIfNeeded: key >> 33) : SymbolTable.missing
        return subjectLocator(nameHash: nameHashes[id], kind: (key >> 32) & 1, namespace: namespace)
    }

    /// The ClusterRoleBinding list of a subject key, for callers without the name's hash at hand
    /// (it is computed again from the stored name).
    func clusterList(_ key: UInt64) -> UnsafeBufferPointer<BindingEntry> {
        let hash = SymbolTable.hash(symbols.bytes(Int32(truncatingIfNeeded: key & 0xffff_ffff)))
        return clusterSubjects.entries(key, locator: Self.subjectLocator(nameHash: hash, kind: key >> 32, namespace: SymbolTable.missing))
    }

    /// The RoleBinding list of a subject key in `namespace` (never missing), like ``clusterList(_:)``.
    func namespaceList(_ namespace: Int32, _ key: UInt64) -> UnsafeBufferPointer<BindingEntry> {
        let hash = SymbolTable.hash(symbols.bytes(Int32(truncatingIfNeeded: key & 0xffff_ffff)))
        let namespacedKey = UInt64(UInt32(bitPattern: namespace)) << 33 | key
        return namespaceSubjects.entries(
            namespacedKey, locator: Self.subjectLocator(nameHash: hash, kind: key >> 32, namespace: namespace))
    }

    /// Subject tables above this size are prefetched: about what a last-level cache shared with
    /// other work keeps of them. Below it the prefetches would cost more instructions than the
    /// cache misses they hide (docs/engine-notes.md).
    static let prefetchThresholdBytes = 4 << 20

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
