import ArbiterHTTP
import ArbiterPolicy
import ArbiterReview

extension WebhookResponder {
    /// SelfSubjectRulesReview: every rule that applies to the caller in `spec.namespace`, from
    /// RBAC and `Allow` AccessPolicies. `Deny` AccessPolicies that apply are reported in
    /// `evaluationError` and make the list `incomplete` (it overstates what is allowed), which
    /// `kubectl auth can-i --list` prints as a warning.
    func rulesReview(_ request: HTTPRequest, urlVersion: ReviewAPIVersion, options: Options) -> HTTPResponse {
        let encoding = checkPost(request)
        if case .rejected(let rejection) = encoding { return rejection }
        guard let caller = identity(request) else {
            return KubernetesStatus.response(401, "a verified client certificate is required")
        }
        var review: SelfSubjectRulesReview
        do {
            review =
                encoding.isJSON
                ? try SelfSubjectRulesReview(json: request.body, limits: options.limits)
                : try SelfSubjectRulesReview(protobuf: request.body, limits: options.limits)
            // As for the other reviews: an absent apiVersion and kind come from the URL.
            if review.apiVersion.isEmpty { review.apiVersion = urlVersion.rawValue }
            if review.kind.isEmpty { review.kind = "SelfSubjectRulesReview" }
            if let version = review.version, version != urlVersion { return Self.versionMismatch(review.apiVersion, urlVersion) }
            if let field = review.metadata.invalidFields.first {
                return KubernetesStatus.response(400, "invalid SelfSubjectRulesReview: `metadata.\(field)` has the wrong type")
            }
            try review.validate()
        } catch {
            return KubernetesStatus.response(error.code == .bodyTooLarge ? 413 : 400, "invalid SelfSubjectRulesReview: \(error.description)")
        }
        if review.version != urlVersion { return Self.versionMismatch(review.apiVersion, urlVersion) }
        // kube-apiserver's words: the rules are per namespace.
        if review.spec.namespace.isEmpty { return KubernetesStatus.response(400, "no namespace on request") }
        guard let snapshot = store.current else {
            return KubernetesStatus.response(503, "no policy is loaded yet")
        }
        let rules = snapshot.policy.rules(
            forUser: caller.user, groups: caller.groups + ["system:authenticated"], namespace: review.spec.namespace)
        var problems = rules.errors
        for deny in rules.denies {
            problems.append("AccessPolicy \(deny.policy) denies \(deny.rule)")
        }
        // kube-apiserver answers with a new review holding only the status (no metadata, an
        // empty spec).
        review.metadata = ReviewMetadata()
        review.spec = SelfSubjectRulesReview.Spec()
        review.status = SelfSubjectRulesReview.Status(
            resourceRules: rules.resourceRules.map {
                .init(verbs: $0.verbs, apiGroups: $0.apiGroups, resources: $0.resources, resourceNames: $0.resourceNames)
            },
            nonResourceRules: rules.nonResourceRules.map { .init(verbs: $0.verbs, nonResourceURLs: $0.nonResourceURLs) },
            incomplete: !rules.denies.isEmpty, evaluationError: problems.joined(separator: "; "))
        // A create: 201, as kube-apiserver answers (its REST storage checks no metadata here).
        return HTTPResponse(
            status: 201, headers: [("content-type", "application/json"), ("arbiter-policy-revision", snapshot.revision)],
            body: review.jsonBytes())
    }
}
