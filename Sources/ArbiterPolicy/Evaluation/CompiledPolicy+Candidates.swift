/// How much of a compiled policy one request reaches, for benchmarks and tests of the subject
/// index (never used when deciding).
@_spi(Statistics)
public struct CandidateCounts: Sendable, Hashable {
    /// Subject-index entries the request's user and groups reach (ClusterRoleBindings, plus
    /// RoleBindings in the request's namespace), counted once per subject that reaches them.
    public var entries: Int
    /// Entries whose role passes the verb and resource filters: the roles whose rules the
    /// evaluator may read (at most; it stops at the first allowing binding).
    public var filtered: Int
    /// Entries passing the filters whose role allows the request: the others are the filters'
    /// false positives, each a role whose rules are read for nothing.
    public var allowing: Int
}

extension CompiledPolicy {
    /// The subject-index entries `request` reaches and how many pass the role filters.
    @_spi(Statistics)
    public func candidateCounts(_ request: AccessRequest) -> CandidateCounts {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: Self.scratchWordsPerSubject * (request.groups.count + 1)) { buffer in
            let resolved = resolve(request)
            var subjects = SubjectKeys(buffer, subjects: request.groups.count + 1)
            fillSubjectKeys(request, &subjects, scope: Self.scopeBits(resolved), namespace: resolved.namespace, keepAll: true)
            let keys = subjects.keys
            var counts = CandidateCounts(entries: 0, filtered: 0, allowing: 0)
            func count(_ list: (UInt64) -> UnsafeBufferPointer<BindingEntry>) {
                pool.withUnsafeBufferPointer { pool in
                    for key in keys {
                        for entry in list(key) {
                            counts.entries += 1
                            if Self.passesFilters(entry, resolved) {
                                counts.filtered += 1
                                if roleAllows(firstRule: entry.firstRule, resolved, request.nonResourcePath, pool) >= 0 {
                                    counts.allowing += 1
                                }
                            }
                        }
                    }
                }
            }
            count(clusterList)
            if resolved.namespace != SymbolTable.missing {
                count { namespaceList(resolved.namespace, $0) }
            }
            return counts
        }
    }
}

extension CompiledPolicy {
    /// The bytes of each evaluation table (what a decision may read), largest first, and the
    /// arena's mapped total, for benchmarks.
    @_spi(Statistics)
    public var tableSizes: (tables: [(name: String, bytes: Int)], mapped: Int) {
        func size<T>(_ array: FrozenArray<T>) -> Int { array.count * MemoryLayout<T>.stride }
        func symbolBytes<P>(_ table: FrozenSymbolTable<P>) -> Int { size(table.storage) + size(table.offsets) + size(table.slots) }
        func listBytes<V>(_ lists: KeyedLists<V>) -> Int { lists.slotBytes + size(lists.values) }
        let tables = [
            ("subject symbols", symbolBytes(symbols)), ("attribute symbols", symbolBytes(attributeSymbols)),
            ("verb symbols", symbolBytes(verbSymbols)), ("rules", size(rules) + size(ruleVerbs)), ("pool", size(pool)),
            ("role info", size(roleInfo)), ("role resource index", listBytes(roleResourceIndex)),
            ("ClusterRoleBinding index", clusterSubjects.bytes), ("RoleBinding index", namespaceSubjects.bytes),
            ("binding subjects", size(bindingReasonStart) + size(bindingSubjectKeys) + size(bindingRoles)),
        ]
        return (tables.sorted { $0.1 > $1.1 }.map { (name: $0.0, bytes: $0.1) }, arena.mappedBytes)
    }
}

