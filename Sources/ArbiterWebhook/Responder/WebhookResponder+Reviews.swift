import ArbiterHTTP
import ArbiterPolicy
import ArbiterReview

extension WebhookResponder {
    /// The SubjectAccessReview family: decode strictly, check the caller, decide, answer in the
    /// request's version.
    func review(
        _ request: HTTPRequest, kind: ReviewKind, route: WebhookEndpoint, urlVersion: ReviewAPIVersion?, namespace: String?,
        start: UInt64, options: Options
    ) -> HTTPResponse {
        let encoding = checkPost(request)
        if case .rejected(let rejection) = encoding { return rejection }
        guard let caller = identity(request) else {
            return KubernetesStatus.response(401, "a verified client certificate is required")
        }
        if kind != .selfSubjectAccessReview && !options.callers.allows(user: caller.user, groups: caller.groups) {
            return KubernetesStatus.response(
                403, "\(JSONTextless.quote(caller.user)) may not ask about other users (not a configured caller)")
        }
        var review: SubjectAccessReview
        do {
            review =
                encoding.isJSON
                ? try SubjectAccessReview(json: request.body, limits: options.limits)
                : try SubjectAccessReview(protobuf: request.body, limits: options.limits)
            if let namespace {
                // Kubernetes fills an empty metadata.namespace from the URL and refuses a different one.
                if review.metadata.namespace.isEmpty {
                    review.metadata.namespace = namespace
                } else if !review.metadata.namespace.bytesEqual(namespace) {
                    return KubernetesStatus.response(
                        400, "metadata.namespace `\(review.metadata.namespace)` does not match the namespace `\(namespace)` of the URL")
                }
            }
            try review.validate(expecting: kind)
        } catch {
            return KubernetesStatus.response(error.code == .bodyTooLarge ? 413 : 400, "invalid \(kind.rawValue): \(error.description)")
        }
        if let urlVersion, review.version != urlVersion {
            return KubernetesStatus.response(
                400, "the API version in the data (`\(review.apiVersion)`) does not match the expected API version (`\(urlVersion.rawValue)`)")
        }
        guard let snapshot = store.current else {
            // Never ready without a policy; a transient failure must not look like a decision.
            return KubernetesStatus.response(503, "no policy is loaded yet")
        }
        let accessRequest: AccessRequest
        if kind == .selfSubjectAccessReview {
            accessRequest = review.accessRequest(user: caller.user, groups: caller.groups + ["system:authenticated"])
            // Kubernetes' SelfSubjectAccessReviewSpec has no identity fields (its decoder drops
            // them as unknown): echoed, they would read as the identity that was decided on.
            review.spec.user = ""
            review.spec.groups = []
            review.spec.extra = []
            review.spec.uid = ""
        } else {
            accessRequest = review.accessRequest()
        }
        let result = snapshot.policy.authorize(accessRequest, defaultDecision: options.defaultDecision)
        // kube-apiserver reads only the status; the REST endpoints echo the whole review as
        // Kubernetes does (kubectl prints it).
        let body = route == .authorize ? review.encodeStatusResponse(result: result) : review.encodeResponse(result: result)
        if let observer {
            let shadow = shadowStore?.current?.policy.authorize(accessRequest, defaultDecision: options.defaultDecision)
            if observer.recordsDecisionEvents {
                observer.decided(
                    DecisionEvent(
                        route: route, caller: caller.user, apiVersion: review.apiVersion, kind: review.kind,
                        request: accessRequest, result: result, revision: snapshot.revision,
                        nanoseconds: Self.nanoseconds(since: start), shadow: shadow))
            } else {
                observer.counted(result: result, shadow: shadow)
            }
        }
        return HTTPResponse(
            status: 200, headers: [("content-type", "application/json"), ("arbiter-policy-revision", snapshot.revision)],
            body: body)
    }
}

/// Quoting user input inside messages (not JSON: the message itself is escaped when written).
enum JSONTextless {
    static func quote(_ value: String) -> String {
        "`" + String(value.unicodeScalars.map { $0.value < 0x20 ? "?" : Character($0) }) + "`"
    }
}
