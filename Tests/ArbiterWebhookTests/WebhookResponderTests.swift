import ArbiterHTTP
import ArbiterPolicy
import ArbiterReview
import ArbiterTestSupport
import ArbiterWebhook
import Foundation
import Testing

/// The responder without sockets: routes, caller checks, status codes, wire format.
struct WebhookResponderTests {
    static let policy = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: reader}
        rules:
        - {apiGroups: [""], resources: [pods], verbs: [get, list]}
        - {nonResourceURLs: [/healthz], verbs: [get]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: devs-read}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
        subjects: [{kind: Group, apiGroup: rbac.authorization.k8s.io, name: dev}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: jane-read, namespace: team-a}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
        subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: jane}]
        ---
        apiVersion: arbiter.dev/v1alpha1
        kind: AccessPolicy
        metadata: {name: no-pods-for-contractors}
        spec:
          effect: Deny
          subjects: [{kind: Group, name: contractors}]
          rules: [{apiGroups: [""], resources: [pods], verbs: ["*"]}]
        """

    static func responder(defaultDecision: Decision = .noOpinion, loaded: Bool = true) throws -> WebhookResponder {
        let store = PolicyStore()
        if loaded {
            let directory = try makeTemporaryDirectory()
            let file = directory.appendingPathComponent("policy.yaml")
            try policy.write(to: file, atomically: true, encoding: .utf8)
            try store.reload(paths: [file.path])
        }
        return WebhookResponder(
            store: store,
            options: .init(
                callers: CallerPolicy(users: ["kube-apiserver"], groups: ["authz-callers"]),
                metricsReaders: CallerPolicy(users: ["prometheus"]), defaultDecision: defaultDecision),
            metricsText: { "arbiter_up 1\n" })
    }

    static let apiserver = PeerIdentity(commonName: "kube-apiserver")

    static func post(
        _ path: String, _ body: String, peer: PeerIdentity? = apiserver, contentType: String = "application/json"
    ) -> HTTPRequest {
        HTTPRequest(
            method: "POST", path: path, headers: [("content-type", contentType)], body: Array(body.utf8), peer: peer,
            protocolVersion: .http2)
    }

    static func sar(_ version: String = "v1", user: String = "bob", groups: [String] = ["dev"], verb: String = "get", resource: String = "pods", namespace: String = "team-a") -> String {
        let key = version == "v1beta1" ? "group" : "groups"
        let list = groups.map { "\"\($0)\"" }.joined(separator: ",")
        return #"{"apiVersion":"authorization.k8s.io/\#(version)","kind":"SubjectAccessReview","metadata":{"creationTimestamp":null},"spec":{"resourceAttributes":{"namespace":"\#(namespace)","verb":"\#(verb)","resource":"\#(resource)"},"user":"\#(user)","\#(key)":[\#(list)]},"status":{"allowed":false}}"#
    }

    static func json(_ response: HTTPResponse) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    static func status(_ response: HTTPResponse) throws -> [String: Any] {
        try #require(try json(response)["status"] as? [String: Any])
    }

    @Test(arguments: ["v1", "v1beta1"])
    func authorizeAnswersInTheRequestVersion(_ version: String) throws {
        let response = try Self.responder().respond(to: Self.post("/authorize", Self.sar(version)))
        #expect(response.status == 200)
        let object = try Self.json(response)
        #expect(object["apiVersion"] as? String == "authorization.k8s.io/\(version)")
        #expect(object["kind"] as? String == "SubjectAccessReview")
        let status = try Self.status(response)
        #expect(status["allowed"] as? Bool == true)
        #expect(status["denied"] == nil)
        #expect(status["reason"] as? String == #"RBAC: allowed by ClusterRoleBinding "devs-read" of ClusterRole "reader" to Group "dev""#)
        #expect(response.headers.contains { $0.name == "arbiter-policy-revision" && $0.value.count == 16 })
    }

    @Test(arguments: ["v1", "v1beta1"])
    func denyByGroupFiresForBothVersions(_ version: String) throws {
        let response = try Self.responder().respond(
            to: Self.post("/authorize", Self.sar(version, user: "carl", groups: ["dev", "contractors"])))
        let status = try Self.status(response)
        #expect(status["allowed"] as? Bool == false)
        #expect(status["denied"] as? Bool == true)
        #expect(status["reason"] as? String == #"AccessPolicy: denied by AccessPolicy "no-pods-for-contractors" rule 0"#)
    }

    @Test func noOpinionCarriesNeitherAllowedNorDenied() throws {
        let response = try Self.responder().respond(to: Self.post("/authorize", Self.sar(user: "zed", groups: [])))
        let status = try Self.status(response)
        #expect(status["allowed"] as? Bool == false)
        #expect(status["denied"] == nil)
    }

    @Test func restPathIgnoresQueryAndChecksTheVersion() throws {
        let responder = try Self.responder()
        var request = Self.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", Self.sar())
        request.query = "timeout=10s"
        #expect(responder.respond(to: request).status == 201)
        let mismatch = responder.respond(to: Self.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", Self.sar("v1beta1")))
        #expect(mismatch.status == 400)
        let beta = responder.respond(to: Self.post("/apis/authorization.k8s.io/v1beta1/subjectaccessreviews", Self.sar("v1beta1")))
        #expect(beta.status == 201)
    }

    /// The REST endpoints answer as kube-apiserver's create of a review: 201, apiVersion and
    /// kind taken from the URL when the body has none, validation failures 422, metadata that
    /// must be empty; the webhook endpoint keeps 200 and its strict reading.
    @Test func restEndpointsAnswerLikeKubeAPIServersCreate() throws {
        let responder = try Self.responder()
        let rest = "/apis/authorization.k8s.io/v1/subjectaccessreviews"
        #expect(responder.respond(to: Self.post(rest, Self.sar())).status == 201)
        #expect(responder.respond(to: Self.post("/authorize", Self.sar())).status == 200)

        // No apiVersion or kind: the URL's, also in the answer; in v1beta1, the groups are
        // read from `group` (bob is allowed only through the group dev).
        let bare = #"{"spec":{"resourceAttributes":{"namespace":"team-a","verb":"get","resource":"pods"},"user":"bob","groups":["dev"]}}"#
        let filled = responder.respond(to: Self.post(rest, bare))
        #expect(filled.status == 201)
        let object = try Self.json(filled)
        #expect(object["apiVersion"] as? String == "authorization.k8s.io/v1")
        #expect(object["kind"] as? String == "SubjectAccessReview")
        #expect(try Self.status(filled)["allowed"] as? Bool == true)
        let betaBare = #"{"kind":"SubjectAccessReview","apiVersion":"","spec":{"resourceAttributes":{"namespace":"team-a","verb":"get","resource":"pods"},"user":"bob","group":["dev"]}}"#
        let beta = responder.respond(to: Self.post("/apis/authorization.k8s.io/v1beta1/subjectaccessreviews", betaBare))
        #expect(beta.status == 201)
        #expect(try Self.json(beta)["apiVersion"] as? String == "authorization.k8s.io/v1beta1")
        #expect(try Self.status(beta)["allowed"] as? Bool == true)
        // The webhook endpoint has no URL version to take: kube-apiserver always sends one.
        #expect(responder.respond(to: Self.post("/authorize", bare)).status == 400)

        // Validation: 422 (Invalid) on the REST endpoints, 400 on the webhook endpoint.
        let noAttributes = #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"bob"}}"#
        let invalid = responder.respond(to: Self.post(rest, noAttributes))
        #expect(invalid.status == 422)
        #expect(try Self.json(invalid)["reason"] as? String == "Invalid")
        #expect(responder.respond(to: Self.post("/authorize", noAttributes)).status == 400)

        // Validation comes after the version check, as in kube-apiserver: a v1beta1 body on the
        // v1 path is a version mismatch (400) even when it would not validate.
        let mismatched = #"{"apiVersion":"authorization.k8s.io/v1beta1","kind":"SubjectAccessReview","spec":{"user":"bob"}}"#
        #expect(responder.respond(to: Self.post(rest, mismatched)).status == 400)

        // Metadata: once the create has cleared the system fields (and a cluster-scoped
        // review's namespace), only zero values; a value Go's decoder refuses is a 400. The
        // webhook endpoint reads and ignores it.
        func withMetadata(_ metadata: String, kind: String = "SubjectAccessReview") -> String {
            #"{"apiVersion":"authorization.k8s.io/v1","kind":"\#(kind)","metadata":\#(metadata),"spec":{"resourceAttributes":{"namespace":"team-a","verb":"get","resource":"pods"},"user":"bob","groups":["dev"]}}"#
        }
        for metadata in [
            #"{"creationTimestamp":null,"labels":{ },"finalizers":[],"generation":0,"resourceVersion":"","managedFields":[{"manager":"x"}],"unknown":1}"#,
            #"{"namespace":"team-a","uid":"abc","selfLink":"/x","creationTimestamp":"2024-02-29T00:00:00Z","deletionTimestamp":"2024-01-01T00:00:00.5+02:00","deletionGracePeriodSeconds":0,"managedFields":[{"manager":"kubectl"}]}"#,
        ] {
            let response = responder.respond(to: Self.post(rest, withMetadata(metadata)))
            #expect(response.status == 201, "\(metadata)")
            // The namespace of a cluster-scoped review is cleared, as kube-apiserver clears it.
            #expect((try Self.json(response)["metadata"] as? [String: Any])?["namespace"] == nil, "\(metadata)")
        }
        for (metadata, field) in [
            (#"{"name":"x"}"#, "name"), (#"{"labels":{"a":"b"}}"#, "labels"), (#"{"generateName":" "}"#, "generateName"),
            (#"{"generation":2}"#, "generation"), (#"{"finalizers":[""]}"#, "finalizers"), (#"{"annotations":{"a":""}}"#, "annotations"),
        ] {
            let response = responder.respond(to: Self.post(rest, withMetadata(metadata)))
            #expect(response.status == 422, "\(metadata)")
            #expect((try Self.json(response)["message"] as? String)?.contains("`\(field)`") == true, "\(metadata)")
            #expect(responder.respond(to: Self.post("/authorize", withMetadata(metadata))).status == 200, "\(metadata)")
        }
        for metadata in [
            #"{"labels":[]}"#, #"{"labels":{"a":1}}"#, #"{"finalizers":{}}"#, #"{"finalizers":[1]}"#, #"{"generation":false}"#,
            #"{"generation":1.5}"#, #"{"creationTimestamp":""}"#, #"{"creationTimestamp":0}"#, #"{"creationTimestamp":"2024-01-01"}"#,
            #"{"uid":0}"#, #"{"ownerReferences":["x"]}"#, #"{"ownerReferences":[{"uid":5}]}"#, #"{"managedFields":"x"}"#,
            #"{"creationTimestamp":"2023-02-29T00:00:00Z"}"#, #"{"generation":99999999999999999999}"#,
        ] {
            let response = responder.respond(to: Self.post(rest, withMetadata(metadata)))
            #expect(response.status == 400, "\(metadata)")
            #expect(responder.respond(to: Self.post("/authorize", withMetadata(metadata))).status == 200, "\(metadata)")
        }
        let local = responder.respond(
            to: Self.post(
                "/apis/authorization.k8s.io/v1/namespaces/team-a/localsubjectaccessreviews",
                withMetadata(#"{"namespace":"team-a"}"#, kind: "LocalSubjectAccessReview")))
        #expect(local.status == 201)
        #expect((try Self.json(local)["metadata"] as? [String: Any])?["namespace"] as? String == "team-a")

        // The same rules for protobuf bodies: empty strings, a zero generation and any
        // creationTimestamp pass; a name is set; a wire type not the field's is a 400.
        let attributes = Self.field(1, "team-a") + Self.field(2, "get") + Self.field(5, "pods")
        let spec = Self.field(1, attributes) + Self.field(3, "bob") + Self.field(4, "dev")
        let typeMeta = Self.field(1, "") + Self.field(2, "")
        func protobuf(_ metadata: [UInt8]) -> HTTPRequest {
            HTTPRequest(
                method: "POST", path: rest, headers: [("content-type", "application/vnd.kubernetes.protobuf")],
                body: [0x6b, 0x38, 0x73, 0x00] + Self.field(1, typeMeta) + Self.field(2, Self.field(1, metadata) + Self.field(2, spec)),
                peer: Self.apiserver)
        }
        let zero = protobuf(Self.field(1, "") + Self.field(2, "") + [0x38, 0x00] + Self.field(8, [0x08, 0x01]) + Self.field(5, "uid"))
        let zeroAnswer = responder.respond(to: zero)
        #expect(zeroAnswer.status == 201)
        #expect(try Self.json(zeroAnswer)["kind"] as? String == "SubjectAccessReview")
        #expect(try Self.status(zeroAnswer)["allowed"] as? Bool == true)
        #expect(responder.respond(to: protobuf(Self.field(1, "x"))).status == 422)
        #expect(responder.respond(to: protobuf([0x38, 0x02])).status == 422)  // generation 2
        #expect(responder.respond(to: protobuf([0x28, 0x00])).status == 400)  // uid as a varint
        #expect(responder.respond(to: protobuf(Self.field(7, [UInt8]()))).status == 400)  // generation length-delimited
    }

    @Test func callersAreCheckedBeforeAnythingIsEvaluated() throws {
        let responder = try Self.responder()
        let stranger = responder.respond(to: Self.post("/authorize", Self.sar(), peer: PeerIdentity(commonName: "mallory")))
        #expect(stranger.status == 403)
        #expect(try Self.json(stranger)["kind"] as? String == "Status")
        #expect(!String(decoding: stranger.body, as: UTF8.self).contains("allowed"))
        let byGroup = responder.respond(
            to: Self.post("/authorize", Self.sar(), peer: PeerIdentity(commonName: "x", organizations: ["authz-callers"])))
        #expect(byGroup.status == 200)
        let anonymous = responder.respond(to: Self.post("/authorize", Self.sar(), peer: nil))
        #expect(anonymous.status == 401)
    }

    @Test func selfReviewsUseTheCertificateIdentity() throws {
        let responder = try Self.responder()
        let body = #"{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"namespace":"team-a","verb":"list","resource":"pods"},"user":"someone-else"}}"#
        let jane = responder.respond(
            to: Self.post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body, peer: PeerIdentity(commonName: "jane")))
        #expect(jane.status == 201)
        #expect(try Self.status(jane)["allowed"] as? Bool == true)
        let bob = responder.respond(
            to: Self.post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body, peer: PeerIdentity(commonName: "bob")))
        #expect(try Self.status(bob)["allowed"] as? Bool == false)
        // A SelfSubjectAccessReviewSpec has no identity fields: what was sent in their place is
        // not echoed as if it had been decided on.
        let spec = try #require(try Self.json(jane)["spec"] as? [String: Any])
        #expect(Set(spec.keys) == ["resourceAttributes"], "\(spec)")
    }

    @Test func localReviewsFollowKubernetesNamespaceRules() throws {
        let responder = try Self.responder()
        func local(_ metadataNamespace: String?, _ specNamespace: String, url: String = "team-a") -> Int {
            let metadata = metadataNamespace.map { #"{"namespace":"\#($0)"}"# } ?? "{}"
            let body = #"{"apiVersion":"authorization.k8s.io/v1","kind":"LocalSubjectAccessReview","metadata":\#(metadata),"spec":{"resourceAttributes":{"namespace":"\#(specNamespace)","verb":"get","resource":"pods"},"user":"jane"}}"#
            return responder.respond(to: Self.post("/apis/authorization.k8s.io/v1/namespaces/\(url)/localsubjectaccessreviews", body)).status
        }
        #expect(local(nil, "team-a") == 201)
        #expect(local("team-a", "team-a") == 201)
        // The object's namespace against the URL's: a bad request; the spec's against the
        // object's: the review's validation (Invalid), as kube-apiserver answers each.
        #expect(local("team-b", "team-b") == 400)
        #expect(local(nil, "team-b") == 422)
    }

    @Test func rulesReviewListsTheCallersRulesAndReportsDenies() throws {
        let responder = try Self.responder()
        let body = #"{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectRulesReview","spec":{"namespace":"team-a"}}"#
        let response = responder.respond(
            to: Self.post(
                "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", body,
                peer: PeerIdentity(commonName: "carl", organizations: ["dev", "contractors"])))
        #expect(response.status == 201)
        let status = try Self.status(response)
        let resourceRules = try #require(status["resourceRules"] as? [[String: Any]])
        #expect(resourceRules.contains { ($0["resources"] as? [String]) == ["pods"] })
        let nonResource = try #require(status["nonResourceRules"] as? [[String: Any]])
        #expect(nonResource.contains { ($0["nonResourceURLs"] as? [String]) == ["/healthz"] })
        #expect(status["incomplete"] as? Bool == true)
        #expect((status["evaluationError"] as? String)?.contains("no-pods-for-contractors") == true)
    }

    @Test(arguments: [
        ("GET", "/authorize", "application/json", 405),
        ("POST", "/authorize", "application/vnd.kubernetes.protobuf", 400),
        ("POST", "/authorize", "application/x-www-form-urlencoded", 415),
        ("POST", "/nope", "application/json", 404),
        ("POST", "/apis/authorization.k8s.io/v2/subjectaccessreviews", "application/json", 404),
    ])
    func wrongRequestsGetStatusCodesAndNeverAllowed(_ method: String, _ path: String, _ contentType: String, _ code: Int) throws {
        let request = HTTPRequest(
            method: method, path: path, headers: [("content-type", contentType)], body: Array(Self.sar().utf8),
            peer: Self.apiserver)
        let response = try Self.responder().respond(to: request)
        #expect(response.status == code)
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(!text.contains(#""allowed":true"#))
        #expect(try Self.json(response)["kind"] as? String == "Status")
    }

    /// What the transport refuses itself (a body over the limit, a timeout, overload) is a
    /// Kubernetes `Status` too, so client-go reports the reason and not only the code.
    @Test(arguments: [(413, "RequestEntityTooLarge"), (408, "Timeout"), (400, "BadRequest"), (503, "ServiceUnavailable")])
    func transportErrorsAreKubernetesStatus(_ code: Int, _ reason: String) throws {
        let response = try Self.responder().transportError(status: code, reason: "request body too large")
        #expect(response.status == code)
        let json = try Self.json(response)
        #expect(json["kind"] as? String == "Status")
        #expect(json["reason"] as? String == reason)
        #expect(json["code"] as? Int == code)
        #expect(json["message"] as? String == "request body too large")
    }

    /// A compressed body is refused as such (no client-go caller compresses one), not decoded as
    /// JSON; `identity` is no coding at all.
    @Test(arguments: [("gzip", 415), ("br", 415), ("GZIP, identity", 415), ("identity", 200), ("", 200)])
    func contentCodingsAreRefused(_ coding: String, _ code: Int) throws {
        let request = HTTPRequest(
            method: "POST", path: "/authorize", headers: [("content-type", "application/json"), ("content-encoding", coding)],
            body: Array(Self.sar().utf8), peer: Self.apiserver)
        let response = try Self.responder().respond(to: request)
        #expect(response.status == code)
        // The field on two lines counts as one list: `identity` first does not hide `gzip`.
        let twoLines = HTTPRequest(
            method: "POST", path: "/authorize",
            headers: [("content-type", "application/json"), ("content-encoding", "identity"), ("content-encoding", coding)],
            body: Array(Self.sar().utf8), peer: Self.apiserver)
        #expect(try Self.responder().respond(to: twoLines).status == code)
        if code == 415 {
            #expect(try Self.json(response)["kind"] as? String == "Status")
            #expect(String(decoding: response.body, as: UTF8.self).contains("content coding"))
        }
    }

    @Test(arguments: [
        "not json",
        #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"a","user":"b","resourceAttributes":{"verb":"get"}}}"#,
        #"{"apiVersion":"authorization.k8s.io/v2","kind":"SubjectAccessReview","spec":{"user":"a","resourceAttributes":{"verb":"get"}}}"#,
        #"{"apiVersion":"authorization.k8s.io/v1","kind":"Pod","spec":{"user":"a","resourceAttributes":{"verb":"get"}}}"#,
        #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"a"}}"#,
        #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"a","resourceAttributes":{},"nonResourceAttributes":{}}}"#,
        String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
    ])
    func malformedReviewsAre400(_ body: String) throws {
        let response = try Self.responder().respond(to: Self.post("/authorize", body))
        #expect(response.status == 400)
        #expect(!String(decoding: response.body, as: UTF8.self).contains(#""allowed":true"#))
    }

    @Test func withoutAPolicyNothingIsDecidedAndNotReady() throws {
        let responder = try Self.responder(loaded: false)
        #expect(responder.respond(to: Self.post("/authorize", Self.sar())).status == 503)
        let ready = responder.respond(to: HTTPRequest(method: "GET", path: "/readyz", peer: Self.apiserver))
        #expect(ready.status == 503)
        let live = responder.respond(to: HTTPRequest(method: "GET", path: "/livez", peer: Self.apiserver))
        #expect(live.status == 200)
    }

    @Test func readyzVerboseNamesThePolicyRevision() throws {
        let responder = try Self.responder()
        let response = responder.respond(to: HTTPRequest(method: "GET", path: "/readyz", query: "verbose", peer: Self.apiserver))
        #expect(response.status == 200)
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(text.contains("[+]policy ok (revision "))
    }

    @Test func metricsNeedAnAllowedReader() throws {
        let responder = try Self.responder()
        #expect(responder.respond(to: HTTPRequest(method: "GET", path: "/metrics", peer: PeerIdentity(commonName: "prometheus"))).status == 200)
        #expect(responder.respond(to: HTTPRequest(method: "GET", path: "/metrics", peer: PeerIdentity(commonName: "jane"))).status == 403)
    }

    @Test func discoveryListsTheAuthorizationResources() throws {
        let response = try Self.responder().respond(
            to: HTTPRequest(method: "GET", path: "/apis/authorization.k8s.io/v1", peer: Self.apiserver))
        #expect(response.status == 200)
        let resources = try #require(try Self.json(response)["resources"] as? [[String: Any]])
        #expect(resources.map { $0["name"] as? String } == [
            "localsubjectaccessreviews", "selfsubjectaccessreviews", "selfsubjectrulesreviews", "subjectaccessreviews",
        ])
    }

    /// The API group, with and without the trailing slash (kubectl asks for both forms).
    @Test(arguments: ["/apis/authorization.k8s.io", "/apis/authorization.k8s.io/"])
    func discoveryAnswersTheGroup(_ path: String) throws {
        let response = try Self.responder().respond(to: HTTPRequest(method: "GET", path: path, peer: Self.apiserver))
        #expect(response.status == 200)
        #expect(try Self.json(response)["kind"] as? String == "APIGroup")
    }

    /// Without a client certificate (`VerifyClientCertIfGiven`) only health endpoints answer.
    @Test(arguments: ["/version", "/api", "/apis", "/apis/authorization.k8s.io", "/apis/authorization.k8s.io/v1", "/openapi/v3"])
    func discoveryNeedsACertificate(_ path: String) throws {
        let responder = try Self.responder()
        #expect(responder.respond(to: HTTPRequest(method: "GET", path: path)).status == 401)
        #expect(responder.respond(to: HTTPRequest(method: "GET", path: path, peer: Self.apiserver)).status == 200)
        #expect(responder.respond(to: HTTPRequest(method: "GET", path: "/livez")).status == 200)
    }

    /// Protocol-buffers encoding of one length-delimited field (test only).
    static func field(_ number: Int, _ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [UInt8(number << 3 | 2)]
        var length = payload.count
        while length >= 0x80 {
            out.append(UInt8(length & 0x7f) | 0x80)
            length >>= 7
        }
        out.append(UInt8(length))
        return out + payload
    }

    static func field(_ number: Int, _ text: String) -> [UInt8] { field(number, Array(text.utf8)) }

    /// A SelfSubjectAccessReview the way kubectl 1.32 sends it: `k8s\0` + runtime.Unknown.
    static func protobufSelfReview(verb: String, resource: String, namespace: String) -> [UInt8] {
        let attributes = field(1, namespace) + field(2, verb) + field(5, resource)
        let review = field(1, [UInt8]()) + field(2, field(1, attributes))
        let typeMeta = field(1, "authorization.k8s.io/v1") + field(2, "SelfSubjectAccessReview")
        return [0x6b, 0x38, 0x73, 0x00] + field(1, typeMeta) + field(2, review)
    }

    @Test func protobufSelfReviewsAreDecoded() throws {
        let responder = try Self.responder()
        let request = HTTPRequest(
            method: "POST", path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            headers: [("content-type", "application/vnd.kubernetes.protobuf")],
            body: Self.protobufSelfReview(verb: "list", resource: "pods", namespace: "team-a"),
            peer: PeerIdentity(commonName: "jane"))
        let response = responder.respond(to: request)
        #expect(response.status == 201)
        #expect(response.headers.contains { $0.name == "content-type" && $0.value == "application/json" })
        #expect(try Self.status(response)["allowed"] as? Bool == true)
        var truncated = request
        truncated.body.removeLast(3)
        #expect(responder.respond(to: truncated).status == 400)
        // A message field sent twice is merged, as Go's generated decoder does: the attributes
        // split over two `resourceAttributes` fields are one request.
        let split = Self.field(1, Self.field(1, "team-a") + Self.field(2, "list")) + Self.field(1, Self.field(5, "pods"))
        let typeMeta = Self.field(1, "authorization.k8s.io/v1") + Self.field(2, "SelfSubjectAccessReview")
        var merged = request
        merged.body = [0x6b, 0x38, 0x73, 0x00] + Self.field(1, typeMeta) + Self.field(2, Self.field(1, [UInt8]()) + Self.field(2, split))
        #expect(try Self.status(responder.respond(to: merged))["allowed"] as? Bool == true)
        // So is a whole `spec` sent twice (protobuf merges are concatenations).
        let first = Self.field(2, Self.field(1, Self.field(1, "team-a") + Self.field(2, "list")))
        let second = Self.field(2, Self.field(1, Self.field(5, "pods")))
        merged.body = [0x6b, 0x38, 0x73, 0x00] + Self.field(1, typeMeta) + Self.field(2, Self.field(1, [UInt8]()) + first + second)
        #expect(try Self.status(responder.respond(to: merged))["allowed"] as? Bool == true)
        // Each occurrence is decoded on its own, as in Go: a field cut short at the end of one
        // occurrence does not continue into the next.
        let cut = Self.field(2, Self.field(1, Self.field(1, "team-a") + Self.field(2, "list") + Self.field(5, "pods")))
            + Self.field(2, [0x1a, 0x05]) + Self.field(2, "alice")
        merged.body = [0x6b, 0x38, 0x73, 0x00] + Self.field(1, typeMeta) + Self.field(2, Self.field(1, [UInt8]()) + cut)
        #expect(responder.respond(to: merged).status == 400)
    }

    @Test func authorizeAnswersWithStatusOnlyAndRESTEchoesTheReview() throws {
        let responder = try Self.responder()
        let short = try Self.json(responder.respond(to: Self.post("/authorize", Self.sar("v1beta1"))))
        #expect(Set(short.keys) == ["kind", "apiVersion", "status"])
        #expect(short["apiVersion"] as? String == "authorization.k8s.io/v1beta1")
        let full = try Self.json(responder.respond(to: Self.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", Self.sar())))
        #expect(Set(full.keys) == ["kind", "apiVersion", "metadata", "spec", "status"])
    }

    /// Shadow mode: a candidate policy is evaluated next to the live one; answers never change,
    /// disagreements are counted by what the shadow would do.
    @Test func shadowPolicyNeverChangesAnswersAndCountsDisagreements() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let live = directory.appendingPathComponent("live.yaml")
        try Self.policy.write(to: live, atomically: true, encoding: .utf8)
        let candidate = directory.appendingPathComponent("candidate.yaml")
        try (Self.policy + """

            ---
            apiVersion: arbiter.dev/v1alpha1
            kind: AccessPolicy
            metadata: {name: no-pods-for-devs}
            spec:
              effect: Deny
              subjects: [{kind: Group, name: dev}]
              rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
            """).write(to: candidate, atomically: true, encoding: .utf8)
        let store = PolicyStore()
        try store.reload(paths: [live.path])
        let shadow = PolicyStore()
        try shadow.reload(paths: [candidate.path])
        let metrics = WebhookMetrics()
        let responder = WebhookResponder(
            store: store, shadowStore: shadow, options: .init(callers: CallerPolicy(users: ["kube-apiserver"])),
            observer: ServiceObserver(metrics: metrics, decisionLog: nil))
        let allowed = responder.respond(to: Self.post("/authorize", Self.sar()))
        #expect(try Self.status(allowed)["allowed"] as? Bool == true)
        let listed = responder.respond(to: Self.post("/authorize", Self.sar(verb: "list")))
        #expect(try Self.status(listed)["allowed"] as? Bool == true)
        let text = metrics.render()
        #expect(text.contains(#"arbiter_shadow_disagreements_total{kind="would_deny"} 1"#), "\(text)")
        #expect(text.contains(#"arbiter_decisions_total{decision="allow"} 2"#))
    }

    /// `kubectl auth can-i --list` sends its SelfSubjectRulesReview as protobuf too.
    @Test func protobufRulesReviewsAreDecoded() throws {
        let spec = Self.field(1, "team-a")
        let review = Self.field(1, [UInt8]()) + Self.field(2, spec)
        let typeMeta = Self.field(1, "authorization.k8s.io/v1") + Self.field(2, "SelfSubjectRulesReview")
        let body = [0x6b, 0x38, 0x73, 0x00] + Self.field(1, typeMeta) + Self.field(2, review)
        let response = try Self.responder().respond(
            to: HTTPRequest(
                method: "POST", path: "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
                headers: [("content-type", "application/vnd.kubernetes.protobuf")], body: body,
                peer: PeerIdentity(commonName: "jane")))
        #expect(response.status == 201)
        // The rules are per namespace: none is kube-apiserver's 400.
        let noNamespace = #"{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectRulesReview","spec":{}}"#
        #expect(
            try Self.responder().respond(
                to: Self.post("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", noNamespace, peer: PeerIdentity(commonName: "carl"))
            ).status == 400)
        let object = try Self.json(response)
        // kube-apiserver answers with a new review: the status alone, an empty spec.
        #expect((object["spec"] as? [String: Any])?.isEmpty == true, "\(object)")
        let rules = try #require((object["status"] as? [String: Any])?["resourceRules"] as? [[String: Any]])
        #expect(rules.contains { ($0["resources"] as? [String]) == ["pods"] })
    }

    @Test func missingContentTypeReadsAsJSON() throws {
        let request = HTTPRequest(method: "POST", path: "/authorize", body: Array(Self.sar().utf8), peer: Self.apiserver)
        #expect(try Self.responder().respond(to: request).status == 200)
    }

    @Test func defaultDenyIsAnExplicitDeny() throws {
        let response = try Self.responder(defaultDecision: .deny).respond(to: Self.post("/authorize", Self.sar(user: "zed", groups: [])))
        let status = try Self.status(response)
        #expect(status["denied"] as? Bool == true)
        #expect(status["allowed"] as? Bool == false)
    }
}
