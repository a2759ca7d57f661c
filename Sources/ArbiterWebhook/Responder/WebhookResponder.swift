public import ArbiterHTTP
public import ArbiterPolicy
public import ArbiterReview
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The webhook's HTTP face: routes requests, checks callers, decodes reviews, asks the policy
/// and writes the answer.
///
/// Endpoints (paths compared as exact bytes, no normalisation; the query is ignored, so
/// client-go's `?timeout=` is harmless):
///
/// | path | method | who may call | answer |
/// | --- | --- | --- | --- |
/// | ``Options/authorizePath`` (`/authorize`) | POST | ``Options/callers`` | SubjectAccessReview v1 or v1beta1, answered in its version |
/// | `/apis/authorization.k8s.io/{v1,v1beta1}/subjectaccessreviews` | POST | callers | same |
/// | `.../namespaces/{ns}/localsubjectaccessreviews` | POST | callers | LocalSubjectAccessReview |
/// | `.../selfsubjectaccessreviews` | POST | any verified client | about the caller's certificate identity |
/// | `.../selfsubjectrulesreviews` | POST | any verified client | the caller's rules in a namespace |
/// | `/api`, `/apis`, `/apis/authorization.k8s.io[/v1]`, `/version` | GET | any | discovery for kubectl |
/// | `/healthz`, `/livez`, `/readyz` | GET | any | health; ready only with a policy loaded |
/// | `/metrics` | GET | callers and ``Options/metricsReaders`` | Prometheus text |
///
/// Decisions are 200s on the webhook endpoint and 201s on the REST endpoints (a create, as
/// kube-apiserver answers it; they also take an absent apiVersion and kind from the URL, and
/// answer 422 for a review Kubernetes' validation refuses, non-empty metadata included).
/// Everything else is a Kubernetes `Status`: 400 malformed review, 401 no
/// client certificate, 403 caller not allowed, 404, 405, 413, 415 (protobuf or form bodies), 503
/// when no policy is loaded. No path can produce `allowed: true` except a policy allow.
public final class WebhookResponder: Responder {
    public struct Options: Sendable {
        public var authorizePath: String
        /// Who may ask about other subjects (SubjectAccessReview, LocalSubjectAccessReview).
        public var callers: CallerPolicy
        /// Who may read `/metrics`, besides ``callers``.
        public var metricsReaders: CallerPolicy
        public var defaultDecision: Decision
        public var limits: ReviewDecodingLimits

        public init(
            authorizePath: String = "/authorize", callers: CallerPolicy, metricsReaders: CallerPolicy = CallerPolicy(),
            defaultDecision: Decision = .noOpinion, limits: ReviewDecodingLimits = .default
        ) {
            self.authorizePath = authorizePath
            self.callers = callers
            self.metricsReaders = metricsReaders
            self.defaultDecision = defaultDecision
            self.limits = limits
        }
    }

    /// The options in force, replaced whole by ``update(_:)`` (a configuration reload); one
    /// immutable box, so that a request reads them with one lock and one retain.
    private final class OptionsBox: Sendable {
        let options: Options
        init(_ options: Options) { self.options = options }
    }

    let store: PolicyStore
    let shadowStore: PolicyStore?
    private let optionsBox: Mutex<OptionsBox>
    let observer: (any WebhookObserver)?
    /// Extra readiness checks (TLS material loaded, loops alive): name and state.
    let readinessChecks: @Sendable () -> [(name: String, ok: Bool)]
    /// Renders `/metrics`.
    let metricsText: @Sendable () -> String

    public init(
        store: PolicyStore, shadowStore: PolicyStore? = nil, options: Options, observer: (any WebhookObserver)? = nil,
        readinessChecks: @escaping @Sendable () -> [(name: String, ok: Bool)] = { [] },
        metricsText: @escaping @Sendable () -> String = { "" }
    ) {
        self.store = store
        self.shadowStore = shadowStore
        self.optionsBox = Mutex(OptionsBox(options))
        self.observer = observer
        self.readinessChecks = readinessChecks
        self.metricsText = metricsText
    }