extension CompiledPolicy {
    /// Reads, without deciding, the lines a decision of `request` reads, up to `level`:
    ///
    /// 1. the request's own strings (every byte, hashed);
    /// 2. also the lookups of its attributes (verb, resource, namespace, API group, name);
    /// 3. also the lookups of its user and group names;
    /// 4. also the subject-index slots of those names (with a list's only entry, kept in its slot);
    /// 5. also the binding entries of the longer lists reached;
    /// 6. also, for every entry passing the filters, its role's information, resource-index
    ///    slot, rules and their ids.
    ///
    /// For the benchmark that measures what each level's cache misses cost a decision (decided
    /// right after, with those lines cached). Returns a checksum of what it read, so that the
    /// reads are not optimised away.
    @_spi(Statistics)
    public func readLines(of request: AccessRequest, throughLevel level: Int) -> UInt64 {
        guard level > 0 else { return 0 }
        var strings = SymbolTable.hash(request.user)
        for group in request.groups { strings &+= SymbolTable.hash(group) }
        switch request.attributes {
        case .resource(let r):
            for string in [r.verb, r.namespace, r.group, r.resource, r.subresource, r.name] { strings &+= SymbolTable.hash(string) }
        case .nonResource(let n):
            strings &+= SymbolTable.hash(n.verb) &+ SymbolTable.hash(n.path)
        }
        guard level > 1 else { return strings }
        let attributes = resolve(request)
        strings &+= UInt64(UInt32(bitPattern: attributes.combined)) &+ UInt64(UInt32(bitPattern: attributes.name))
        guard level > 2 else { return strings }
        strings &+= UInt64(UInt32(bitPattern: symbols.entry(request.user).id))
        for group in request.groups { strings &+= UInt64(UInt32(bitPattern: symbols.entry(group).id)) }
        guard level > 3 else { return strings }
        let capacity = Self.scratchWordsPerSubject * (request.groups.count + 1)
        return strings &+ withUnsafeTemporaryAllocation(of: UInt64.self, capacity: capacity) { buffer in
            let resolved = resolve(request)
            var subjects = SubjectKeys(buffer, subjects: request.groups.count + 1)
            fillSubjectKeys(request, &subjects, scope: Self.scopeBits(resolved), namespace: resolved.namespace, keepAll: true)
            // The probes `collectCandidates` makes, located by the names' hashes.
            let keys = subjects.keys
            var lists: [UnsafeBufferPointer<BindingEntry>] = keys.indices.map { i in
                let locator = Self.subjectLocator(nameHash: subjects.nameHash(i), kind: keys[i] >> 32, namespace: SymbolTable.missing)
                return clusterSubjects.entries(keys[i], locator: locator)
            }
            if resolved.namespace != SymbolTable.missing {
                let namespace = UInt64(UInt32(bitPattern: resolved.namespace)) << 33
                lists += keys.indices.map { i in
                    let locator = Self.subjectLocator(nameHash: subjects.nameHash(i), kind: keys[i] >> 32, namespace: resolved.namespace)
                    return namespaceSubjects.entries(namespace | keys[i], locator: locator)
                }
            }
            guard level > 4 else { return UInt64(lists.count) }
            return pool.withUnsafeBufferPointer { pool in
                var sum: UInt64 = 0
                for list in lists {
                    for entry in list {
                        sum &+= entry.resourceFilter
                        guard level > 5, Self.passesFilters(entry, resolved), entry.firstRule >= 0 else { continue }
                        let first = ruleHeads[Int(entry.firstRule)]
                        var rules = Int(entry.firstRule)..<(Int(entry.firstRule) + Int(first.roleRuleCount))
                        if first.flags.contains(.firstOfIndexedRole) {
                            let info = roleInfo[Int(first.indexedRole)]
                            let key = UInt64(first.indexedRole) << 32 | UInt64(UInt32(bitPattern: resolved.combined))
                            sum &+= UInt64(roleResourceIndex.range(key).count)
                            rules = Int(info.firstRule)..<Int(info.firstRule + info.ruleCount)
                        }
                        for ruleID in rules {
                            let rule = ruleHeads[ruleID]
                            sum &+= rule.verbMask
                            // A resource pair is in the head (its `head` is an id, not a pool position).
                            let resources = rule.flags.contains(.resourcePair) ? IdList.empty : rule.resources
                            for list in [ruleVerbs[ruleID], rule.groups, resources] where list.count > 0 {
                                sum &+= UInt64(UInt32(bitPattern: list.id(0, in: pool)))
                                sum &+= UInt64(UInt32(bitPattern: list.id(Int(list.count) - 1, in: pool)))
                            }
                        }
                    }
                }
                return sum
            }
        }
    }
}
