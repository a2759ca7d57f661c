/// Computes aggregated ClusterRoles the way Kubernetes' aggregation controller does, offline.
///
/// The controller overwrites an aggregated role's `rules` with the rules of every other
/// ClusterRole whose labels match one of its selectors, taken in name order and without
/// duplicates. Aggregated roles can select each other (`admin` selects `edit`, which selects
/// `view`), so this iterates to the least fixpoint, starting every aggregated role empty. The
/// result does not depend on the order in which roles were loaded.
enum RoleAggregator {
    /// Returns `roles` with every aggregated ClusterRole's rules replaced by its aggregation.
    static func aggregate(_ roles: [Role]) -> [Role] {
        var roles = roles
        let clusterRoles = roles.indices.filter { roles[$0].kind == .clusterRole }
            .sorted { roles[$0].name.utf8.lexicographicallyPrecedes(roles[$1].name.utf8) }
        let aggregated = clusterRoles.filter { roles[$0].aggregationRule != nil }
        guard !aggregated.isEmpty else { return roles }
        for index in aggregated { roles[index].rules = [] }

        // Which roles each aggregated role selects (labels never change, so compute once).
        var selected: [Int: [Int]] = [:]
        for index in aggregated {
            let selectors = roles[index].aggregationRule!.clusterRoleSelectors
            selected[index] = clusterRoles.filter { other in
                other != index && selectors.contains { $0.matches(roles[other].labels) }
            }
        }
        // Each pass can only add rules; the total is finite, so this terminates. The bound is a
        // guard against a bug, not a semantic limit.
        for _ in 0...(aggregated.count + 1) {
            var changed = false
            for index in aggregated {
                var rules: [PolicyRule] = []
                var seen = Set<ByteString>()
                for other in selected[index]! {
                    for rule in roles[other].rules where seen.insert(identity(rule)).inserted {
                        rules.append(rule)
                    }
                }
                let current = roles[index].rules
                if rules.count != current.count || !zip(rules, current).allSatisfy({ $0.bytesEqual($1) }) {
                    roles[index].rules = rules
                    changed = true
                }
            }
            if !changed { break }
        }
        return roles
    }

    /// A byte-exact identity for a rule (Kubernetes compares rules with `DeepEqual`).
    private static func identity(_ rule: PolicyRule) -> ByteString {
        let lists = [rule.verbs, rule.apiGroups, rule.resources, rule.resourceNames, rule.nonResourceURLs]
        return ByteString(lists.map { $0.map { "\($0.utf8.count):\($0)" }.joined() }.joined(separator: "|"))
    }
}