    /// The options in force. A handler reads them once per request, so that a request never
    /// sees half of an update.
    public var options: Options { optionsBox.withLock { $0 }.options }

    /// The box of the options in force: one retain, and its fields are read in place (copying
    /// ``options`` out would retain each of its strings and arrays).
    private var currentOptions: OptionsBox { optionsBox.withLock { $0 } }

    /// Replaces the options (callers, metrics readers, default decision, paths, limits) for
    /// every request that starts after this returns.
    public func update(_ options: Options) {
        let box = OptionsBox(options)
        optionsBox.withLock { $0 = box }
    }

    /// What the transport refuses itself (a body over the limit, malformed framing, overload)
    /// is answered as a Kubernetes `Status` too, so that kube-apiserver's log and client-go's
    /// error carry the reason, not just the code.
    public func transportError(status: Int, reason: String) -> HTTPResponse {
        KubernetesStatus.response(status, reason)
    }

    public func respond(to request: HTTPRequest) -> HTTPResponse {
        let start = Self.monotonicNanoseconds()
        let (route, response) = dispatch(request, start: start)
        if let observer {
            observer.requestFinished(route: route, status: response.status, nanoseconds: Self.nanoseconds(since: start))
        }
        return response
    }

    /// `CLOCK_MONOTONIC` in nanoseconds (what `ContinuousClock` reads, without `Duration`'s
    /// 128-bit arithmetic on every request).
    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }

    static func nanoseconds(since start: UInt64) -> UInt64 {
        let now = monotonicNanoseconds()
        return now >= start ? now &- start : 0
    }

    // MARK: - Routing

    static let apiGroupPath = "/apis/authorization.k8s.io"
    static let apiPrefix = apiGroupPath + "/"

    func dispatch(_ request: HTTPRequest, start: UInt64) -> (WebhookEndpoint, HTTPResponse) {
        let path = request.path
        let box = currentOptions
        return withExtendedLifetime(box) { dispatch(request, path: path, start: start, options: box.options) }
    }

    private func dispatch(_ request: HTTPRequest, path: String, start: UInt64, options: Options) -> (WebhookEndpoint, HTTPResponse) {
        if path.bytesEqual(options.authorizePath) {
            return (.authorize, review(request, kind: .subjectAccessReview, route: .authorize, urlVersion: nil, namespace: nil, start: start, options: options))
        }
        if path.bytesEqual(Self.apiGroupPath) {
            return (.discovery, discovery(request, path: Self.apiGroupPath))
        }
        if path.utf8.starts(with: Self.apiPrefix.utf8) {
            let rest = path.utf8.dropFirst(Self.apiPrefix.utf8.count).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
            return api(request, rest, start: start, options: options)
        }
        switch path {
        case "/api", "/api/", "/api/v1", "/apis", "/apis/", "/version", "/version/", "/openapi/v3",
            "/openapi/v3/apis/authorization.k8s.io/v1":
            return (.discovery, discovery(request, path: path))
        case "/healthz", "/livez", "/readyz":
            return (.health, health(request, path: path))
        case "/metrics":
            return (.metrics, metrics(request, options: options))
        default:
            if path.hasPrefix("/healthz/") || path.hasPrefix("/livez/") || path.hasPrefix("/readyz/") {
                return (.health, health(request, path: "/" + path.split(separator: "/")[0]))
            }
            return (.other, KubernetesStatus.response(404, "the server could not find the requested resource `\(path)`"))
        }
    }

    private func api(_ request: HTTPRequest, _ parts: [String], start: UInt64, options: Options) -> (WebhookEndpoint, HTTPResponse) {
        guard let version = parts.first, version == "v1" || version == "v1beta1" else {
            if parts.isEmpty || parts == [""] { return (.discovery, discovery(request, path: Self.apiGroupPath)) }
            return (.other, KubernetesStatus.response(404, "the server could not find the requested resource"))
        }
        let urlVersion = version == "v1" ? ReviewAPIVersion.v1 : .v1beta1
        switch Array(parts.dropFirst()) {
        case [], [""]:
            return (.discovery, discovery(request, path: "/apis/authorization.k8s.io/" + version))
        case ["subjectaccessreviews"]:
            return (.subjectAccessReviews, review(request, kind: .subjectAccessReview, route: .subjectAccessReviews, urlVersion: urlVersion, namespace: nil, start: start, options: options))
        case ["selfsubjectaccessreviews"]:
            return (.selfSubjectAccessReviews, review(request, kind: .selfSubjectAccessReview, route: .selfSubjectAccessReviews, urlVersion: urlVersion, namespace: nil, start: start, options: options))
        case ["selfsubjectrulesreviews"]:
            return (.selfSubjectRulesReviews, rulesReview(request, urlVersion: urlVersion, options: options))
        case let parts where parts.count == 3 && parts[0] == "namespaces" && parts[2] == "localsubjectaccessreviews" && !parts[1].isEmpty:
            return (.localSubjectAccessReviews, review(request, kind: .localSubjectAccessReview, route: .localSubjectAccessReviews, urlVersion: urlVersion, namespace: parts[1], start: start, options: options))
        default:
            return (.other, KubernetesStatus.response(404, "the server could not find the requested resource"))
        }
    }

    // MARK: - Shared checks

    /// Whether `peer` is one of the configured callers (who may ask about other users), under
    /// the options in force.
    public func isCaller(_ peer: PeerIdentity) -> Bool {
        currentOptions.options.callers.allows(user: peer.commonName, groups: peer.organizations)
    }

    /// The caller's certificate identity as Kubernetes' x509 authenticator reads it.
    func identity(_ request: HTTPRequest) -> (user: String, groups: [String])? {
        guard let peer = request.peer else { return nil }
        return (peer.commonName, peer.organizations)
    }

    /// How a review body is encoded, or the answer refusing it.
    enum BodyEncoding {
        case json
        case protobuf
        case rejected(HTTPResponse)

        var isJSON: Bool {
            if case .json = self { return true }
            return false
        }
    }

    /// 405 unless POST; 415 unless JSON or Kubernetes protobuf. A missing content type reads as
    /// JSON, as kube-apiserver reads it (kubectl `create --raw` and the Python client send none).
    func checkPost(_ request: HTTPRequest) -> BodyEncoding {
        guard request.method == "POST" else {
            return .rejected(
                KubernetesStatus.response(405, "method `\(request.method)` is not allowed here; use POST", extraHeaders: [("allow", "POST")]))
        }
        // No client-go caller compresses a request body: a coded one would otherwise be read as
        // JSON (a gzip body as "found byte 0x1F"), or a plain one labelled gzip decided as is.
        // Every line of the field counts (`identity` then `gzip` on two lines is `identity, gzip`);
        // only `identity` codings, or none, are accepted.
        for line in request.headerValues("content-encoding") {
            for coding in line.split(separator: ",") {
                let trimmed = coding.trimmingSpaces
                if !trimmed.isEmpty && trimmed.lowercased() != "identity" {
                    return .rejected(
                        KubernetesStatus.response(
                            415, "unsupported content coding `\(trimmed)`; send the review uncompressed (no Content-Encoding)"))
                }
            }
        }
        // Fast path: what kube-apiserver sends, compared as bytes (for HTTP/1.1 straight from the
        // received head, without making a String).
        if request.hasHeader("content-type", value: "application/json") { return .json }
        let contentType = request.header("content-type") ?? ""
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingSpaces.lowercased() } ?? ""
        switch mediaType {
        case "application/json", "": return .json
        case SubjectAccessReview.protobufMediaType: return .protobuf
        default:
            return .rejected(
                KubernetesStatus.response(
                    415, "unsupported content type `\(contentType)`; send `Content-Type: application/json` (or Kubernetes protobuf)"))
        }
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var result = self
        while result.first == " " || result.first == "\t" { result = result.dropFirst() }
        while result.last == " " || result.last == "\t" { result = result.dropLast() }
        return result
    }
}
