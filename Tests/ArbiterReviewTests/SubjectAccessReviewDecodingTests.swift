import ArbiterPolicy
import ArbiterReview
import Testing

/// Decodes and validates a SubjectAccessReview from a string.
func decodeReview(
    _ json: String,
    expecting kind: ReviewKind = .subjectAccessReview
) throws(ReviewDecodingError) -> SubjectAccessReview {
    try SubjectAccessReview.decode(Array(json.utf8), expecting: kind)
}

/// UTF-8 bytes, for byte-exact comparisons (`String ==` is canonical equivalence).
func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

@Suite struct SubjectAccessReviewDecodingTests {
    @Test func decodesV1beta1ReviewAsKubeAPIServerSendsIt() throws {
        let json = #"""
            {"kind":"SubjectAccessReview","apiVersion":"authorization.k8s.io/v1beta1","metadata":{"creationTimestamp":null},"spec":{"resourceAttributes":{"namespace":"kube-system","verb":"get","version":"v1","resource":"secrets","name":"bootstrap-token"},"user":"system:node:n1","group":["system:nodes","system:authenticated"],"extra":{"authentication.kubernetes.io/node-name":["n1"]},"uid":"9b5c"},"status":{"allowed":false}}
            """#
        let review = try decodeReview(json)
        #expect(review.version == .v1beta1)
        #expect(review.spec.groups == ["system:nodes", "system:authenticated"])
        #expect(review.spec.extra.count == 1)
        #expect(review.spec.extra.first?.key == "authentication.kubernetes.io/node-name")
        #expect(review.status.allowed == false)
        let request = review.accessRequest()
        #expect(
            request
                == AccessRequest(
                    user: "system:node:n1",
                    groups: ["system:nodes", "system:authenticated"],
                    attributes: .resource(
                        ResourceAttributes(
                            namespace: "kube-system",
                            verb: "get",
                            version: "v1",
                            resource: "secrets",
                            name: "bootstrap-token"
                        )
                    )
                )
        )
    }

    @Test func mapsNonResourceAttributesToTheEngineRequest() throws {
        let review = try decodeReview(
            #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"nonResourceAttributes":{"path":"/healthz/etcd","verb":"get"},"user":"system:anonymous","groups":["system:unauthenticated"]}}"#
        )
        #expect(
            review.accessRequest()
                == AccessRequest(
                    user: "system:anonymous",
                    groups: ["system:unauthenticated"],
                    attributes: .nonResource(NonResourceAttributes(path: "/healthz/etcd", verb: "get"))
                )
        )
    }

    @Test func decodesTheBenchmarkSample() throws {
        let review = try SubjectAccessReview.decode(ReviewCodecBenchmark.sampleRequest)
        #expect(review.spec.user == "system:serviceaccount:team-payments:deployer")
        #expect(review.spec.groups.count == 3)
        #expect(review.spec.resourceAttributes?.resource == "deployments")
        #expect(review.spec.uid == "4f1c2a7e-0b8d-4c3e-9f6a-1d2e3f4a5b6c")
    }

    @Test func v1IgnoresTheV1beta1GroupKey() throws {
        let review = try decodeReview(
            #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"u","group":["g"],"nonResourceAttributes":{"path":"/","verb":"get"}}}"#
        )
        #expect(review.spec.groups.isEmpty)
    }

    @Test func v1beta1IgnoresTheV1GroupsKey() throws {
        let review = try decodeReview(
            #"{"apiVersion":"authorization.k8s.io/v1beta1","kind":"SubjectAccessReview","spec":{"user":"u","groups":["g"],"nonResourceAttributes":{"path":"/","verb":"get"}}}"#
        )
        #expect(review.spec.groups.isEmpty)
    }

    @Test(arguments: [("authorization.k8s.io/v1", ["a"]), ("authorization.k8s.io/v1beta1", ["b", "c"])])
    func groupsKeyIsChosenWhenApiVersionComesAfterSpec(_ apiVersion: String, _ expected: [String]) throws {
        let json =
            #"{"kind":"SubjectAccessReview","spec":{"groups":["a"],"group":["b","c"],"nonResourceAttributes":{"path":"/","verb":"get"}},"apiVersion":""#
            + apiVersion + #""}"#
        let review = try decodeReview(json)
        #expect(review.spec.groups == expected)
    }

    @Test func inactiveGroupsKeyIsStillValidatedAsJSON() {
        let json = #"{"apiVersion":"authorization.k8s.io/v1","spec":{"group":[1,{"a":1,"a":2}]}}"#
        #expect(throws: ReviewDecodingError(.duplicateKey)) { try SubjectAccessReview(json: bytes(json)) }
    }

    @Test func inactiveGroupsKeyMayHoldAnyType() throws {
        let review = try decodeReview(
            #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"u","group":5,"nonResourceAttributes":{"path":"/","verb":"get"}}}"#
        )
        #expect(review.spec.user == "u")
    }

    @Test func deferredGroupsReportTypeErrors() {
        let json = #"{"spec":{"groups":"a"},"apiVersion":"authorization.k8s.io/v1"}"#
        #expect(throws: ReviewDecodingError(.typeMismatch)) { try SubjectAccessReview(json: bytes(json)) }
    }

    @Test func nullReadsAsAbsent() throws {
        let json = #"""
            {"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","metadata":null,"status":null,
             "spec":{"user":"u","groups":null,"extra":{"a":null},"uid":null,"nonResourceAttributes":null,
                     "resourceAttributes":{"verb":"get","namespace":null,"fieldSelector":null,"labelSelector":{"requirements":null}}}}
            """#
        let review = try decodeReview(json)
        #expect(review.spec.groups.isEmpty)
        #expect(review.spec.extra.count == 1)
        #expect(review.spec.extra[0].values.isEmpty)
        #expect(review.spec.nonResourceAttributes == nil)
        #expect(review.spec.resourceAttributes?.fieldSelector == nil)
        #expect(review.spec.resourceAttributes?.labelSelector?.requirements.isEmpty == true)
    }

    @Test func keepsUserNamesByteExact() throws {
        let ascii = try decodeReview(
            #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"K","nonResourceAttributes":{"path":"/","verb":"get"}}}"#
        )
        let kelvin = try decodeReview(
            #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"\u212A","nonResourceAttributes":{"path":"/","verb":"get"}}}"#
        )
        #expect(bytes(ascii.spec.user) == [0x4B])
        #expect(bytes(kelvin.spec.user) == [0xE2, 0x84, 0xAA])
        // Swift's String == would call these equal; the codec must not.
        #expect(bytes(ascii.spec.user) != bytes(kelvin.spec.user))
        #expect(ascii.jsonBytes() != kelvin.jsonBytes())
    }

    @Test func keepsCombiningSequencesUnnormalised() throws {
        // "é" precomposed (U+00E9) and decomposed (e + U+0301), one raw, one escaped.
        let review = try decodeReview(
            "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\",\"spec\":{\"user\":\"\u{E9}\",\"groups\":[\"e\\u0301\"],\"nonResourceAttributes\":{\"path\":\"/\",\"verb\":\"get\"}}}"
        )
        #expect(bytes(review.spec.user) == [0xC3, 0xA9])
        #expect(bytes(review.spec.groups[0]) == [0x65, 0xCC, 0x81])
    }

    @Test func extraKeysThatAreOnlyCanonicallyEqualAreDistinct() throws {
        let review = try decodeReview(
            #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"u","extra":{"K":["1"],"\u212A":["2"]},"nonResourceAttributes":{"path":"/","verb":"get"}}}"#
        )
        #expect(review.spec.extra.map { bytes($0.key) } == [[0x4B], [0xE2, 0x84, 0xAA]])
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let review = try decodeReview(
            #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"a\"b\\c\/d\b\f\n\r\t\u0000\u00e9\u20AC\ud83d\ude00","nonResourceAttributes":{"path":"/","verb":"get"}}}"#
        )
        #expect(bytes(review.spec.user) == bytes("a\"b\\c/d\u{8}\u{C}\n\r\t\u{0}\u{E9}\u{20AC}\u{1F600}"))
    }

    @Test func decodesSelectorsAndMetadata() throws {
        let json = #"""
            {"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","metadata":{"name":"n","namespace":"ns","uid":"x"},
             "spec":{"user":"u","resourceAttributes":{"verb":"list","resource":"pods",
               "fieldSelector":{"requirements":[{"key":"spec.nodeName","operator":"In","values":["n1"]}]},
               "labelSelector":{"rawSelector":"app=web","requirements":[{"key":"app","operator":"Exists"}]}}}}
            """#
        let review = try decodeReview(json)
        #expect(review.metadata.name == "n")
        #expect(review.metadata.namespace == "ns")
        let attributes = try #require(review.spec.resourceAttributes)
        #expect(attributes.fieldSelector?.requirements.first?.key == "spec.nodeName")
        #expect(attributes.fieldSelector?.requirements.first?.values == ["n1"])
        #expect(attributes.labelSelector?.rawSelector == "app=web")
        #expect(attributes.labelSelector?.requirements.first?.operator == "Exists")
    }

    @Test func decodesFromAnUnsafeRawBuffer() throws {
        let body = ReviewCodecBenchmark.sampleRequest
        let user = try body.withUnsafeBytes { try SubjectAccessReview.decode($0).spec.user }
        #expect(user == "system:serviceaccount:team-payments:deployer")
    }

    @Test func whitespaceEverywhereIsAccepted() throws {
        let json =
            " \r\n\t{ \"apiVersion\" : \"authorization.k8s.io/v1\" ,\n\"kind\"\t:\"SubjectAccessReview\", \"spec\" : { \"user\" : \"u\" , \"groups\" : [ \"a\" , \"b\" ] , \"nonResourceAttributes\" : { } } } \n"
        let review = try decodeReview(json)
        #expect(review.spec.groups == ["a", "b"])
    }

    @Test func escapedKnownKeysAreRecognised() throws {
        let review = try decodeReview(
            #"{"\u0061piVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"\u0075ser":"u","nonResourceAttributes":{"path":"/","verb":"get"}}}"#
        )
        #expect(review.spec.user == "u")
    }
}

/// Every `ObjectMeta` field kube-apiserver decodes is recognised in JSON and in protobuf: a
/// value of the wrong type is recorded as invalid (the REST endpoints answer 400), and a
/// non-zero value of a field the create does not clear as set (422).
@Test(arguments: [
    ("generateName", 2, false), ("selfLink", 4, true), ("uid", 5, true), ("resourceVersion", 6, false),
    ("generation", 7, false), ("creationTimestamp", 8, true), ("deletionTimestamp", 9, true),
    ("deletionGracePeriodSeconds", 10, true), ("labels", 11, false), ("annotations", 12, false),
    ("ownerReferences", 13, false), ("finalizers", 14, false), ("managedFields", 17, true),
])
func everyObjectMetaFieldIsRecognised(_ name: String, _ number: Int, _ clearedByTheCreate: Bool) throws {
    let body = #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","metadata":{"\#(name)":true}}"#
    let review = try SubjectAccessReview(json: Array(body.utf8))
    #expect(review.metadata.invalidFields == [name])
    #expect(review.metadata.setFields.isEmpty)
    // Protobuf: a varint where a length-delimited field belongs, or the reverse.
    let isVarint = name == "generation" || name == "deletionGracePeriodSeconds"
    let field: [UInt8] = isVarint ? [UInt8(number << 3 | 2), 0] : number < 16 ? [UInt8(number << 3), 1] : [UInt8((number << 3) & 0x7f | 0x80), UInt8(number >> 4), 1]
    let typeMeta: [UInt8] = [0x0a, 0x17] + Array("authorization.k8s.io/v1".utf8) + [0x12, 0x13] + Array("SubjectAccessReview".utf8)
    let object: [UInt8] = [0x0a, UInt8(field.count)] + field
    let envelope: [UInt8] = [0x6b, 0x38, 0x73, 0x00, 0x0a, UInt8(typeMeta.count)] + typeMeta + [0x12, UInt8(object.count)] + object
    #expect(try SubjectAccessReview(protobuf: envelope).metadata.invalidFields == [name])
}
