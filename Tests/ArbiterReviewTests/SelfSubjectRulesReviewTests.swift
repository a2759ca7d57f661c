import ArbiterReview
import Foundation
import Testing

@Suite struct SelfSubjectRulesReviewTests {
    @Test func decodesRequestAndResponse() throws {
        let json = #"""
            {"kind":"SelfSubjectRulesReview","apiVersion":"authorization.k8s.io/v1","metadata":{"creationTimestamp":null},
             "spec":{"namespace":"team-a"},
             "status":{"resourceRules":[{"verbs":["get","list"],"apiGroups":[""],"resources":["pods"],"resourceNames":["web"]},{"verbs":["*"]}],
                       "nonResourceRules":[{"verbs":["get"],"nonResourceURLs":["/healthz","/api/*"]}],
                       "incomplete":true,"evaluationError":"webhook authorizer does not support user rule resolution"}}
            """#
        let review = try SelfSubjectRulesReview.decode(Array(json.utf8))
        #expect(review.spec.namespace == "team-a")
        #expect(review.status.resourceRules.count == 2)
        #expect(review.status.resourceRules[0].resourceNames == ["web"])
        #expect(review.status.nonResourceRules[0].nonResourceURLs == ["/healthz", "/api/*"])
        #expect(review.status.incomplete)
        #expect(review.status.evaluationError.hasPrefix("webhook"))
    }

    @Test func encodesInGoFieldOrderAndRoundTrips() throws {
        var review = SelfSubjectRulesReview(spec: .init(namespace: "ns"))
        review.status = .init(
            resourceRules: [.init(verbs: ["get"], apiGroups: ["apps"], resources: ["deployments"])],
            nonResourceRules: [.init(verbs: ["get"], nonResourceURLs: ["/version"])],
            incomplete: false
        )
        let encoded = review.jsonBytes()
        #expect(
            String(decoding: encoded, as: UTF8.self)
                == #"{"kind":"SelfSubjectRulesReview","apiVersion":"authorization.k8s.io/v1","metadata":{"creationTimestamp":null},"spec":{"namespace":"ns"},"status":{"resourceRules":[{"verbs":["get"],"apiGroups":["apps"],"resources":["deployments"]}],"nonResourceRules":[{"verbs":["get"],"nonResourceURLs":["/version"]}],"incomplete":false}}"#
        )
        let decoded = try SelfSubjectRulesReview.decode(encoded)
        #expect(decoded.jsonBytes() == encoded)
        _ = try JSONSerialization.jsonObject(with: Data(encoded))
    }

    @Test func emptyStatusWritesEmptyRuleLists() throws {
        let encoded = String(decoding: SelfSubjectRulesReview().jsonBytes(), as: UTF8.self)
        #expect(encoded.hasSuffix(#""status":{"resourceRules":[],"nonResourceRules":[],"incomplete":false}}"#))
    }

    @Test func rejectsOtherKindsAndVersions() {
        #expect(throws: ReviewDecodingError(.unexpectedKind)) {
            try SelfSubjectRulesReview.decode(
                Array(#"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview"}"#.utf8)
            )
        }
        #expect(throws: ReviewDecodingError(.unsupportedAPIVersion)) {
            try SelfSubjectRulesReview.decode(Array(#"{"apiVersion":"v1","kind":"SelfSubjectRulesReview"}"#.utf8))
        }
    }

    @Test func appliesTheStrictJSONRules() {
        #expect(throws: ReviewDecodingError(.duplicateKey)) {
            try SelfSubjectRulesReview(json: Array(#"{"spec":{"namespace":"a","namespace":"b"}}"#.utf8))
        }
        #expect(throws: ReviewDecodingError(.typeMismatch)) {
            try SelfSubjectRulesReview(json: Array(#"{"status":{"resourceRules":[null]}}"#.utf8))
        }
        #expect(throws: ReviewDecodingError(.trailingData)) {
            try SelfSubjectRulesReview(json: Array(#"{} {}"#.utf8))
        }
        #expect(throws: ReviewDecodingError(.bodyTooLarge)) {
            try SelfSubjectRulesReview(json: Array(#"{"spec":{}}"#.utf8), limits: ReviewDecodingLimits(maxBodyBytes: 4))
        }
    }
}

@Test func selfSubjectRulesReviewDecodesFromAnUnsafeRawBuffer() throws {
    let body = Array(#"{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectRulesReview","spec":{"namespace":"a"}}"#.utf8)
    let namespace = try body.withUnsafeBytes { try SelfSubjectRulesReview(json: $0).spec.namespace }
    #expect(namespace == "a")
    #expect(throws: ReviewDecodingError(.unexpectedEndOfInput)) { try SelfSubjectRulesReview(json: [UInt8]()) }
}
