import ArbiterHTTP
import ArbiterPolicy
import ArbiterReview
import ArbiterTestSupport
import Foundation

/// The fuzz targets: each takes arbitrary bytes and must neither crash nor break an invariant
/// (a broken invariant is a `fatalError`, which libFuzzer reports as a crash with the input).
enum FuzzTargets {
    static let all: [String: @Sendable (UnsafeRawBufferPointer) -> Void] = [
        "sar": sar, "http1": http1, "http2": http2, "policy": policy, "kubectl": kubectl,
    ]

    /// The SubjectAccessReview parser, differential against Foundation's JSONDecoder (see
    /// `SARDifferential`): the same accept/reject (Arbiter is only ever stricter, for the listed
    /// reasons) and the same values; what it accepts round-trips through the writer exactly.
    static func sar(_ input: UnsafeRawBufferPointer) {
        let bytes = Array(input)
        let outcome = SARDifferential.compare(bytes)
        if case .disagree(let why) = outcome { fatalError("sar: \(why)") }
        _ = try? SubjectAccessReview.decode(bytes)
        guard outcome == .bothAccept, var review = try? SubjectAccessReview(json: bytes) else { return }
        let once = review.jsonBytes()
        guard let again = try? SubjectAccessReview(json: once) else { fatalError("sar: the codec rejects its own output") }
        guard again.jsonBytes() == once else { fatalError("sar: encode → decode → encode changed the bytes") }
        // The writer turns a status that says both allowed and denied into a deny.
        if review.status.allowed && review.status.denied { review.status.allowed = false }
        guard fingerprint(again) == fingerprint(review) else { fatalError("sar: encode → decode changed a value") }
    }

    struct EchoResponder: Responder {
        func respond(to request: HTTPRequest) -> HTTPResponse {
            HTTPResponse(status: 200, headers: [("content-type", "text/plain")], body: Array(request.path.utf8.prefix(64)))
        }
    }

    /// The HTTP/1.1 handler: any bytes, fed in up to three chunks; output stays bounded.
    static func http1(_ input: UnsafeRawBufferPointer) {
        let handler = HTTP1Handler(responder: EchoResponder(), peer: nil)
        let now = ContinuousClock.now
        var output: [UInt8] = []
        let cut1 = input.count / 3
        let cut2 = 2 * input.count / 3
        for range in [0..<cut1, cut1..<cut2, cut2..<input.count] where !handler.isFinished {
            handler.receive(UnsafeRawBufferPointer(rebasing: input[range]), now: now)
            handler.produceOutput(into: &output, limit: 1 << 16)
            if output.count > 1 << 22 { fatalError("unbounded HTTP/1.1 output") }
        }
        handler.deadlineReached(now: now + .seconds(3600))
        handler.produceOutput(into: &output, limit: 1 << 16)
    }

    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    /// The HTTP/2 session (nghttp2 driven): the client preface, then any bytes as frames.
    static func http2(_ input: UnsafeRawBufferPointer) {
        let now = ContinuousClock.now
        let session = HTTP2Session(responder: EchoResponder(), peer: nil, now: now)
        var output: [UInt8] = []
        session.produceOutput(into: &output, limit: 1 << 16)
        let bytes = preface + Array(input)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count && !session.isFinished {
                let end = min(buffer.count, offset + 4096)
                session.receive(UnsafeRawBufferPointer(rebasing: buffer[offset..<end]), now: now)
                session.produceOutput(into: &output, limit: 1 << 16)
                if output.count > 1 << 24 { fatalError("unbounded HTTP/2 output") }
                offset = end
            }
        }
        session.deadlineReached(now: now + .seconds(3600))
        session.produceOutput(into: &output, limit: 1 << 16)
        session.close()
    }

    /// The policy loader (YAML and JSON): errors carry a location; a clean load compiles and
    /// evaluates, and never allows an anonymous request nothing grants.
    static func policy(_ input: UnsafeRawBufferPointer) {
        let result = PolicyLoader.combine([PolicyLoader.load(Array(input), file: "fuzz.yaml", limits: YAMLLimits(maxBytes: 1 << 20))])
        for error in result.errors where error.location == nil && error.code != .duplicateObject {
            fatalError("an error without a location: \(error)")
        }
        guard result.errors.isEmpty else { return }
        let compiled = PolicyCompiler.compile(result.set)
        let request = AccessRequest(user: "fuzz-\u{1}-nobody", groups: [], attributes: .resource(.init(verb: "get", resource: "pods")))
        let answer = compiled.authorize(request)
        if answer.decision == .allow, result.set.bindings.isEmpty, result.set.accessPolicies.isEmpty {
            fatalError("allowed with no binding and no policy")
        }
        _ = compiled.explain(request)
    }

    /// kubectl-style `can-i` arguments: VERB, TARGET, NAMESPACE, SUBRESOURCE separated by NUL.
    static func kubectl(_ input: UnsafeRawBufferPointer) {
        let fields = input.split(separator: 0, maxSplits: 3, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        let field = { (i: Int) in i < fields.count ? fields[i] : "" }
        guard let request = try? KubectlArguments.request(
            verb: field(0), target: field(1), namespace: field(2), subresource: field(3), user: "u", groups: [])
        else { return }
        if field(1).hasPrefix("/"), request.nonResourcePath != field(1) { fatalError("a URL changed on the way") }
        // Whatever kubectl's syntax let through, the engine decides it, and `explain` agrees.
        let answer = kubectlPolicy.authorize(request)
        guard kubectlPolicy.explain(request).result.decision == answer.decision else {
            fatalError("kubectl: explain and authorize disagree")
        }
    }

    /// A small policy with wildcards, subresources, names, URL prefixes and a deny, for `kubectl`.
    static let kubectlPolicy: CompiledPolicy = {
        let yaml = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: fuzz}
            rules:
            - apiGroups: ["", "apps"]
              resources: ["pods", "pods/log", "deployments/*", "*/status"]
              verbs: ["get", "list", "watch"]
            - apiGroups: ["*"]
              resources: ["configmaps"]
              resourceNames: ["web", "db"]
              verbs: ["*"]
            - nonResourceURLs: ["/healthz", "/api/*"]
              verbs: ["get"]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: fuzz, namespace: default}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: fuzz}
            subjects: [{kind: User, name: u}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: fuzz}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: fuzz}
            subjects: [{kind: Group, name: "system:authenticated"}]
            ---
            apiVersion: arbiter.dev/v1alpha1
            kind: AccessPolicy
            metadata: {name: deny-exec}
            spec:
              effect: Deny
              subjects: [{kind: User, name: "*"}]
              namespaces: ["prod-*"]
              rules: [{apiGroups: [""], resources: ["pods/exec"], verbs: ["*"]}]
            """
        let result = PolicyLoader.combine([PolicyLoader.load(yaml, file: "kubectl-fuzz.yaml")])
        guard result.errors.isEmpty else { fatalError("the kubectl fuzz policy does not load: \(result.errors)") }
        return PolicyCompiler.compile(result.set)
    }()
}
