/// A SubjectAccessReview, SelfSubjectAccessReview or LocalSubjectAccessReview as it travels on
/// the wire (`authorization.k8s.io/v1` and `/v1beta1`).
///
/// The three kinds share one shape: who (``Spec/user``, ``Spec/groups``, ``Spec/extra``,
/// ``Spec/uid``) wants to do what (exactly one of ``Spec/resourceAttributes`` and
/// ``Spec/nonResourceAttributes``), and the answer in ``status``. Arbiter's hot path is:
///
/// 1. ``decode(_:expecting:limits:)`` parses the body strictly and validates it,
/// 2. ``accessRequest()`` hands the policy engine an `AccessRequest`,
/// 3. ``encodeResponse(result:)`` writes the same review back with its status filled in.
///
/// Strings hold exactly the bytes that were sent (after JSON unescaping); nothing is normalised.
/// For that reason the wire types are deliberately not `Equatable`: Swift's `String ==` compares
/// by canonical equivalence and would call `"K"` and `"\u{212A}"` (Kelvin sign) equal, while
/// Kubernetes compares bytes. Compare fields through their `utf8` views, or compare
/// ``jsonBytes()``.
public struct SubjectAccessReview: Sendable {
    /// `authorization.k8s.io/v1` or `authorization.k8s.io/v1beta1` once validated; echoed as sent.
    public var apiVersion: String {
        get { apiVersionStorage }
        set {
            apiVersionStorage = newValue
            version = ReviewAPIVersion(exactly: newValue)
        }
    }
    /// ``apiVersion``'s storage; the decoder sets it together with ``version``, which it already
    /// knows from the bytes it read.
    var apiVersionStorage: String
    /// `SubjectAccessReview`, `SelfSubjectAccessReview` or `LocalSubjectAccessReview`; echoed.
    public var kind: String
    public var metadata: ReviewMetadata
    public var spec: Spec
    /// What the request carried (kube-apiserver sends `{"allowed": false}`), or the answer.
    public var status: Status

    public init(
        apiVersion: String = ReviewAPIVersion.v1.rawValue,
        kind: String = ReviewKind.subjectAccessReview.rawValue,
        metadata: ReviewMetadata = ReviewMetadata(),
        spec: Spec = Spec(),
        status: Status = Status()
    ) {
        self.apiVersionStorage = apiVersion
        self.version = ReviewAPIVersion(exactly: apiVersion)
        self.kind = kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// An empty review for the decoder to fill in.
    @inline(__always)
    init(empty: Void) {
        apiVersionStorage = ""
        version = nil
        kind = ""
        metadata = ReviewMetadata()
        spec = Spec(empty: ())
        status = Status()
    }

    /// The parsed ``apiVersion``, or `nil` if it is neither supported version (byte-exact; kept
    /// in step with ``apiVersion`` so the hot path compares once).
    public internal(set) var version: ReviewAPIVersion?
}

extension SubjectAccessReview {
    /// The question: who, and which attributes.
    ///
    /// Every field is optional on the wire; absent and `null` read as empty.
    public struct Spec: Sendable {
        public var resourceAttributes: ResourceAttributes?
        public var nonResourceAttributes: NonResourceAttributes?
        public var user: String
        /// `spec.groups` in v1, `spec.group` in v1beta1.
        public var groups: [String]
        /// Authenticator extras, in the order they were sent (keys are unique byte strings).
        ///
        /// The decoder validates `spec.extra` completely but keeps it as JSON until it is read
        /// (see ``ExtraStorage``): the policy engine never looks at it, and kube-apiserver's
        /// webhook answer does not echo it.
        public var extra: [ExtraEntry] {
            get { extraStorage.entries }
            set { extraStorage = .entries(newValue) }
            // In place, so that appending entry by entry stays linear.
            _modify {
                var entries = extraStorage.entries
                extraStorage = .entries([])
                defer { extraStorage = .entries(entries) }
                yield &entries
            }
        }
        /// ``extra``'s storage.
        var extraStorage: ExtraStorage
        public var uid: String

        public init(
            resourceAttributes: ResourceAttributes? = nil,
            nonResourceAttributes: NonResourceAttributes? = nil,
            user: String = "",
            groups: [String] = [],
            extra: [ExtraEntry] = [],
            uid: String = ""
        ) {
            self.resourceAttributes = resourceAttributes
            self.nonResourceAttributes = nonResourceAttributes
            self.user = user
            self.groups = groups
            self.extraStorage = .entries(extra)
            self.uid = uid
        }

        /// An empty spec for the decoder to fill in, set field by field (the defaulted initializer
        /// makes the optimiser copy the optional attribute blocks around).
        @inline(__always)
        init(empty: Void) {
            resourceAttributes = nil
            nonResourceAttributes = nil
            user = ""
            groups = []
            extraStorage = .entries([])
            uid = ""
        }
    }

    /// `spec.resourceAttributes`: a request on an API resource.
    public struct ResourceAttributes: Sendable {
        /// Empty means a cluster-scoped object or all namespaces.
        public var namespace: String
        public var verb: String
        /// The API group; empty is the core group.
        public var group: String
        public var version: String
        public var resource: String
        public var subresource: String
        public var name: String
        public var fieldSelector: ReviewSelector?
        public var labelSelector: ReviewSelector?

        public init(
            namespace: String = "",
            verb: String = "",
            group: String = "",
            version: String = "",
            resource: String = "",
            subresource: String = "",
            name: String = "",
            fieldSelector: ReviewSelector? = nil,
            labelSelector: ReviewSelector? = nil
        ) {
            self.namespace = namespace
            self.verb = verb
            self.group = group
            self.version = version
            self.resource = resource
            self.subresource = subresource
            self.name = name
            self.fieldSelector = fieldSelector
            self.labelSelector = labelSelector
        }
    }

    /// `spec.nonResourceAttributes`: a request on a URL path that is not an API resource.
    public struct NonResourceAttributes: Sendable {
        public var path: String
        /// The lower-case HTTP method.
        public var verb: String

        public init(path: String = "", verb: String = "") {
            self.path = path
            self.verb = verb
        }
    }

    /// One `spec.extra` entry: an authenticator-defined key and its values.
    public struct ExtraEntry: Sendable {
        public var key: String
        public var values: [String]

        public init(key: String, values: [String]) {
            self.key = key
            self.values = values
        }
    }

    /// The answer.
    ///
    /// On the wire `allowed` is always present and `denied` only when true; the writer never sends
    /// both as true (a deny wins).
    public struct Status: Sendable {
        public var allowed: Bool
        public var denied: Bool
        public var reason: String
        public var evaluationError: String

        public init(allowed: Bool = false, denied: Bool = false, reason: String = "", evaluationError: String = "") {
            self.allowed = allowed
            self.denied = denied
            self.reason = reason
            self.evaluationError = evaluationError
        }
    }
}
