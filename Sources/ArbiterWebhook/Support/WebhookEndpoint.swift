/// The closed set of endpoints Arbiter serves, as they appear in metrics and in the decision log.
///
/// A closed set keeps metric cardinality fixed: any path Arbiter does not serve is counted as
/// ``other``, so a scanner probing random URLs cannot create new time series.
public enum WebhookEndpoint: Int, Sendable, Hashable, CaseIterable {
    /// `POST /authorize`: the kube-apiserver webhook.
    case authorize
    /// `POST /apis/authorization.k8s.io/v1/subjectaccessreviews`.
    case subjectAccessReviews
    /// `POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews`.
    case selfSubjectAccessReviews
    /// `POST /apis/authorization.k8s.io/v1/namespaces/{ns}/localsubjectaccessreviews`.
    case localSubjectAccessReviews
    /// `POST /apis/authorization.k8s.io/v1/selfsubjectrulesreviews`.
    case selfSubjectRulesReviews
    /// API discovery documents (`/apis`, `/apis/authorization.k8s.io/v1`, …).
    case discovery
    /// `/healthz`, `/readyz`, `/livez`.
    case health
    /// `GET /metrics`.
    case metrics
    /// Anything else (answered with 404 or 405).
    case other

    /// The label value used in metrics and logs, for example `subjectaccessreviews`.
    public var label: String {
        switch self {
        case .authorize: "authorize"
        case .subjectAccessReviews: "subjectaccessreviews"
        case .selfSubjectAccessReviews: "selfsubjectaccessreviews"
        case .localSubjectAccessReviews: "localsubjectaccessreviews"
        case .selfSubjectRulesReviews: "selfsubjectrulesreviews"
        case .discovery: "discovery"
        case .health: "health"
        case .metrics: "metrics"
        case .other: "other"
        }
    }
}
