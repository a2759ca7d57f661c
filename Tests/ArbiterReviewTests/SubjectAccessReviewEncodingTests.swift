import ArbiterPolicy
import ArbiterReview
import Foundation
import Testing

/// The response as Foundation sees it (the oracle for what we write).
private struct ResponseOracle: Decodable {
    var kind: String
    var apiVersion: String
    var status: Status

    struct Status: Decodable {
        var allowed: Bool
        var denied: Bool?
        var reason: String?
        var evaluationError: String?
    }
}

/// The top-level keys of `status` in a response.
private func statusKeys(_ response: [UInt8]) throws -> Set<String> {
    let object = try #require(JSONSerialization.jsonObject(with: Data(response)) as? [String: Any])
    let status = try #require(object["status"] as? [String: Any])
    return Set(status.keys)
}

private func sampleReview() throws -> SubjectAccessReview {
    try SubjectAccessReview.decode(ReviewCodecBenchmark.sampleRequest)
}

@Suite struct SubjectAccessReviewEncodingTests {
    @Test func allowWritesAllowedAndNoDenied() throws {
        let response = try sampleReview().encodeResponse(result: AuthorizationResult(decision: .allow, reason: "ok"))
        let oracle = try JSONDecoder().decode(ResponseOracle.self, from: Data(response))
        #expect(oracle.status.allowed == true)
        #expect(try statusKeys(response) == ["allowed", "reason"])
    }

    @Test func denyWritesAllowedFalseAndDenied() throws {
        let response = try sampleReview().encodeResponse(result: AuthorizationResult(decision: .deny, reason: "no"))
        let oracle = try JSONDecoder().decode(ResponseOracle.self, from: Data(response))
        #expect(oracle.status.allowed == false)
        #expect(oracle.status.denied == true)
        #expect(try statusKeys(response) == ["allowed", "denied", "reason"])
    }

    @Test func noOpinionWritesOnlyAllowedFalse() throws {
        let response = try sampleReview().encodeResponse(result: AuthorizationResult(decision: .noOpinion))
        #expect(try statusKeys(response) == ["allowed"])
        let oracle = try JSONDecoder().decode(ResponseOracle.self, from: Data(response))
        #expect(oracle.status.allowed == false)
    }

    @Test func evaluationErrorIsWrittenWhenPresent() throws {
        let result = AuthorizationResult(decision: .noOpinion, evaluationError: "role `x` not found")
        let response = try sampleReview().encodeResponse(result: result)
        #expect(try statusKeys(response) == ["allowed", "evaluationError"])
        let empty = try sampleReview().encodeResponse(
            result: AuthorizationResult(decision: .noOpinion, evaluationError: "")
        )
        #expect(try statusKeys(empty) == ["allowed"])
    }

    @Test func neverWritesAllowedTogetherWithDenied() throws {
        var review = try sampleReview()
        review.status = SubjectAccessReview.Status(allowed: true, denied: true)
        let oracle = try JSONDecoder().decode(ResponseOracle.self, from: Data(review.jsonBytes()))
        #expect(oracle.status.allowed == false)
        #expect(oracle.status.denied == true)
    }

