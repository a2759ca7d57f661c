@testable import ArbiterPolicy
import ArbiterTestSupport
import Testing

/// Aggregated ClusterRoles: what Kubernetes refuses to load, and the fixpoint itself on roles
/// that aggregate each other (checked against a plain recomputation of every role each pass).
struct AggregationTests {
    static func aggregated(_ name: String, selector: String) -> String {
        """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: \(name)}
        aggregationRule:
          clusterRoleSelectors:
          - \(selector)
        """
    }

    static let wildcardRole = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: everything, labels: {team: db}}
        rules:
        - {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}
        """

    /// Kubernetes' label-selector validation refuses these; read without it, `NotIn` with no
    /// values would select every ClusterRole (and allow what `everything` allows) and `Exists`
    /// with values would ignore the values.
    @Test(arguments: [
        ("{matchExpressions: [{key: tier, operator: NotIn}]}", "needs `values`"),
        ("{matchExpressions: [{key: tier, operator: In, values: []}]}", "needs `values`"),
        ("{matchExpressions: [{key: team, operator: Exists, values: [web]}]}", "takes no `values`"),
        ("{matchExpressions: [{key: team, operator: DoesNotExist, values: [db]}]}", "takes no `values`"),
    ])
    func invalidSelectorsAreRefusedWithTheirLocation(_ selector: String, _ message: String) {
        let text = Self.aggregated("broad", selector: selector) + "\n---\n" + Self.wildcardRole
        let result = PolicyLoader.load(text, file: "agg.yaml")
        #expect(result.errors.count == 1, "\(result.errors)")
        #expect(result.errors.first?.message.contains(message) == true, "\(result.errors)")
        #expect(result.errors.first?.location?.line == 6, "\(result.errors)")
        #expect(!result.set.roles.contains { $0.name == "broad" })
    }

    @Test func validSelectorsStillLoad() throws {
        let text = [
            Self.aggregated("a", selector: "{matchExpressions: [{key: tier, operator: NotIn, values: [x]}]}"),
            Self.aggregated("b", selector: "{matchExpressions: [{key: team, operator: Exists}]}"),
            Self.aggregated("c", selector: "{matchExpressions: [{key: team, operator: DoesNotExist, values: []}]}"),
            Self.wildcardRole,
        ].joined(separator: "\n---\n")
        let result = PolicyLoader.load(text, file: "agg.yaml")
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.set.roles.count == 4)
    }

    /// Kubernetes: "at least one clusterRoleSelector required if aggregationRule is non-nil".
    @Test(arguments: ["aggregationRule: {}", "aggregationRule: {clusterRoleSelectors: []}"])
    func anAggregationRuleWithoutSelectorsIsRefused(_ rule: String) {
        let text = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: empty}
            \(rule)
            rules:
            - {apiGroups: [""], resources: [pods], verbs: [get]}
            """
        let result = PolicyLoader.load(text, file: "agg.yaml")
        #expect(result.errors.map(\.code) == [.missingField], "\(result.errors)")
        #expect(result.errors.first?.location?.line == 4, "\(result.errors)")
    }

    /// The fixpoint as specified: every aggregated role recomputed in name order, pass after
    /// pass, until none changes (or as many passes as the compiler allows).
    static func plainFixpoint(_ input: [Role]) -> [Role] {
        var roles = input
        let order = roles.indices.filter { roles[$0].kind == .clusterRole }
            .sorted { roles[$0].name.utf8.lexicographicallyPrecedes(roles[$1].name.utf8) }
        let aggregated = order.filter { roles[$0].aggregationRule != nil }
        for i in aggregated { roles[i].rules = [] }
        // The same bound on passes as the compiler: with roles selecting each other the order
        // of a role's rules can keep changing after their set has settled.
        for _ in 0...(aggregated.count + 1) {
            var changed = false
            for i in aggregated {
                var rules: [PolicyRule] = []
                for j in order where j != i && roles[i].aggregationRule!.clusterRoleSelectors.contains(where: { $0.matches(roles[j].labels) }) {
                    for rule in roles[j].rules where !rules.contains(where: { $0.bytesEqual(rule) }) { rules.append(rule) }
                }
                if rules.count != roles[i].rules.count || !zip(rules, roles[i].rules).allSatisfy({ $0.bytesEqual($1) }) {
                    roles[i].rules = rules
                    changed = true
                }
            }
            if !changed { break }
        }
        return roles
    }

    /// Aggregated roles in chains and cycles, selecting each other by level labels, with shared
    /// and repeated rules: the same rules, in the same order, as the plain fixpoint.
    @Test(arguments: 0..<20)
    func rolesThatAggregateEachOtherGetThePlainFixpoint(_ seed: Int) {
        var rng = SplitMix64(seed: UInt64(seed) &+ 0xa99)
        var roles: [Role] = []
        let levels = 4
        for i in 0..<12 {
            var role = Role(kind: .clusterRole, name: "base-\(rng.next() % 1000)-\(i)", rules: [])
            role.labels = ["level": "\(rng.next() % UInt64(levels))"]
            role.rules = (0..<Int(rng.next() % 4)).map { _ in
                PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["r\(rng.next() % 6)"])
            }
            roles.append(role)
        }
        for i in 0..<10 {
            var role = Role(kind: .clusterRole, name: "agg-\(rng.next() % 1000)-\(i)", rules: [])
            role.labels = ["level": "\(rng.next() % UInt64(levels))"]
            let wanted = (0..<Int(1 + rng.next() % 2)).map { _ in "\(rng.next() % UInt64(levels))" }
            role.aggregationRule = AggregationRule(clusterRoleSelectors: [
                LabelSelector(matchExpressions: [.init(key: "level", operator: .in, values: wanted)])
            ])
            roles.append(role)
        }
        let fast = RoleAggregator.aggregate(roles)
        let plain = Self.plainFixpoint(roles)
        #expect(fast.count == plain.count)
        var nonEmpty = 0
        for (a, b) in zip(fast, plain) {
            #expect(a.name == b.name)
            #expect(a.rules.count == b.rules.count && zip(a.rules, b.rules).allSatisfy { $0.bytesEqual($1) }, "\(a.name)")
            if a.aggregationRule != nil && !a.rules.isEmpty { nonEmpty += 1 }
        }
        #expect(nonEmpty > 0)
    }
}
