/// One RBAC `PolicyRule`: verbs on resources of API groups (optionally restricted to names), or
/// verbs on non-resource URLs.
///
/// Matching follows Kubernetes' `RuleAllows` exactly; see ``PolicyRule/allows(_:)``.
public struct PolicyRule: Sendable, Hashable {
    public var verbs: [String]
    public var apiGroups: [String]
    public var resources: [String]
    public var resourceNames: [String]
    public var nonResourceURLs: [String]

    public init(
        verbs: [String], apiGroups: [String] = [], resources: [String] = [], resourceNames: [String] = [],
        nonResourceURLs: [String] = []
    ) {
        self.verbs = verbs
        self.apiGroups = apiGroups
        self.resources = resources
        self.resourceNames = resourceNames
        self.nonResourceURLs = nonResourceURLs
    }

    /// Byte-exact equality of every list, in order (Kubernetes' `DeepEqual`), used when
    /// aggregating rules; `==` would use canonical equivalence.
    public func bytesEqual(_ other: PolicyRule) -> Bool {
        func same(_ a: [String], _ b: [String]) -> Bool {
            a.count == b.count && zip(a, b).allSatisfy { $0.bytesEqual($1) }
        }
        return same(verbs, other.verbs) && same(apiGroups, other.apiGroups) && same(resources, other.resources)
            && same(resourceNames, other.resourceNames) && same(nonResourceURLs, other.nonResourceURLs)
    }
}
