/// The requester's side of a decision: its user and group names resolved to subject keys, with
/// where each has bindings, ready for the subject-index probes of ``CompiledPolicy/collectCandidates(_:_:_:)``.
extension CompiledPolicy {
    /// The ``SubjectScopes`` bits of a request's scope: ClusterRoleBindings always, RoleBindings
    /// of its namespace when it has one the policy knows.
    @inline(__always)
    static func scopeBits(_ request: ResolvedRequest) -> UInt64 {
        SubjectScopes.clusterBit | (request.namespace != SymbolTable.missing ? SubjectScopes.namespaceBit(request.namespace) : 0)
    }

    /// The requester's subject keys (`kind << 32 | id`: its user name, then each group), per key
    /// its ``SubjectScopes`` bits within the request's scope and its name's hash, in scratch
    /// space: then ``CandidateLists`` after them.
    struct SubjectKeys: ~Copyable {
        let buffer: UnsafeMutableBufferPointer<UInt64>
        /// The most keys there can be (the user and every group).
        let capacity: Int
        var count = 0

        /// `buffer` holds at least ``CompiledPolicy/scratchWordsPerSubject`` `* subjects` words.
        init(_ buffer: UnsafeMutableBufferPointer<UInt64>, subjects: Int) {
            self.buffer = buffer
            self.capacity = subjects
        }

        var keys: UnsafeBufferPointer<UInt64> { UnsafeBufferPointer(rebasing: buffer[0..<count]) }

        @inline(__always)
        func scopes(_ i: Int) -> UInt64 { buffer[capacity + i] }

        /// The ``SymbolTable/hash(_:)`` of key `i`'s name (its subject-index locator).
        @inline(__always)
        func nameHash(_ i: Int) -> UInt64 { buffer[2 * capacity + i] }

        @inline(__always)
        mutating func append(_ key: UInt64, scopes: UInt64, nameHash: UInt64) {
            buffer[count] = key
            buffer[capacity + count] = scopes
            buffer[2 * capacity + count] = nameHash
            count += 1
        }

        /// While the keys are filled in: the hash of the request's group `index`, kept where the
        /// candidate lists go later.
        @inline(__always)
        func pendingHash(_ index: Int) -> UInt64 { buffer[3 * capacity + index] }

        @inline(__always)
        func setPendingHash(_ index: Int, _ hash: UInt64) { buffer[3 * capacity + index] = hash }

        /// Room for two candidate lists per key (two words each), after the keys, their scopes
        /// and their hashes.
        var candidateLists: CandidateLists {
            CandidateLists(buffer: UnsafeMutableBufferPointer(rebasing: buffer[(3 * capacity)...]))
        }
    }

    /// Writes the subject keys of the requester: its user name, then each group. Names the policy
    /// never mentions are left out (no binding or AccessPolicy can name them); unless `keepAll`,
    /// so are names without a binding in `scope` (INVARIANT subject-scopes).
    ///
    /// For a policy larger than the caches (``prefetchesSubjects``), every name is hashed first
    /// and what its lookups will read starts loading at once: its symbol slot and its
    /// subject-index slots (ClusterRoleBindings, and RoleBindings in `namespace`), which are
    /// located by the name's hash, not its id. The cache misses of all the names then overlap
    /// instead of following one another; the lookups themselves are unchanged.
    @inline(__always)
    func fillSubjectKeys(
        _ request: borrowing AccessRequest, _ subjects: inout SubjectKeys, scope: UInt64, namespace: Int32, keepAll: Bool
    ) {
        if prefetchesSubjects {
            let userHash = startSubjectLoads(request, subjects, namespace: namespace)
            finishSubjectKeys(request, &subjects, userHash: userHash, scope: scope, keepAll: keepAll)
            return
        }
        let user = symbols.entryAndHash(request.user)
        appendSubject(Self.userKind, user.id, bits: user.payload.user & scope, nameHash: user.hash, &subjects, keepAll: keepAll)
        // Through the array's buffer (not `for group in` or the array subscript, which return
        // owned copies): the group names are borrowed, with no retain of the array or its strings.
        request.groups.withUnsafeBufferPointer { groups in
            for index in groups.indices {
                let group = symbols.entryAndHash(groups[index])
                appendSubject(
                    Self.groupKind, group.id, bits: group.payload.group & scope, nameHash: group.hash, &subjects, keepAll: keepAll)
            }
        }
    }

    /// The first pass of ``fillSubjectKeys(_:_:scope:namespace:keepAll:)`` on a policy that
    /// ``prefetchesSubjects``: hashes the user and every group (the groups' hashes kept in
    /// `subjects`) and starts loading their symbol and subject-index slots. Returns the user's hash.
    @inline(__always)
    func startSubjectLoads(_ request: borrowing AccessRequest, _ subjects: borrowing SubjectKeys, namespace: Int32) -> UInt64 {
        let userHash = SymbolTable.hash(request.user)
        prefetchSubject(userHash, kind: Self.userKind, namespace: namespace)
        request.groups.withUnsafeBufferPointer { groups in
            for index in groups.indices {
                let hash = SymbolTable.hash(groups[index])
                subjects.setPendingHash(index, hash)
                prefetchSubject(hash, kind: Self.groupKind, namespace: namespace)
            }
        }
        return userHash
    }

    /// The second pass: the lookups, with the hashes of ``startSubjectLoads(_:_:namespace:)``.
    @inline(__always)
    func finishSubjectKeys(
        _ request: borrowing AccessRequest, _ subjects: inout SubjectKeys, userHash: UInt64, scope: UInt64, keepAll: Bool
    ) {
        let user = symbols.entry(request.user, hash: userHash)
        appendSubject(Self.userKind, user.id, bits: user.payload.user & scope, nameHash: userHash, &subjects, keepAll: keepAll)
        request.groups.withUnsafeBufferPointer { groups in
            for index in groups.indices {
                let hash = subjects.pendingHash(index)
                let group = symbols.entry(groups[index], hash: hash)
                appendSubject(
                    Self.groupKind, group.id, bits: group.payload.group & scope, nameHash: hash, &subjects, keepAll: keepAll)
            }
        }
    }

    /// Appends a name the policy knows (`id` not missing) when `keepAll` or it has a binding in
    /// the request's scope (`bits`, its scopes as a user or as a group, within that scope).
    @inline(__always)
    private func appendSubject(
        _ kind: UInt64, _ id: Int32, bits: UInt64, nameHash: UInt64, _ subjects: inout SubjectKeys, keepAll: Bool
    ) {
        guard id != SymbolTable.missing, keepAll || bits != 0 else { return }
        subjects.append(Self.subjectKey(kind, id), scopes: bits, nameHash: nameHash)
    }

    /// Starts loading what the lookups of a subject name with this hash will read: its symbol
    /// slot and its subject-index slots (ClusterRoleBindings, and RoleBindings in `namespace`).
    @inline(__always)
    func prefetchSubject(_ nameHash: UInt64, kind: UInt64, namespace: Int32) {
        symbols.prefetch(hash: nameHash)
        clusterSubjects.prefetch(locator: Self.subjectLocator(nameHash: nameHash, kind: kind, namespace: SymbolTable.missing))
        if namespace != SymbolTable.missing {
            namespaceSubjects.prefetch(locator: Self.subjectLocator(nameHash: nameHash, kind: kind, namespace: namespace))
        }
    }
}
