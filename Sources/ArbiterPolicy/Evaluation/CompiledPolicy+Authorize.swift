internal import CArbiterIntrinsics

/// A request with every string resolved to a symbol id (``SymbolTable/missing`` when the policy
/// never mentions it, which only wildcards can match).
struct ResolvedRequest {
    var isResource: Bool
    /// Id in the verb table.
    var verb: Int32
    /// The verb's mask bit (bit 63 for a late or unknown verb).
    var verbMask: UInt64
    /// True when the verb has a bit of its own: then a mask hit is an exact verb match.
    var verbBitIsExact: Bool
    var group: Int32
    /// `resource` or `resource/subresource`.
    var combined: Int32
    var hasSubresource: Bool
    var subresource: Int32
    var name: Int32
    /// Missing when the namespace is empty or unknown: no RoleBinding can apply then.
    var namespace: Int32
    /// Non-resource requests: the path's id.
    var path: Int32
    /// The request's bit in the roles' resource filters (``CompiledPolicy/resourceFilterBit(isResource:combined:)``).
    var resourceBit: UInt64
    /// `verbMask` folded as the subject-index entries' verb filters (``CompiledPolicy/foldVerbs(_:)``).
    var verbFilter: UInt16

    init(
        isResource: Bool, verb: Int32, group: Int32, combined: Int32, hasSubresource: Bool, namespace: Int32, path: Int32,
        resourceBit: UInt64
    ) {
        self.isResource = isResource
        self.verb = verb
        self.verbMask = RuleCompilerState.verbBit(verb)
        self.verbBitIsExact = verb >= 0 && verb < 63
        self.group = group
        self.combined = combined
        self.hasSubresource = hasSubresource
        self.subresource = SymbolTable.missing
        self.name = SymbolTable.missing
        self.namespace = namespace
        self.path = path
        self.resourceBit = resourceBit
        self.verbFilter = CompiledPolicy.foldVerbs(verbMask)
    }
}

