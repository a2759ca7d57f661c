public import ArbiterPolicy

// MARK: - Mapping to and from the policy engine

extension SubjectAccessReview {
    /// The request the policy engine evaluates: the spec's identity and attributes.
    ///
    /// Call it on a review that passed ``validate(expecting:)`` (``decode(_:expecting:limits:)``
    /// does). For an unvalidated review with both attribute blocks the resource attributes win;
    /// with neither, the result is a non-resource request with an empty path and verb.
    /// Selectors, extra, uid and version do not influence RBAC and are not carried over.
    public func accessRequest() -> AccessRequest {
        accessRequest(user: spec.user, groups: spec.groups)
    }

    /// The request the policy engine evaluates, for an identity that does not come from the spec:
    /// the authenticated caller of a SelfSubjectAccessReview.
    public func accessRequest(user: String, groups: [String]) -> AccessRequest {
        let attributes: AccessRequest.Attributes
        if let resource = spec.resourceAttributes {
            attributes = .resource(
                ArbiterPolicy.ResourceAttributes(
                    namespace: resource.namespace,
                    verb: resource.verb,
                    group: resource.group,
                    version: resource.version,
                    resource: resource.resource,
                    subresource: resource.subresource,
                    name: resource.name
                )
            )
        } else {
            let nonResource = spec.nonResourceAttributes ?? NonResourceAttributes()
            attributes = .nonResource(
                ArbiterPolicy.NonResourceAttributes(path: nonResource.path, verb: nonResource.verb)
            )
        }
        return AccessRequest(user: user, groups: groups, attributes: attributes)
    }
}

extension SubjectAccessReview.Status {
    /// The status for an authorizer's answer, as kube-apiserver's SAR endpoints build it:
    /// `allowed` for an allow, `denied` for a deny, neither for no opinion.
    public init(_ result: AuthorizationResult) {
        self.init(
            allowed: result.decision == .allow,
            denied: result.decision == .deny,
            reason: result.reason,
            evaluationError: result.evaluationError ?? ""
        )
    }
}
