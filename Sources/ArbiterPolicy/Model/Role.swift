/// A `Role` (namespaced) or `ClusterRole`.
public struct Role: Sendable {
    public enum Kind: String, Sendable, Hashable {
        case role = "Role"
        case clusterRole = "ClusterRole"
    }

    public var kind: Kind
    public var name: String
    /// The namespace of a `Role`; `""` for a `ClusterRole`.
    public var namespace: String
    public var labels: [String: String]
    /// The rules as written. For an aggregated ClusterRole the compiler replaces them with the
    /// aggregation's result, as Kubernetes' aggregation controller does.
    public var rules: [PolicyRule]
    public var aggregationRule: AggregationRule?
    public var location: SourceLocation?

    public init(
        kind: Kind, name: String, namespace: String = "", labels: [String: String] = [:], rules: [PolicyRule],
        aggregationRule: AggregationRule? = nil, location: SourceLocation? = nil
    ) {
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.rules = rules
        self.aggregationRule = aggregationRule
        self.location = location
    }
}

/// `aggregationRule.clusterRoleSelectors`: label selectors, ORed.
public struct AggregationRule: Sendable {
    public var clusterRoleSelectors: [LabelSelector]

    public init(clusterRoleSelectors: [LabelSelector]) {
        self.clusterRoleSelectors = clusterRoleSelectors
    }
}

/// A Kubernetes label selector: `matchLabels` and `matchExpressions`, ANDed.
public struct LabelSelector: Sendable {
    public struct Requirement: Sendable {
        public enum Operator: String, Sendable {
            case `in` = "In"
            case notIn = "NotIn"
            case exists = "Exists"
            case doesNotExist = "DoesNotExist"
        }

        public var key: String
        public var `operator`: Operator
        public var values: [String]

        public init(key: String, operator: Operator, values: [String] = []) {
            self.key = key
            self.operator = `operator`
            self.values = values
        }
    }

    public var matchLabels: [String: String]
    public var matchExpressions: [Requirement]

    public init(matchLabels: [String: String] = [:], matchExpressions: [Requirement] = []) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }

    /// Whether `labels` satisfy every requirement (an empty selector matches everything).
    /// Label keys and values compare byte-exactly.
    public func matches(_ labels: [String: String]) -> Bool {
        var byBytes: [ByteString: String] = [:]
        for (key, value) in labels { byBytes[ByteString(key)] = value }
        for (key, value) in matchLabels {
            guard let actual = byBytes[ByteString(key)], actual.bytesEqual(value) else { return false }
        }
        for requirement in matchExpressions {
            let actual = byBytes[ByteString(requirement.key)]
            switch requirement.operator {
            case .in:
                guard let actual, requirement.values.contains(where: { $0.bytesEqual(actual) }) else { return false }
            case .notIn:
                if let actual, requirement.values.contains(where: { $0.bytesEqual(actual) }) { return false }
            case .exists:
                if actual == nil { return false }
            case .doesNotExist:
                if actual != nil { return false }
            }
        }
        return true
    }
}
