import ArbiterHTTP
import ArbiterPolicy
import ArbiterReview

extension WebhookResponder {
    // MARK: - Discovery

    /// Just enough of the Kubernetes discovery API for kubectl (`auth can-i`, `create -f`) to
    /// find the authorization.k8s.io resources. Answered as plain JSON; kubectl's request for
    /// aggregated discovery falls back to it.
    func discovery(_ request: HTTPRequest, path: String) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            return KubernetesStatus.response(405, "method `\(request.method)` is not allowed here; use GET", extraHeaders: [("allow", "GET")])
        }
        // With `VerifyClientCertIfGiven`, a connection without a certificate reaches only the
        // health endpoints (as documented); discovery, like everything else, needs one.
        guard request.peer != nil else {
            return KubernetesStatus.response(401, "a verified client certificate is required")
        }
        let body: String
        switch path {
        case "/api", "/api/":
            body = #"{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":""}]}"#
        case "/api/v1":
            body = #"{"kind":"APIResourceList","groupVersion":"v1","resources":["# + Self.coreResourcesJSON + "]}"
        case "/apis", "/apis/":
            body = #"{"kind":"APIGroupList","apiVersion":"v1","groups":["# + Self.groupJSON + "]}"
        case "/apis/authorization.k8s.io":
            body = #"{"kind":"APIGroup","apiVersion":"v1","# + Self.groupJSON.dropFirst()
        case "/apis/authorization.k8s.io/v1", "/apis/authorization.k8s.io/v1beta1":
            let version = path.hasSuffix("v1beta1") ? "v1beta1" : "v1"
            body = #"{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"authorization.k8s.io/"# + version
                + #"","resources":["# + Self.resourcesJSON + "]}"
        case "/openapi/v3":
            body = #"{"paths":{"apis/authorization.k8s.io/v1":{"serverRelativeURL":"/openapi/v3/apis/authorization.k8s.io/v1"}}}"#
        case "/openapi/v3/apis/authorization.k8s.io/v1":
            body = Self.openAPIv3
        default:  // /version
            body = #"{"major":"1","minor":"32","gitVersion":"v1.32.0+arbiter","platform":"linux/amd64"}"#
        }
        return HTTPResponse(status: 200, headers: [("content-type", "application/json")], body: Array(body.utf8))
    }

    static let groupJSON =
        #"{"name":"authorization.k8s.io","versions":[{"groupVersion":"authorization.k8s.io/v1","version":"v1"},"#
        + #"{"groupVersion":"authorization.k8s.io/v1beta1","version":"v1beta1"}],"#
        + #""preferredVersion":{"groupVersion":"authorization.k8s.io/v1","version":"v1"}}"#

    /// The core resources kubectl resolves names against (`kubectl auth can-i get pods`); Arbiter
    /// serves none of them, it only lets kubectl map the names without warnings.
    static let coreResourcesJSON = [
        ("pods", "Pod", true, "po"), ("secrets", "Secret", true, ""), ("configmaps", "ConfigMap", true, "cm"),
        ("services", "Service", true, "svc"), ("serviceaccounts", "ServiceAccount", true, "sa"),
        ("endpoints", "Endpoints", true, "ep"), ("events", "Event", true, "ev"),
        ("persistentvolumeclaims", "PersistentVolumeClaim", true, "pvc"), ("replicationcontrollers", "ReplicationController", true, "rc"),
        ("resourcequotas", "ResourceQuota", true, "quota"), ("limitranges", "LimitRange", true, "limits"),
        ("namespaces", "Namespace", false, "ns"), ("nodes", "Node", false, "no"), ("persistentvolumes", "PersistentVolume", false, "pv"),
    ].map { name, kind, namespaced, short in
        #"{"name":""# + name + #"","singularName":"","namespaced":"# + (namespaced ? "true" : "false") + #","kind":""# + kind
            + #"","verbs":["create","delete","get","list","patch","update","watch"]"#
            + (short.isEmpty ? "" : #","shortNames":[""# + short + #""]"#) + "}"
    }.joined(separator: ",")

    static let resourcesJSON = [
        ("localsubjectaccessreviews", "LocalSubjectAccessReview", true),
        ("selfsubjectaccessreviews", "SelfSubjectAccessReview", false),
        ("selfsubjectrulesreviews", "SelfSubjectRulesReview", false),
        ("subjectaccessreviews", "SubjectAccessReview", false),
    ].map { name, kind, namespaced in
        #"{"name":""# + name + #"","singularName":"","namespaced":"# + (namespaced ? "true" : "false")
            + #","kind":""# + kind + #"","verbs":["create"]}"#
    }.joined(separator: ",")

    /// Just enough OpenAPI v3 for `kubectl create -f review.yaml`: kubectl looks for an operation
    /// of the kind it creates (it checks PATCH operations) with the `fieldValidation` parameter
    /// and, finding one, leaves validation to the server, which ignores the parameter (reviews
    /// are decoded strictly anyway). The PATCH entries only describe; the server serves POST.
    static let openAPIv3: String = {
        let kinds = [
            ("subjectaccessreviews", "SubjectAccessReview"), ("selfsubjectaccessreviews", "SelfSubjectAccessReview"),
            ("selfsubjectrulesreviews", "SelfSubjectRulesReview"),
            ("namespaces/{namespace}/localsubjectaccessreviews", "LocalSubjectAccessReview"),
        ]
        let parameters =
            #"[{"name":"dryRun","in":"query","schema":{"type":"string"}},"#
            + #"{"name":"fieldManager","in":"query","schema":{"type":"string"}},"#
            + #"{"name":"fieldValidation","in":"query","schema":{"type":"string"}}]"#
        let paths = kinds.map { path, kind in
            let gvk = #""x-kubernetes-group-version-kind":{"group":"authorization.k8s.io","version":"v1","kind":""# + kind + #""}"#
            return #""/apis/authorization.k8s.io/v1/"# + path + #"":{"# + ["post", "patch"].map { verb in
                #"""# + verb + #"":{"operationId":""# + verb + kind + #"","parameters":"# + parameters
                    + #","responses":{"201":{"description":"Created"}},"x-kubernetes-action":""# + verb + #"","# + gvk + "}"
            }.joined(separator: ",") + "}"
        }.joined(separator: ",")
        return #"{"openapi":"3.0.0","info":{"title":"Arbiter","version":"v1"},"paths":{"# + paths + #"},"components":{"schemas":{}}}"#
    }()

    // MARK: - Health

    /// `/healthz` and `/livez` answer while the process serves; `/readyz` only once a policy is
    /// loaded and every readiness check passes. `?verbose` lists the checks.
    func health(_ request: HTTPRequest, path: String) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            return KubernetesStatus.response(405, "method `\(request.method)` is not allowed here; use GET", extraHeaders: [("allow", "GET")])
        }
        var checks: [(name: String, ok: Bool, detail: String)] = [("ping", true, "")]
        if path == "/readyz" {
            let snapshot = store.current
            checks.append(("policy", snapshot != nil, snapshot.map { "revision \($0.revision)" } ?? "no policy loaded"))
            for check in readinessChecks() { checks.append((check.name, check.ok, "")) }
        }
        let ok = checks.allSatisfy(\.ok)
        var text: String
        if request.query.split(separator: "&").contains(where: { $0 == "verbose" || $0.hasPrefix("verbose=") }) {
            text = checks.map { "[\($0.ok ? "+" : "-")]\($0.name) \($0.ok ? "ok" : "failed")\($0.detail.isEmpty ? "" : " (\($0.detail))")" }
                .joined(separator: "\n") + "\n\(String(path.dropFirst())) check \(ok ? "passed" : "failed")\n"
        } else {
            text = ok ? "ok" : "not ready: " + checks.filter { !$0.ok }.map(\.name).joined(separator: ", ")
        }
        var headers: [(name: String, value: String)] = [("content-type", "text/plain; charset=utf-8")]
        if let revision = store.current?.revision { headers.append(("arbiter-policy-revision", revision)) }
        return HTTPResponse(status: ok ? 200 : 503, headers: headers, body: Array(text.utf8))
    }

    // MARK: - Metrics

    func metrics(_ request: HTTPRequest, options: Options) -> HTTPResponse {
        guard request.method == "GET" else {
            return KubernetesStatus.response(405, "method `\(request.method)` is not allowed here; use GET", extraHeaders: [("allow", "GET")])
        }
        guard let caller = identity(request) else {
            return KubernetesStatus.response(401, "a verified client certificate is required")
        }
        guard options.callers.allows(user: caller.user, groups: caller.groups)
            || options.metricsReaders.allows(user: caller.user, groups: caller.groups)
        else {
            return KubernetesStatus.response(403, "\(JSONTextless.quote(caller.user)) may not read metrics")
        }
        return HTTPResponse(
            status: 200, headers: [("content-type", "text/plain; version=0.0.4; charset=utf-8")], body: Array(metricsText().utf8))
    }
}
