import ArbiterReview
import Testing

@Test func sampleDecodes() throws {
    let json = #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","metadata":{"creationTimestamp":null},"spec":{"resourceAttributes":{"namespace":"team-payments","verb":"list","group":"apps","version":"v1","resource":"deployments"},"user":"system:serviceaccount:team-payments:deployer","groups":["system:serviceaccounts","system:serviceaccounts:team-payments","system:authenticated"],"extra":{"authentication.kubernetes.io/credential-id":["JTI=6d0b6a2e-3c1f-4e59-9b1c-2a3e4f5a6b7c"]},"uid":"4f1c2a7e-0b8d-4c3e-9f6a-1d2e3f4a5b6c"},"status":{"allowed":false}}"#
    let review = try SubjectAccessReview.decode(Array(json.utf8))
    #expect(review.spec.user == "system:serviceaccount:team-payments:deployer")
    #expect(review.spec.groups.count == 3)
    print(String(decoding: review.jsonBytes(), as: UTF8.self))
}