extension CompiledPolicy {
    /// Decides one request.
    ///
    /// Precedence: a matching `Deny` AccessPolicy wins; otherwise an RBAC binding or an `Allow`
    /// AccessPolicy allows; otherwise `defaultDecision` (no opinion unless the operator chose
    /// deny). Ties are broken by the compiled order (bindings by kind, namespace and name), so the
    /// answer and its reason never depend on file or object order.
    ///
    /// The request is borrowed: evaluation reads its strings in place and never copies or
    /// retains them (a caller holding requests in an array or behind a pointer passes them
    /// without a defensive copy).
    public func authorize(_ request: borrowing AccessRequest, defaultDecision: Decision = .noOpinion) -> AuthorizationResult {
        // Scratch space: the subject keys, their scope bits, then up to two candidate lists per
        // key. Of a constant size for up to 15 groups, so that no stack-size check is needed.
        let subjectCount = request.groups.count + 1
        if hasDenyPolicies || hasAllowPolicies || hasMissingRoles {
            return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: Self.scratchWordsPerSubject * subjectCount) { buffer in
                decide(request, SubjectKeys(buffer, subjects: subjectCount), defaultDecision)
            }
        }
        // RBAC only, every role present (the common case): the scratch scope returns a plain
        // value and the result is built outside it, so it is never copied on the way out.
        let allow: BindingAllow?
        if subjectCount <= Self.fixedScratchSubjects {
            let words = Self.scratchWordsPerSubject * Self.fixedScratchSubjects
            allow = withUnsafeTemporaryAllocation(of: UInt64.self, capacity: words) { buffer in
                rbacAllow(request, SubjectKeys(buffer, subjects: subjectCount))
            }
        } else {
            allow = withUnsafeTemporaryAllocation(of: UInt64.self, capacity: Self.scratchWordsPerSubject * subjectCount) { buffer in
                rbacAllow(request, SubjectKeys(buffer, subjects: subjectCount))
            }
        }
        guard let allow else { return noMatch(defaultDecision, errors: []) }
        return allowedByBinding(allow)
    }

    /// The user and up to 15 groups fit the constant-size scratch space.
    static var fixedScratchSubjects: Int { 16 }

    /// Scratch words per subject: its key, scope bits and name hash, then two candidate lists
    /// (two words each).
    static var scratchWordsPerSubject: Int { 7 }

    /// The first binding allowing the request, when the policy is RBAC only with every role present.
    @inline(__always)
    private func rbacAllow(_ request: borrowing AccessRequest, _ subjects: consuming SubjectKeys) -> BindingAllow? {
        var resolved = resolveScope(request)
        let scope = Self.scopeBits(resolved)
        if prefetchesSubjects {
            // A policy larger than the caches: the names' lines start loading first, and the
            // request's own remaining lookups (API group, subresource, name) run while they load.
            // After the subject-index probes, as on the plain path, their misses were one more
            // level of waiting; here they are also made for requests that no role can match
            // (about 70 instructions per decision on the large benchmark policy, against 18–20
            // ns saved when the last-level cache is contested: docs/engine-notes.md).
            let userHash = startSubjectLoads(request, subjects, namespace: resolved.namespace)
            resolveDetails(&resolved, request)
            // Only the names with bindings in the request's scope: nothing else can allow.
            finishSubjectKeys(request, &subjects, userHash: userHash, scope: scope, keepAll: false)
        } else {
            fillSubjectKeys(request, &subjects, scope: scope, namespace: resolved.namespace, keepAll: false)
        }
        if subjects.count == 0 { return nil }
        var candidates = subjects.candidateLists
        collectCandidates(resolved, subjects, &candidates)
        // No role can match: on the plain path the group, name and subresource are never looked up.
        if candidates.isEmpty { return nil }
        if !prefetchesSubjects { resolveDetails(&resolved, request) }
        guard let (entry, position) = firstAllowingBinding(resolved, candidates, path: request.nonResourcePath) else {
            return nil
        }
        return bindingAllow(entry, rulePosition: position, keys: subjects.keys)
    }

    /// The general path: AccessPolicies and bindings to missing roles.
    private func decide(
        _ request: borrowing AccessRequest, _ subjects: consuming SubjectKeys, _ defaultDecision: Decision
    ) -> AuthorizationResult {
        let resolved = resolve(request)
        // Every name the policy knows: AccessPolicies may name subjects that have no binding.
        fillSubjectKeys(request, &subjects, scope: Self.scopeBits(resolved), namespace: resolved.namespace, keepAll: true)
        let keys = subjects.keys
        // Nobody the policy names, and no subject patterns: nothing can match.
        if keys.isEmpty && policyPrefixSubjects.isEmpty {
            return noMatch(defaultDecision, errors: [])
        }
        do {
            if hasDenyPolicies, let (policy, position) = matchAccessPolicy(.deny, request, resolved, keys) {
                let name = accessPolicies[policy].name
                return AuthorizationResult(
                    decision: .deny, reason: "AccessPolicy: denied by AccessPolicy \(goQuoted(name)) rule \(position)",
                    source: .accessPolicy(index: policy, ruleIndex: position))
            }
            var candidates = subjects.candidateLists
            collectCandidates(resolved, subjects, &candidates)
            if let (entry, position) = firstAllowingBinding(resolved, candidates, path: request.nonResourcePath) {
                return allowedByBinding(bindingAllow(entry, rulePosition: position, keys: keys))
            }
            if hasAllowPolicies, let (policy, position) = matchAccessPolicy(.allow, request, resolved, keys) {
                let accessPolicy = accessPolicies[policy]
                let subject = accessPolicy.subjects.first { $0.matches(user: request.user, groups: request.groups) }
                let to = subject.map { " to " + Self.describe($0) } ?? ""
                return AuthorizationResult(
                    decision: .allow,
                    reason: "AccessPolicy: allowed by AccessPolicy \(goQuoted(accessPolicy.name)) rule \(position)\(to)",
                    source: .accessPolicy(index: policy, ruleIndex: position))
            }
            return noMatch(defaultDecision, errors: hasMissingRoles ? missingRoleErrors(resolved, keys) : [])
        }
    }

    /// Nothing allowed or denied: no opinion (or the configured default), with Kubernetes'
    /// aggregated errors for bindings to missing roles as the reason.
    private func noMatch(_ defaultDecision: Decision, errors: [String]) -> AuthorizationResult {
        if errors.isEmpty && defaultDecision == .noOpinion { return AuthorizationResult(decision: .noOpinion) }
        let reason = errors.isEmpty ? "" : "RBAC: " + Self.aggregate(errors)
        if defaultDecision == .deny {
            let denyReason = reason.isEmpty ? "no policy allows this request (default decision: Deny)" : reason
            return AuthorizationResult(
                decision: .deny, reason: denyReason, evaluationError: errors.isEmpty ? nil : Self.aggregate(errors),
                source: .defaultDecision)
        }
        return AuthorizationResult(
            decision: .noOpinion, reason: reason, evaluationError: errors.isEmpty ? nil : Self.aggregate(errors))
    }

    // MARK: - Resolution

    /// Every attribute of the request resolved to ids.
    @inline(__always)
    func resolve(_ request: borrowing AccessRequest) -> ResolvedRequest {
        var resolved = resolveScope(request)
        resolveDetails(&resolved, request)
        return resolved
    }

    /// What the subject-index filters and scopes need: the verb, the `resource[/subresource]`
    /// (or the path) and the namespace. The group, subresource and name are left
    /// ``SymbolTable/missing`` until ``resolveDetails(_:_:)``.
    @inline(__always)
    func resolveScope(_ request: borrowing AccessRequest) -> ResolvedRequest {
        switch request.attributes {
        case .resource(let r):
            let hasSub = !r.subresource.isEmpty
            let verb = verbSymbols.lookup(r.verb)
            let combined = hasSub ? attributeSymbols.lookupCombined(r.resource, r.subresource) : attributeSymbols.lookup(r.resource)
            return ResolvedRequest(
                isResource: true, verb: verb, group: SymbolTable.missing, combined: combined, hasSubresource: hasSub,
                namespace: r.namespace.isEmpty ? SymbolTable.missing : attributeSymbols.lookup(r.namespace),
                path: SymbolTable.missing, resourceBit: resourceFilterBit(isResource: true, combined: combined))
        case .nonResource(let n):
            let verb = verbSymbols.lookup(n.verb)
            return ResolvedRequest(
                isResource: false, verb: verb, group: SymbolTable.missing, combined: SymbolTable.missing,
                hasSubresource: false, namespace: SymbolTable.missing, path: attributeSymbols.lookup(n.path),
                resourceBit: resourceFilterBit(isResource: false, combined: SymbolTable.missing))
        }
    }

    /// Completes ``resolveScope(_:)``: the API group, subresource and name of a resource request.
    @inline(__always)
    func resolveDetails(_ resolved: inout ResolvedRequest, _ request: borrowing AccessRequest) {
        guard case .resource(let r) = request.attributes else { return }
        resolved.group = attributeSymbols.lookup(r.group)
        if resolved.hasSubresource { resolved.subresource = attributeSymbols.lookup(r.subresource) }
        resolved.name = attributeSymbols.lookup(r.name)
    }

    // MARK: - Rules

    /// Kubernetes' `RuleAllows` on a compiled rule. Reads the rule's head, and the full rule
    /// only when the head's flags say a resource-name or `*/sub` test needs it, or for a
    /// non-resource request.
    @inline(__always)
    func ruleAllows(_ ruleID: Int32, _ request: ResolvedRequest, _ pool: UnsafeBufferPointer<Int32>) -> Bool {
        let rule = ruleHeads[Int(ruleID)]
        if rule.verbMask & request.verbMask == 0 { return false }
        if !request.verbBitIsExact && !rule.flags.contains(.allVerbs)
            && !ruleVerbs[Int(ruleID)].contains(request.verb, in: pool) {
            return false
        }
        if request.isResource {
            if !rule.flags.contains(.allGroups) && !rule.groups.contains(request.group, in: pool) { return false }
            if !rule.flags.contains(.allResources) && !rule.namesResource(request.combined, in: pool) {
                guard request.hasSubresource && rule.flags.contains(.hasStarSubresources)
                    && rules[Int(ruleID)].starSubresources.contains(request.subresource, in: pool)
                else {
                    return false
                }
            }
            return !rule.flags.contains(.hasNames) || rules[Int(ruleID)].names.contains(request.name, in: pool)
        }
        if rule.flags.contains(.allURLs) || rules[Int(ruleID)].urls.contains(request.path, in: pool) { return true }
        return false
    }

    /// The first rule position of `role` that allows the request, or -1. Callers have checked
    /// the role's verb mask already (subject index entries carry it).
    @inline(__always)
    func roleAllows(
        _ role: Int32, _ request: ResolvedRequest, _ path: String?, _ pool: UnsafeBufferPointer<Int32>
    ) -> Int32 {
        let info = roleInfo[Int(role)]
        guard info.ruleCount > 0 else { return -1 }
        return roleAllows(firstRule: info.firstRule, request, path, pool)
    }

    /// ``roleAllows(_:_:_:_:)`` for the role whose first rule is `firstRule` (a subject-index
    /// entry's): that rule's head says how many rules the role has, so unless the role is
    /// indexed its ``RoleInfo`` is never read.
    @inline(__always)
    func roleAllows(
        firstRule: Int32, _ request: ResolvedRequest, _ path: String?, _ pool: UnsafeBufferPointer<Int32>
    ) -> Int32 {
        // Entries of missing and empty roles never pass the filters; fail closed all the same.
        guard firstRule >= 0 else { return -1 }
        let head = ruleHeads[Int(firstRule)]
        if head.flags.contains(.firstOfIndexedRole) {
            return indexedRoleAllows(head.indexedRole, request, path, pool)
        }
        for position in 0..<Int32(head.roleRuleCount) {
            let ruleID = firstRule + position
            if ruleAllows(ruleID, request, pool) { return position }
            if let path, nonResourcePrefixAllows(ruleID, request, path, pool) { return position }
        }
        return -1
    }

    /// ``roleAllows(_:_:_:_:)`` for a role over ``roleIndexThreshold``: for a resource request,
    /// only its rules naming the request's resource and its wildcard rules are tested.
    @inline(never)
    func indexedRoleAllows(
        _ role: Int32, _ request: ResolvedRequest, _ path: String?, _ pool: UnsafeBufferPointer<Int32>
    ) -> Int32 {
        let info = roleInfo[Int(role)]
        if request.isResource {
            var best = Int32.max
            if request.combined != SymbolTable.missing {
                let range = roleResourceIndex.range(UInt64(role) << 32 | UInt64(UInt32(bitPattern: request.combined)))
                roleResourceIndex.values.withUnsafeBufferPointer { positions in
                    for i in range where ruleAllows(info.firstRule + positions[i], request, pool) {
                        best = positions[i]
                        break
                    }
                }
            }
            for i in 0..<Int(info.wildcardCount) {
                let position = pool[Int(info.wildcardStart) + i]
                if position >= best { break }
                if ruleAllows(info.firstRule + position, request, pool) {
                    best = position
                    break
                }
            }
            return best == Int32.max ? -1 : best
        }
        for position in 0..<info.ruleCount {
            let ruleID = info.firstRule + position
            if ruleAllows(ruleID, request, pool) { return position }
            if let path, nonResourcePrefixAllows(ruleID, request, path, pool) { return position }
        }
        return -1
    }

    /// The `*`-suffixed non-resource URL entries of a rule (a raw byte prefix, as Kubernetes).
    @inline(__always)
    func nonResourcePrefixAllows(
        _ ruleID: Int32, _ request: ResolvedRequest, _ path: String, _ pool: UnsafeBufferPointer<Int32>,
        forDeny: Bool = false
    ) -> Bool {
        let rule = rules[Int(ruleID)]
        guard rule.urlPrefixes.count > 0, rule.verbMask & request.verbMask != 0 else { return false }
        if !request.verbBitIsExact && !rule.flags.contains(.allVerbs)
            && !ruleVerbs[Int(ruleID)].contains(request.verb, in: pool) {
            return false
        }
        // Security checklist 19: a prefix grant (`/healthz/*`) never allows a path that is not in
        // canonical form (`/healthz/../api`, `%2e%2e`, `//`, NUL): Kubernetes' raw prefix would,
        // and a proxy or server normalising the path later would serve something else. A prefix
        // *deny* still applies to such paths. (Asked only of rules with prefixes and the verb.)
        if !forDeny && !NonResourcePath.isCanonical(path) { return false }
        for i in 0..<Int(rule.urlPrefixes.count) {
            let prefix = rule.urlPrefixes.id(i, in: pool)
            if path.utf8.starts(with: attributeSymbols.bytes(prefix)) { return true }
        }
        return false
    }

    // MARK: - Bindings

    /// The subject-index lists of the requester's keys that may hold an entry passing the role
    /// filters (see ``collect(_:_:_:_:)``): ClusterRoleBinding lists first, then RoleBinding lists
    /// of the request's namespace. Each is stored as two words: where its entries are (in a slot
    /// of the index, or in its `values`) and how many there are.
    struct CandidateLists {
        let buffer: UnsafeMutableBufferPointer<UInt64>
        /// How many of the lists are ClusterRoleBinding lists (they come first).
        var clusterCount = 0
        var count = 0

        init(buffer: UnsafeMutableBufferPointer<UInt64>) { self.buffer = buffer }

        var isEmpty: Bool { count == 0 }

        @inline(__always)
        mutating func append(_ list: UnsafeBufferPointer<BindingEntry>) {
            buffer[2 &* count] = UInt64(UInt(bitPattern: list.baseAddress))
            buffer[2 &* count &+ 1] = UInt64(list.count)
            count += 1
        }

        @inline(__always)
        func list(_ i: Int) -> UnsafeBufferPointer<BindingEntry> {
            UnsafeBufferPointer(
                start: UnsafePointer(bitPattern: UInt(buffer[2 &* i])), count: Int(truncatingIfNeeded: buffer[2 &* i &+ 1]))
        }
    }

    /// Probes the subject indexes for each key whose scope bits say it may have bindings there,
    /// and keeps the lists worth scanning (at most two per key: `candidates` has room for them).
    @inline(__always)
    func collectCandidates(_ request: ResolvedRequest, _ subjects: borrowing SubjectKeys, _ candidates: inout CandidateLists) {
        // One test here, not one per probe: each specialisation has its own loop.
        if prefetchesSubjects {
            collectCandidates(request, subjects, &candidates, StartingLoads.self)
        } else {
            collectCandidates(request, subjects, &candidates, NotStartingLoads.self)
        }
    }

    /// Whether ``collect(_:_:_:_:)`` starts loading what the scan reads next: a type, so that
    /// the plain path's loop is compiled without the tests.
    protocol CandidateLoads { static var starts: Bool { get } }
    enum StartingLoads: CandidateLoads { static var starts: Bool { true } }
    enum NotStartingLoads: CandidateLoads { static var starts: Bool { false } }

    private func collectCandidates<Loads: CandidateLoads>(
        _ request: ResolvedRequest, _ subjects: borrowing SubjectKeys, _ candidates: inout CandidateLists, _ loads: Loads.Type
    ) {
        let keys = subjects.keys
        for i in keys.indices where subjects.scopes(i) & SubjectScopes.clusterBit != 0 {
            let locator = Self.subjectLocator(nameHash: subjects.nameHash(i), kind: keys[i] >> 32, namespace: SymbolTable.missing)
            collect(clusterSubjects.entries(keys[i], locator: locator) { Self.passesFilters($0, request) }, request, &candidates, loads)
        }
        candidates.clusterCount = candidates.count
        guard request.namespace != SymbolTable.missing else { return }
        let namespace = UInt64(UInt32(bitPattern: request.namespace)) << 33
        for i in keys.indices where subjects.scopes(i) & ~SubjectScopes.clusterBit != 0 {
            let locator = Self.subjectLocator(nameHash: subjects.nameHash(i), kind: keys[i] >> 32, namespace: request.namespace)
            collect(
                namespaceSubjects.entries(namespace | keys[i], locator: locator) { Self.passesFilters($0, request) }, request,
                &candidates, loads)
        }
    }

    /// Keeps `list` if one of its entries may pass the role filters.
    ///
    /// On a policy larger than the caches (``prefetchesSubjects``; `Loads` is ``StartingLoads``)
    /// the next level of a decision's reads starts loading here, as soon as the subject-index
    /// slot has arrived: a longer list (whose slot's union of filters passed) is kept without
    /// being read, only its first line requested (the scan tests each entry's filters anyway);
    /// an entry kept in the slot that passes has its role's first rule head requested and, when
    /// other subjects precede its own in the binding, the binding's subject keys (the allow
    /// reason reads them). Hints only: no result changes.
    @inline(__always)
    private func collect<Loads: CandidateLoads>(
        _ list: UnsafeBufferPointer<BindingEntry>, _ request: ResolvedRequest, _ candidates: inout CandidateLists, _ loads: Loads.Type
    ) {
        if Loads.starts && list.count > 1 {
            candidates.append(list)
            CArbiterIntrinsics_prefetch(list.baseAddress!)
            return
        }
        for entry in list where Self.passesFilters(entry, request) {
            candidates.append(list)
            if Loads.starts {
                if entry.firstRule >= 0 { CArbiterIntrinsics_prefetch(ruleHeads.buffer.baseAddress! + Int(entry.firstRule)) }
                if entry.subjectPosition != 0 {
                    CArbiterIntrinsics_prefetch(bindingSubjectKeys.buffer.baseAddress! + Int(entry.reasonStart))
                }
            }
            return
        }
    }

    /// INVARIANT (resource-filter): a role lacking the request's verb or resource bit cannot
    /// allow it. A missing role has masks 0: it never passes.
    @inline(__always)
    static func passesFilters(_ entry: BindingEntry, _ request: ResolvedRequest) -> Bool {
        entry.verbFilter & request.verbFilter != 0 && entry.resourceFilter & request.resourceBit != 0
    }

    /// The first binding (in compiled order) that allows the request, with the rule position.
    /// Every ClusterRoleBinding precedes every RoleBinding in that order, so a ClusterRoleBinding
    /// match ends the search. Not inlined: the request's path through `authorize` stays small
    /// enough for the instruction cache (inlined, callgrind counted 5 instruction-cache misses
    /// per decision instead of 0.2).
    @inline(never)
    func firstAllowingBinding(_ request: ResolvedRequest, _ candidates: CandidateLists, path: String?) -> (BindingEntry, Int32)? {
        pool.withUnsafeBufferPointer { pool in
            if let found = scan(candidates, 0..<candidates.clusterCount, request, path, pool) { return found }
            return scan(candidates, candidates.clusterCount..<candidates.count, request, path, pool)
        }
    }

    @inline(__always)
    private func scan(
        _ candidates: CandidateLists, _ which: Range<Int>, _ request: ResolvedRequest, _ path: String?,
        _ pool: UnsafeBufferPointer<Int32>
    ) -> (BindingEntry, Int32)? {
        var best: (BindingEntry, Int32)? = nil
        for r in which {
            for entry in candidates.list(r) {
                if let best, entry.binding >= best.0.binding { break }
                if !Self.passesFilters(entry, request) { continue }
                let position = roleAllows(firstRule: entry.firstRule, request, path, pool)
                if position >= 0 {
                    best = (entry, position)
                    break
                }
            }
        }
        return best
    }

    /// An allowing binding, its rule and the subject reported (all plain integers).
    struct BindingAllow: BitwiseCopyable {
        var binding: Int32
        var rule: Int32
        /// Index in ``bindingReasons`` of the subject reported, or -1 when none applies.
        var reason: Int32
        /// Position of that subject in the binding.
        var subject: Int32
    }

    /// Kubernetes reports the binding's first subject (in the binding's order) that applies to
    /// the requester. The entry's own subject applies; only the subjects before it need a look,
    /// and when it is the binding's first there are none (the common case: no memory touched).
    @inline(__always)
    func bindingAllow(_ entry: BindingEntry, rulePosition: Int32, keys: UnsafeBufferPointer<UInt64>) -> BindingAllow {
        let start = Int(entry.reasonStart)
        let own = Int(entry.subjectPosition)
        if own == BindingEntry.maxSubjectPosition {
            // A subject this far into a binding: look at all of them, as Kubernetes does.
            return bindingAllowScanning(entry, rulePosition: rulePosition, keys: keys)
        }
        for position in start..<(start + own) where keys.contains(bindingSubjectKeys[position]) {
            return BindingAllow(binding: entry.binding, rule: rulePosition, reason: Int32(position), subject: Int32(position - start))
        }
        // The entry was reached through this subject's key (checked in debug builds and tests).
        assert(keys.contains(bindingSubjectKeys[start + own]))
        return BindingAllow(binding: entry.binding, rule: rulePosition, reason: Int32(start + own), subject: Int32(own))
    }

    /// ``bindingAllow(_:rulePosition:keys:)`` looking at every subject of the binding.
    @inline(never)
    func bindingAllowScanning(_ entry: BindingEntry, rulePosition: Int32, keys: UnsafeBufferPointer<UInt64>) -> BindingAllow {
        let index = Int(entry.binding)
        let start = Int(entry.reasonStart)
        let end = index + 1 < bindingReasonStart.count ? Int(bindingReasonStart[index + 1]) : bindingSubjectKeys.count
        for position in start..<end where keys.contains(bindingSubjectKeys[position]) {
            return BindingAllow(binding: entry.binding, rule: rulePosition, reason: Int32(position), subject: Int32(position - start))
        }
        return BindingAllow(binding: entry.binding, rule: rulePosition, reason: -1, subject: -1)
    }

    /// The allow result of a binding.
    func allowedByBinding(_ allow: BindingAllow) -> AuthorizationResult {
        guard allow.reason >= 0 else {
            // Unreachable: the binding was found through one of its subjects' keys. Fail closed.
            return AuthorizationResult(
                decision: .noOpinion, evaluationError: "internal error: a binding matched through no subject")
        }
        return AuthorizationResult(allowedBy: bindingReasons, allow)
    }

    /// Kubernetes' `appliesToUser`, byte-exact.
    static func applies(_ subject: Subject, to request: AccessRequest, bindingNamespace: String) -> Bool {
        switch subject.kind {
        case .user: return subject.name.bytesEqual(request.user)
        case .group: return request.groups.contains { $0.bytesEqual(subject.name) }
        case .serviceAccount:
            let namespace = subject.namespace.isEmpty ? bindingNamespace : subject.namespace
            guard !namespace.isEmpty else { return false }
            return ServiceAccountName.userName(namespace: namespace, name: subject.name).bytesEqual(request.user)
        }
    }

    /// Kubernetes' `describeSubject`.
    static func describe(_ subject: Subject, bindingNamespace: String) -> String {
        switch subject.kind {
        case .serviceAccount:
            let namespace = subject.namespace.isEmpty ? bindingNamespace : subject.namespace
            return "ServiceAccount " + goQuoted(subject.name + "/" + namespace)
        default:
            return subject.kind.rawValue + " " + goQuoted(subject.name)
        }
    }

    static func describe(_ subject: SubjectPattern) -> String {
        switch subject.kind {
        case .serviceAccount: return "ServiceAccount " + goQuoted(subject.name + "/" + subject.namespace)
        default: return subject.kind.rawValue + " " + goQuoted(subject.name)
        }
    }

    // MARK: - Errors

    /// Kubernetes reports bindings (that apply to the requester) whose role does not exist.
    func missingRoleErrors(_ request: ResolvedRequest, _ keys: UnsafeBufferPointer<UInt64>) -> [String] {
        var candidates = Set<Int32>()
        let missing = BindingEntry.missingRole
        for key in keys { for entry in clusterList(key) where entry.firstRule == missing { candidates.insert(entry.binding) } }
        if request.namespace != SymbolTable.missing {
            for key in keys {
                for entry in namespaceList(request.namespace, key) where entry.firstRule == missing { candidates.insert(entry.binding) }
            }
        }
        return candidates.sorted().map { index in
            let roleRef = bindings[Int(index)].roleRef
            let resource = roleRef.kind == .clusterRole ? "clusterrole" : "role"
            return "\(resource).rbac.authorization.k8s.io \(goQuoted(roleRef.name)) not found"
        }
    }

    /// Kubernetes' aggregate error text: one message as is, several as `[a, b]`, duplicates once.
    static func aggregate(_ messages: [String]) -> String {
        var seen = Set<ByteString>()
        let unique = messages.filter { seen.insert(ByteString($0)).inserted }
        return unique.count == 1 ? unique[0] : "[" + unique.joined(separator: ", ") + "]"
    }
}
