/// Computes aggregated ClusterRoles the way Kubernetes' aggregation controller does, offline.
///
/// The controller overwrites an aggregated role's `rules` with the rules of every other
/// ClusterRole whose labels match one of its selectors, taken in name order and without
/// duplicates. Aggregated roles can select each other (`admin` selects `edit`, which selects
/// `view`), so this iterates to the least fixpoint, starting every aggregated role empty. The
/// result does not depend on the order in which roles were loaded.
enum RoleAggregator {
    /// Returns `roles` with every aggregated ClusterRole's rules replaced by its aggregation.
    ///
    /// Rules are compared as ids (equal rules, byte for byte, share one, computed once per rule
    /// of the input), and a pass recomputes an aggregated role only when a role it selects
    /// changed since its last computation: recomputing it otherwise gives what it has. Roles
    /// that select each other (a few hundred aggregating each other's unions) then cost
    /// integer work, not a string per rule per visit (8.8 s for 200 of them before).
    static func aggregate(_ roles: [Role]) -> [Role] {
        var roles = roles
        let clusterRoles = roles.indices.filter { roles[$0].kind == .clusterRole }
            .sorted { roles[$0].name.utf8.lexicographicallyPrecedes(roles[$1].name.utf8) }
        let aggregated = clusterRoles.filter { roles[$0].aggregationRule != nil }
        guard !aggregated.isEmpty else { return roles }

        // Rule ids: `ruleOf[id]` is the first rule seen with that identity.
        var idOf: [ByteString: Int32] = [:]
        var ruleOf: [PolicyRule] = []
        // Per ClusterRole (by index in `roles`), its rules as ids; aggregated roles start empty.
        var ids: [Int: [Int32]] = [:]
        for index in clusterRoles {
            guard roles[index].aggregationRule == nil else {
                ids[index] = []
                continue
            }
            ids[index] = roles[index].rules.map { rule in
                let key = identity(rule)
                if let id = idOf[key] { return id }
                let id = Int32(ruleOf.count)
                idOf[key] = id
                ruleOf.append(rule)
                return id
            }
        }

        // Which roles each aggregated role selects (labels never change, so compute once).
        var selected: [Int: [Int]] = [:]
        for index in aggregated {
            let selectors = roles[index].aggregationRule!.clusterRoleSelectors
            selected[index] = clusterRoles.filter { other in
                other != index && selectors.contains { $0.matches(roles[other].labels) }
            }
        }
        // Steps number the computations; a role is recomputed when a role it selects changed
        // at a later step than its own last computation.
        var step = 0
        var computedAt: [Int: Int] = [:]
        var changedAt: [Int: Int] = [:]
        // `seen[id] == step`: rule `id` is already in the role being computed at `step`.
        var seen = [Int](repeating: 0, count: ruleOf.count)
        // Each pass can only add rules; the total is finite, so this terminates. The bound is a
        // guard against a bug, not a semantic limit. Roles are computed in name order, each
        // pass seeing the rules earlier roles got in it.
        for _ in 0...(aggregated.count + 1) {
            var changed = false
            for index in aggregated {
                let inputs = selected[index]!
                if let last = computedAt[index], !inputs.contains(where: { (changedAt[$0] ?? 0) > last }) { continue }
                step += 1
                computedAt[index] = step
                var next: [Int32] = []
                for other in inputs {
                    for id in ids[other]! where seen[Int(id)] != step {
                        seen[Int(id)] = step
                        next.append(id)
                    }
                }
                if next != ids[index]! {
                    ids[index] = next
                    changedAt[index] = step
                    changed = true
                }
            }
            if !changed { break }
        }
        for index in aggregated { roles[index].rules = ids[index]!.map { ruleOf[Int($0)] } }
        return roles
    }

    /// A byte-exact identity for a rule (Kubernetes compares rules with `DeepEqual`).
    private static func identity(_ rule: PolicyRule) -> ByteString {
        let lists = [rule.verbs, rule.apiGroups, rule.resources, rule.resourceNames, rule.nonResourceURLs]
        return ByteString(lists.map { $0.map { "\($0.utf8.count):\($0)" }.joined() }.joined(separator: "|"))
    }
}
