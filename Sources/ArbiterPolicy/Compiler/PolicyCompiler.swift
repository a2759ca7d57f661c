/// Compiles a ``PolicySet`` into a ``CompiledPolicy``.
///
/// Compilation never fails on semantics Kubernetes accepts: a binding to a missing role compiles
/// (Kubernetes reports it at evaluation time, and so do we, in the reason). Load-time validation
/// (``PolicyLoader``) has already refused what the Kubernetes API would refuse.
public enum PolicyCompiler {
    public static func compile(_ set: PolicySet) -> CompiledPolicy {
        compile(set, prefetchingSubjects: nil)
    }

    /// ``compile(_:)``, with the subject prefetching of ``CompiledPolicy/prefetchesSubjects``
    /// forced on or off (`nil`: by table size), so that tests run both evaluation paths on
    /// small policies.
    @_spi(Testing)
    public static func compile(_ set: PolicySet, prefetchingSubjects: Bool?) -> CompiledPolicy {
        var state = RuleCompilerState()

        // Roles: aggregate, then sort (ClusterRoles by name, Roles by namespace and name).
        let roles = RoleAggregator.aggregate(set.roles).sorted(by: Self.roleOrder)
        var roleInfo: [CompiledPolicy.RoleInfo] = []
        var roleVerbMasks: [UInt64] = []
        var resourceIndex: [UInt64: [Int32]] = [:]
        var clusterRoleByName: [ByteString: Int32] = [:]
        var roleByName: [RoleKey: Int32] = [:]
        var rolePool: [Int32] = []  // wildcard positions and policy rule ids (merged into the pool later)
        for (roleIndex, role) in roles.enumerated() {
            // INVARIANT (consecutive-role-rules): a role's rules are compiled one after the other,
            // so rule `position` of the role is rule `firstRule + position`.
            let firstRule = Int32(state.rules.count)
            let ruleIDs = role.rules.map { state.compile($0) }
            roleVerbMasks.append(ruleIDs.reduce(UInt64(0)) { $0 | state.rules[Int($1)].verbMask })
            let indexed = ruleIDs.count > CompiledPolicy.roleIndexThreshold
            var wildcards: [Int32] = []
            if indexed {
                for (position, ruleID) in ruleIDs.enumerated() {
                    let rule = state.rules[Int(ruleID)]
                    if rule.isWildcardOnResources { wildcards.append(Int32(position)) }
                    for i in 0..<Int(rule.resources.count) {
                        let resource = rule.resources.id(i, in: state.pool)
                        let key = UInt64(roleIndex) << 32 | UInt64(UInt32(bitPattern: resource))
                        if resourceIndex[key]?.last != Int32(position) {
                            resourceIndex[key, default: []].append(Int32(position))
                        }
                    }
                }
            }
            roleInfo.append(
                CompiledPolicy.RoleInfo(
                    firstRule: firstRule, ruleCount: Int32(ruleIDs.count), wildcardStart: Int32(rolePool.count),
                    wildcardCount: Int32(wildcards.count), indexed: indexed))
            rolePool += wildcards
            switch role.kind {
            case .clusterRole: clusterRoleByName[ByteString(role.name)] = Int32(roleIndex)
            case .role: roleByName[RoleKey(namespace: role.namespace, name: role.name)] = Int32(roleIndex)
            }
        }

        // Resource filters: give the resources named by the most roles bits of their own.
        let roleRules = roleInfo.map { Int($0.firstRule)..<Int($0.firstRule + $0.ruleCount) }
        let resourceBits = ResourceBits.Builder(
            roleResources: roleRules.map { rules in Set(rules.flatMap { state.rules[$0].resources.ids(in: state.pool) }) },
            starSubresources: Set(state.rules.flatMap { $0.starSubresources.ids(in: state.pool) }),
            attributeSymbols: state.attributeSymbols)
        let roleResourceMasks = roleRules.map { rules in
            rules.reduce(UInt64(0)) { $0 | CompiledPolicy.resourceFilterMask(state.rules[$1], pool: state.pool, bits: resourceBits) }
        }

        // Bindings: sort, resolve roles, index subjects.
        let bindings = set.bindings.sorted(by: Self.bindingOrder)
        var bindingRoles: [Int32] = []
        var clusterLists: [UInt64: [CompiledPolicy.BindingEntry]] = [:]
        var namespaceLists: [UInt64: [CompiledPolicy.BindingEntry]] = [:]
        // Per subject symbol id: the scopes it has bindings in (INVARIANT subject-scopes).
        var subjectScopes: [SubjectScopes] = []
        // Where each binding's subjects start among all bindings' subjects (``CompiledPolicy/bindingReasonStart``).
        var reasonStart: Int32 = 0
        for (bindingIndex, binding) in bindings.enumerated() {
            defer { reasonStart += Int32(binding.subjects.count) }
            let roleIndex: Int32? =
                switch binding.roleRef.kind {
                case .clusterRole: clusterRoleByName[ByteString(binding.roleRef.name)]
                case .role: roleByName[RoleKey(namespace: binding.namespace, name: binding.roleRef.name)]
                }
            bindingRoles.append(roleIndex ?? -1)
            // The entry names its role's first rule (whose head has the role's rule count).
            let firstRule: Int32 =
                switch roleIndex.map({ roleInfo[Int($0)] }) {
                case nil: CompiledPolicy.BindingEntry.missingRole
                case let info? where info.ruleCount == 0: CompiledPolicy.BindingEntry.emptyRole
                case let info?: info.firstRule
                }
            var entry = CompiledPolicy.BindingEntry(
                binding: Int32(bindingIndex), firstRule: firstRule,
                reasonStart: reasonStart, verbFilter: CompiledPolicy.foldVerbs(roleIndex.map { roleVerbMasks[Int($0)] } ?? 0),
                subjectPosition: 0, resourceFilter: roleIndex.map { roleResourceMasks[Int($0)] } ?? 0)
            let namespaceID = binding.kind == .roleBinding ? state.attributeSymbols.intern(binding.namespace) : -1
            for (position, subject) in binding.subjects.enumerated() {
                // A service account without any namespace never matches (Kubernetes' appliesToUser).
                guard let (kind, name) = CompiledPolicy.indexName(subject, bindingNamespace: binding.namespace) else {
                    continue
                }
                // A later subject with the same key keeps the first one's position (the lists
                // below keep one entry per binding and key).
                entry.subjectPosition = UInt16(min(position, CompiledPolicy.BindingEntry.maxSubjectPosition))
                let id = state.symbols.intern(name)
                if Int(id) >= subjectScopes.count { subjectScopes += repeatElement(.none, count: Int(id) + 1 - subjectScopes.count) }
                let bit = binding.kind == .clusterRoleBinding ? SubjectScopes.clusterBit : SubjectScopes.namespaceBit(namespaceID)
                if kind == CompiledPolicy.userKind { subjectScopes[Int(id)].user |= bit } else { subjectScopes[Int(id)].group |= bit }
                if binding.kind == .clusterRoleBinding {
                    let key = CompiledPolicy.subjectKey(kind, id)
                    if clusterLists[key]?.last?.binding != Int32(bindingIndex) { clusterLists[key, default: []].append(entry) }
                } else {
                    let key = CompiledPolicy.namespacedKey(namespaceID, kind, id)
                    if namespaceLists[key]?.last?.binding != Int32(bindingIndex) { namespaceLists[key, default: []].append(entry) }
                }
            }
        }

        // AccessPolicies: sort by name, compile rules, index subjects.
        let policies = set.accessPolicies.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        var policyRules: [Span] = []
        var exactLists: [UInt64: [Int32]] = [:]
        var prefixLists: [UInt64: [Int32]] = [:]
        var userLengths = Set<Int>()
        var groupLengths = Set<Int>()
        for (policyIndex, policy) in policies.enumerated() {
            let ruleIDs = policy.rules.map { state.compile($0) }
            policyRules.append(Span(start: Int32(rolePool.count), count: Int32(ruleIDs.count)))
            rolePool += ruleIDs
            for subject in policy.subjects {
                let (kind, text, isPrefix) = Self.indexKey(for: subject)
                let id = state.symbols.intern(text)
                let key = CompiledPolicy.subjectKey(kind, id)
                if isPrefix {
                    if prefixLists[key]?.last != Int32(policyIndex) { prefixLists[key, default: []].append(Int32(policyIndex)) }
                    if kind == CompiledPolicy.userKind { userLengths.insert(text.utf8.count) } else { groupLengths.insert(text.utf8.count) }
                } else if exactLists[key]?.last != Int32(policyIndex) {
                    exactLists[key, default: []].append(Int32(policyIndex))
                }
            }
        }

        // Role spans point into rolePool; move it behind the rule-id pool so one pool serves all.
        let offset = Int32(state.pool.count)
        var pool = state.pool
        pool += rolePool
        func shifted(_ spans: [Span]) -> [Span] { spans.map { Span(start: $0.start + offset, count: $0.count) } }

        let nameHashes = state.symbols.hashes
        let arena = TableArena(
            expectedBytes: Self.estimatedTableBytes(
                state, pool: pool.count,
                bindingSubjects: bindings.reduce(0) { $0 + $1.subjects.count }))
        return CompiledPolicy(
            arena: arena, symbols: state.symbols.frozen(payloads: subjectScopes, in: arena), attributeSymbols: state.attributeSymbols.frozen(in: arena),
            verbSymbols: state.verbSymbols.frozen(in: arena), pool: pool, rules: state.rules, ruleVerbs: state.ruleVerbs, roles: roles,
            roleInfo: roleInfo.map { info in
                var info = info
                info.wildcardStart += offset
                return info
            },
            resourceBits: resourceBits, roleResourceIndex: KeyedLists(lists: resourceIndex, in: arena), bindings: bindings,
            bindingRoles: bindingRoles,
            clusterSubjects: SubjectIndex(
                lists: clusterLists, locator: { CompiledPolicy.subjectLocator(key: $0, namespaced: false, nameHashes: nameHashes) },
                in: arena),
            namespaceSubjects: SubjectIndex(
                lists: namespaceLists, locator: { CompiledPolicy.subjectLocator(key: $0, namespaced: true, nameHashes: nameHashes) },
                in: arena),
            accessPolicies: policies, policyRules: shifted(policyRules),
            policyExactSubjects: KeyedLists(lists: exactLists, in: arena), policyPrefixSubjects: KeyedLists(lists: prefixLists, in: arena),
            userPrefixLengths: userLengths.sorted(), groupPrefixLengths: groupLengths.sorted(), skipped: set.skipped,
            prefetchesSubjects: prefetchingSubjects)
    }

