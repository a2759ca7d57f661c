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
            // The REST endpoints take an absent apiVersion and kind from the URL, as
            // kube-apiserver does (`kubectl create --raw` sends what the file holds).
            review =
                encoding.isJSON
                ? try SubjectAccessReview(json: request.body, limits: options.limits, defaultVersion: urlVersion)
                : try SubjectAccessReview(protobuf: request.body, limits: options.limits)
            if let urlVersion {
                if review.apiVersion.isEmpty { review.apiVersion = urlVersion.rawValue }
                if review.kind.isEmpty { review.kind = kind.rawValue }
            }
            if let namespace {
                // Kubernetes fills an empty metadata.namespace from the URL and refuses a different one.
                if review.metadata.namespace.isEmpty {
                    review.metadata.namespace = namespace
                } else if !review.metadata.namespace.bytesEqual(namespace) {
                    return KubernetesStatus.response(
                        400, "metadata.namespace `\(review.metadata.namespace)` does not match the namespace `\(namespace)` of the URL")
                }
            } else if urlVersion != nil {
                // A cluster-scoped review: kube-apiserver's create clears a namespace sent in it.
                review.metadata.namespace = ""
            }
            // kube-apiserver's order: the body's version against the URL's, then the decoded
            // object's own validation.
            if let urlVersion, let version = review.version, version != urlVersion {
                return Self.versionMismatch(review.apiVersion, urlVersion)
            }
            if urlVersion != nil, let field = review.metadata.invalidFields.first {
                // Go's decoder refuses the body: 400, as kube-apiserver answers.
                return KubernetesStatus.response(400, "invalid \(kind.rawValue): `metadata.\(field)` has the wrong type")
            }
            try review.validate(expecting: kind)
        } catch {
            return KubernetesStatus.response(
                Self.statusCode(error, rest: urlVersion != nil), "invalid \(kind.rawValue): \(error.description)")
        }
        if urlVersion != nil {
            // kube-apiserver's validation: a review is not stored, its metadata must be empty once
            // the create has cleared the system fields (and a LocalSubjectAccessReview's namespace
            // is the URL's).
            let fields = review.metadata.fieldsSet
            if !fields.isEmpty {
                return KubernetesStatus.response(
                    422, "invalid \(kind.rawValue): metadata must be empty (it sets \(fields.map { "`\($0)`" }.joined(separator: ", ")))")
            }
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
        // kube-apiserver answers a create with 201 Created; the webhook endpoint with 200.
        return HTTPResponse(
            status: route == .authorize ? 200 : 201,
            headers: [("content-type", "application/json"), ("arbiter-policy-revision", snapshot.revision)], body: body)
    }

    /// The status of a review that does not decode or validate: 413 over the size limit; on
    /// the REST endpoints, 422 (Invalid) for a well-formed review that kube-apiserver's
    /// validation refuses (no attributes, both kinds, no subject), as kube-apiserver answers;
    /// 400 otherwise.
    static func statusCode(_ error: ReviewDecodingError, rest: Bool) -> Int {
        switch error.code {
        case .bodyTooLarge: return 413
        case .missingAttributes, .conflictingAttributes, .missingSubject, .namespaceMismatch: return rest ? 422 : 400
        default: return 400
        }
    }

    /// kube-apiserver's answer to a body of another version than the URL's.
    static func versionMismatch(_ apiVersion: String, _ urlVersion: ReviewAPIVersion) -> HTTPResponse {
        KubernetesStatus.response(
            400, "the API version in the data (`\(apiVersion)`) does not match the expected API version (`\(urlVersion.rawValue)`)")
    }
}

/// Quoting user input inside messages (not JSON: the message itself is escaped when written).
enum JSONTextless {
    static func quote(_ value: String) -> String {
        "`" + String(value.unicodeScalars.map { $0.value < 0x20 ? "?" : Character($0) }) + "`"
    }
}
