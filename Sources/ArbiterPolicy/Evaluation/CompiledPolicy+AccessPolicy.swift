extension CompiledPolicy {
    /// The first AccessPolicy (by name) of the given effect that matches the request, with the
    /// position of the matching rule.
    ///
    /// Candidates come from the subject indexes: exact user and group names, then one probe per
    /// distinct pattern-prefix length. Every candidate is verified against its subjects (for
    /// prefix hits) and its exceptions, namespaces and rules.
    func matchAccessPolicy(
        _ effect: AccessPolicy.Effect, _ request: AccessRequest, _ resolved: ResolvedRequest,
        _ keys: UnsafeBufferPointer<UInt64>
    ) -> (Int, Int)? {
        var best: (Int, Int)? = nil
        func consider(_ policyIndex: Int, verifySubject: Bool) {
            if let best, policyIndex >= best.0 { return }
            let policy = accessPolicies[policyIndex]
            guard policy.effect == effect else { return }
            if verifySubject && !policy.subjects.contains(where: { $0.matches(user: request.user, groups: request.groups) }) {
                return
            }
            if policy.except.contains(where: { $0.matches(user: request.user, groups: request.groups) }) { return }
            if let namespaces = policy.namespaces {
                guard case .resource(let attributes) = request.attributes,
                    namespaces.contains(where: { Pattern.matches($0, attributes.namespace) })
                else { return }
            }
            let span = policyRules[policyIndex]
            let position: Int? = pool.withUnsafeBufferPointer { pool in
                for i in 0..<Int(span.count) {
                    let ruleID = pool[Int(span.start) + i]
                    if ruleAllows(ruleID, resolved, pool) { return i }
                    if let path = request.nonResourcePath, nonResourcePrefixAllows(ruleID, resolved, path, pool, forDeny: effect == .deny) {
                        return i
                    }
                }
                return nil
            }
            if let position { best = (policyIndex, position) }
        }

        policyExactSubjects.values.withUnsafeBufferPointer { values in
            for key in keys {
                for i in policyExactSubjects.range(key) { consider(Int(values[i]), verifySubject: false) }
            }
        }
        if !policyPrefixSubjects.isEmpty {
            probePrefixes(request.user, kind: Self.userKind, lengths: userPrefixLengths, consider)
            if !groupPrefixLengths.isEmpty {
                for group in request.groups {
                    probePrefixes(group, kind: Self.groupKind, lengths: groupPrefixLengths, consider)
                }
            }
        }
        return best
    }

    private func probePrefixes(
        _ name: String, kind: UInt64, lengths: [Int], _ consider: (Int, Bool) -> Void
    ) {
        var copy = name
        copy.withUTF8 { bytes in
            for length in lengths {
                if length > bytes.count { break }
                let id = symbols.lookup(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[0..<length])))
                if id == SymbolTable.missing { continue }
                let range = policyPrefixSubjects.range(Self.subjectKey(kind, id))
                for i in range { consider(Int(policyPrefixSubjects.values[i]), true) }
            }
        }
    }
}
