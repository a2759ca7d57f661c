/// A SelfSubjectRulesReview: "what may I do in this namespace?" (`kubectl auth can-i --list`).
///
/// The request carries only ``Spec/namespace``; the answer lists the caller's rules in
/// ``Status/resourceRules`` and ``Status/nonResourceRules``, and sets ``Status/incomplete`` when
/// the authorizer could not enumerate everything (a webhook never can: kube-apiserver reports
/// "webhook authorizer does not support user rule resolution"). Strings are byte-exact, as in
/// ``SubjectAccessReview``, and the types are not `Equatable` for the same reason.
public struct SelfSubjectRulesReview: Sendable {
    /// `authorization.k8s.io/v1` or `authorization.k8s.io/v1beta1` once validated; echoed as sent.
    public var apiVersion: String
    /// `SelfSubjectRulesReview` once validated; echoed as sent.
    public var kind: String
    public var metadata: ReviewMetadata
    public var spec: Spec
    public var status: Status

    public init(
        apiVersion: String = ReviewAPIVersion.v1.rawValue,
        kind: String = ReviewKind.selfSubjectRulesReview.rawValue,
        metadata: ReviewMetadata = ReviewMetadata(),
        spec: Spec = Spec(),
        status: Status = Status()
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// The parsed ``apiVersion``, or `nil` if it is neither supported version.
    public var version: ReviewAPIVersion? { ReviewAPIVersion(exactly: apiVersion) }
}

extension SelfSubjectRulesReview {
    /// The question: the namespace to list rules for (empty: cluster-wide rules only).
    public struct Spec: Sendable {
        public var namespace: String

        public init(namespace: String = "") {
            self.namespace = namespace
        }
    }

    /// The answer.
    public struct Status: Sendable {
        public var resourceRules: [ResourceRule]
        public var nonResourceRules: [NonResourceRule]
        /// The lists are not the whole truth (some rules could not be listed).
        public var incomplete: Bool
        public var evaluationError: String

        public init(
            resourceRules: [ResourceRule] = [],
            nonResourceRules: [NonResourceRule] = [],
            incomplete: Bool = false,
            evaluationError: String = ""
        ) {
            self.resourceRules = resourceRules
            self.nonResourceRules = nonResourceRules
            self.incomplete = incomplete
            self.evaluationError = evaluationError
        }
    }

    /// What the caller may do on API resources.
    public struct ResourceRule: Sendable {
        public var verbs: [String]
        public var apiGroups: [String]
        public var resources: [String]
        public var resourceNames: [String]

        public init(verbs: [String], apiGroups: [String] = [], resources: [String] = [], resourceNames: [String] = []) {
            self.verbs = verbs
            self.apiGroups = apiGroups
            self.resources = resources
            self.resourceNames = resourceNames
        }
    }

    /// What the caller may do on non-resource URLs.
    public struct NonResourceRule: Sendable {
        public var verbs: [String]
        public var nonResourceURLs: [String]

        public init(verbs: [String], nonResourceURLs: [String] = []) {
            self.verbs = verbs
            self.nonResourceURLs = nonResourceURLs
        }
    }
}
