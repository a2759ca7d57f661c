/// The `kind`s of the `authorization.k8s.io` review family that Arbiter reads and writes.
///
/// An endpoint states which kind it expects; ``SubjectAccessReview/validate(expecting:)`` rejects
/// any other with ``ReviewDecodingError/Code/unexpectedKind``. The webhook endpoint that
/// kube-apiserver calls always receives ``subjectAccessReview``.
public enum ReviewKind: String, Sendable, Hashable, CaseIterable {
    /// Asks about the user, groups, extra and uid in `spec` (what webhooks receive).
    case subjectAccessReview = "SubjectAccessReview"
    /// Asks about the caller; the `spec` has only the attributes.
    case selfSubjectAccessReview = "SelfSubjectAccessReview"
    /// Like ``subjectAccessReview`` but bound to `metadata.namespace`.
    case localSubjectAccessReview = "LocalSubjectAccessReview"
    /// Lists what the caller may do in `spec.namespace` (see ``SelfSubjectRulesReview``).
    case selfSubjectRulesReview = "SelfSubjectRulesReview"

    /// The kind whose name is exactly `name`, compared byte by byte (never with Swift's
    /// canonical-equivalence `==`).
    public init?(exactly name: String) {
        guard let kind = Self.allCases.first(where: { utf8Equal($0.rawValue, name) }) else {
            return nil
        }
        self = kind
    }
}

/// The two API versions of the review types.
///
/// They differ only in the JSON key of the group list: `spec.groups` in v1, `spec.group` in
/// v1beta1.
public enum ReviewAPIVersion: String, Sendable, Hashable, CaseIterable {
    /// `authorization.k8s.io/v1`.
    case v1 = "authorization.k8s.io/v1"
    /// `authorization.k8s.io/v1beta1`, still kube-apiserver's default webhook version.
    case v1beta1 = "authorization.k8s.io/v1beta1"

    /// The version whose name is exactly `name`, compared byte by byte (never with Swift's
    /// canonical-equivalence `==`).
    public init?(exactly name: String) {
        if utf8Equal(name, "authorization.k8s.io/v1") {
            self = .v1
        } else if utf8Equal(name, "authorization.k8s.io/v1beta1") {
            self = .v1beta1
        } else {
            return nil
        }
    }
}
