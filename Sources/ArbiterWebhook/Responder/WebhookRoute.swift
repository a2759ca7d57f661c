import ArbiterPolicy

/// The endpoints of the webhook, for routing, caller checks and metrics labels.
public enum WebhookRoute: String, Sendable, CaseIterable {
    /// kube-apiserver's webhook URL (`POST /authorize` by default).
    case authorize
    /// `POST /apis/authorization.k8s.io/{v1,v1beta1}/subjectaccessreviews` (client-go callers).
    case subjectAccessReviews = "subjectaccessreviews"
    /// `POST .../selfsubjectaccessreviews`: the caller asks about itself.
    case selfSubjectAccessReviews = "selfsubjectaccessreviews"
    /// `POST .../namespaces/{ns}/localsubjectaccessreviews`.
    case localSubjectAccessReviews = "localsubjectaccessreviews"
    /// `POST .../selfsubjectrulesreviews` (`kubectl auth can-i --list`).
    case selfSubjectRulesReviews = "selfsubjectrulesreviews"
    /// `GET /api`, `/apis`, `/apis/authorization.k8s.io[/v1]`, `/version`.
    case discovery
    /// `GET /healthz`, `/livez`, `/readyz`.
    case health
    /// `GET /metrics`.
    case metrics
    /// Anything else (404).
    case other
}

/// A caller allowlist: certificate CNs (users) and Os (groups).
public struct CallerPolicy: Sendable {
    public var users: [String]
    public var groups: [String]

    public init(users: [String] = [], groups: [String] = []) {
        self.users = users
        self.groups = groups
    }

    /// Byte-exact membership of the CN or of any O.
    public func allows(user: String, groups callerGroups: [String]) -> Bool {
        users.contains { $0.bytesEqual(user) } || callerGroups.contains { group in groups.contains { $0.bytesEqual(group) } }
    }

    public var isEmpty: Bool { users.isEmpty && groups.isEmpty }
}