    /// Roughly how many bytes the frozen tables take (within a factor of two), to choose the
    /// arena's first chunk: symbols with their slots, rules, the pool, the subject indexes.
    static func estimatedTableBytes(_ state: RuleCompilerState, pool: Int, bindingSubjects: Int) -> Int {
        let symbols = [state.symbols, state.attributeSymbols, state.verbSymbols].reduce(0) {
            $0 + $1.storage.count + $1.count * (4 + 2 * MemoryLayout<FrozenSymbolTable<SubjectScopes>.Slot>.stride)
        }
        // A subject-index slot table is 2 to 4 slots per key (a power of two, at most half full).
        let entry = MemoryLayout<CompiledPolicy.BindingEntry>.stride + 4 * MemoryLayout<SubjectIndex.Slot>.stride
        // Every table has a minimum size and starts on a cache line.
        let fixed = 32 * TableArena.lineBytes + 2 * 8 * MemoryLayout<SubjectIndex.Slot>.stride
        return fixed + symbols + state.rules.count * (MemoryLayout<CompiledRule>.stride + MemoryLayout<IdList>.stride) + pool * 4
            + bindingSubjects * (entry + 12)
    }

    /// Where an AccessPolicy subject is indexed: user-name space or group space, the exact name
    /// or the literal prefix of a pattern. Candidates found by prefix are verified with
    /// ``SubjectPattern/matches(user:groups:)``.
    static func indexKey(for subject: SubjectPattern) -> (kind: UInt64, text: String, isPrefix: Bool) {
        switch subject.kind {
        case .user:
            return (CompiledPolicy.userKind, String(Pattern.literal(subject.name)), Pattern.isPattern(subject.name))
        case .group:
            return (CompiledPolicy.groupKind, String(Pattern.literal(subject.name)), Pattern.isPattern(subject.name))
        case .serviceAccount:
            if Pattern.isPattern(subject.namespace) {
                return (CompiledPolicy.userKind, ServiceAccountName.prefix + Pattern.literal(subject.namespace), true)
            }
            let base = ServiceAccountName.prefix + subject.namespace + ":"
            if Pattern.isPattern(subject.name) {
                return (CompiledPolicy.userKind, base + Pattern.literal(subject.name), true)
            }
            // User names split at the first `:` after the prefix, so an exact namespace containing
            // `:` never matches the user name it spells: index it as a candidate that is verified.
            let verify = subject.namespace.utf8.contains(UInt8(ascii: ":"))
            return (CompiledPolicy.userKind, base + subject.name, verify)
        }
    }

    /// A Role's identity, compared as bytes. (A `namespace + "/" + name` string would make the
    /// Role `c` in `a/b` and the Role `b/c` in `a` the same key.)
    struct RoleKey: Hashable {
        var namespace: ByteString
        var name: ByteString

        init(namespace: String, name: String) {
            self.namespace = ByteString(namespace)
            self.name = ByteString(name)
        }
    }

    static func roleOrder(_ a: Role, _ b: Role) -> Bool {
        if a.kind != b.kind { return a.kind == .clusterRole }
        if !a.namespace.bytesEqual(b.namespace) { return a.namespace.utf8.lexicographicallyPrecedes(b.namespace.utf8) }
        return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
    }

    static func bindingOrder(_ a: Binding, _ b: Binding) -> Bool {
        if a.kind != b.kind { return a.kind == .clusterRoleBinding }
        if !a.namespace.bytesEqual(b.namespace) { return a.namespace.utf8.lexicographicallyPrecedes(b.namespace.utf8) }
        return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
    }
}