    @Test func echoesKindVersionSpecAndMetadataLikeKubeAPIServer() throws {
        let response = try sampleReview().encodeResponse(
            result: AuthorizationResult(decision: .allow, reason: #"RBAC: allowed by RoleBinding "d/ns""#)
        )
        let expected =
            #"{"kind":"SubjectAccessReview","apiVersion":"authorization.k8s.io/v1","metadata":{"creationTimestamp":null},"spec":{"resourceAttributes":{"namespace":"team-payments","verb":"list","group":"apps","version":"v1","resource":"deployments"},"user":"system:serviceaccount:team-payments:deployer","groups":["system:serviceaccounts","system:serviceaccounts:team-payments","system:authenticated"],"extra":{"authentication.kubernetes.io/credential-id":["JTI=6d0b6a2e-3c1f-4e59-9b1c-2a3e4f5a6b7c"]},"uid":"4f1c2a7e-0b8d-4c3e-9f6a-1d2e3f4a5b6c"},"status":{"allowed":true,"reason":"RBAC: allowed by RoleBinding \"d/ns\""}}"#
        #expect(String(decoding: response, as: UTF8.self) == expected)
        #expect(response == Array(expected.utf8))
    }

    @Test func v1beta1ResponseUsesTheGroupKey() throws {
        let review = try decodeReview(
            #"{"apiVersion":"authorization.k8s.io/v1beta1","kind":"SubjectAccessReview","metadata":{"name":"n"},"spec":{"user":"u","group":["g"],"nonResourceAttributes":{"path":"/api","verb":"get"}}}"#
        )
        let response = String(
            decoding: review.encodeResponse(result: AuthorizationResult(decision: .noOpinion)),
            as: UTF8.self
        )
        #expect(
            response
                == #"{"kind":"SubjectAccessReview","apiVersion":"authorization.k8s.io/v1beta1","metadata":{"name":"n","creationTimestamp":null},"spec":{"nonResourceAttributes":{"path":"/api","verb":"get"},"user":"u","group":["g"]},"status":{"allowed":false}}"#
        )
    }

    @Test func staticEncodeResponseMatchesTheMethod() throws {
        let review = try sampleReview()
        let result = AuthorizationResult(decision: .deny, reason: "r", evaluationError: "e")
        #expect(
            SubjectAccessReview.encodeResponse(for: review, result: result) == review.encodeResponse(result: result)
        )
    }

    @Test(arguments: [
        "plain",
        "quote \" and backslash \\ and slash /",
        "newline\ncarriage\rtab\tbackspace\u{8}formfeed\u{C}",
        String((0..<32).map { Character(Unicode.Scalar(UInt8($0))) }),
        "delete \u{7F}",
        "non-ASCII: é, 中文, Kelvin \u{212A}, emoji 😀, combining e\u{301}, line separator \u{2028}",
        "",
        String(repeating: "long \"quoted\" text ", count: 200),
    ])
    func reasonAndEvaluationErrorSurviveEscaping(_ text: String) throws {
        let result = AuthorizationResult(decision: .noOpinion, reason: text, evaluationError: text)
        let response = try sampleReview().encodeResponse(result: result)
        let oracle = try JSONDecoder().decode(ResponseOracle.self, from: Data(response))
        #expect(Array((oracle.status.reason ?? "").utf8) == Array(text.utf8))
        #expect(Array((oracle.status.evaluationError ?? "").utf8) == Array(text.utf8))
        // Our own decoder reads it back identically, too.
        let decoded = try SubjectAccessReview(json: response)
        #expect(Array(decoded.status.reason.utf8) == Array(text.utf8))
        // Control characters never appear raw.
        #expect(!response.contains { $0 < 0x20 })
    }

    @Test func encodedReviewDecodesToTheSameBytes() throws {
        let json = #"""
            {"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","metadata":{"name":"n","namespace":"ns"},
             "spec":{"user":"\u212A","groups":["a","e\u0301"],"extra":{"z":["1"],"a":[],"\u00e9":["\"\n"]},"uid":"u",
               "resourceAttributes":{"namespace":"ns","verb":"list","group":"g","version":"v","resource":"r","subresource":"s","name":"n",
                 "fieldSelector":{"requirements":[{"key":"k","operator":"In","values":["v"]}]},
                 "labelSelector":{"rawSelector":"a=b","requirements":[{"key":"a","operator":"Exists"}]}}},
             "status":{"allowed":true,"reason":"r","evaluationError":"e"}}
            """#
        let review = try decodeReview(json)
        let encoded = review.jsonBytes()
        let again = try SubjectAccessReview.decode(encoded)
        #expect(again.jsonBytes() == encoded)
        #expect(again.spec.extra.map(\.key) == ["a", "z", "\u{E9}"])
    }
}
