import ArbiterPolicy
import ArbiterReview
import Testing

/// One well-formed review that must fail validation with `code`.
struct InvalidReviewCase: Sendable, CustomTestStringConvertible {
    var label: String
    var json: String
    var kind: ReviewKind
    var code: ReviewDecodingError.Code

    init(_ label: String, _ json: String, _ code: ReviewDecodingError.Code, kind: ReviewKind = .subjectAccessReview) {
        self.label = label
        self.json = json
        self.kind = kind
        self.code = code
    }

    var testDescription: String { label }
}

private let nonResource = #""nonResourceAttributes":{"path":"/healthz","verb":"get"}"#
private let resource = #""resourceAttributes":{"namespace":"ns","verb":"get","resource":"pods"}"#

let invalidReviewCases: [InvalidReviewCase] = [
    InvalidReviewCase(
        "missing apiVersion",
        #"{"kind":"SubjectAccessReview","spec":{"user":"u",\#(nonResource)}}"#,
        .unsupportedAPIVersion
    ),
    InvalidReviewCase(
        "v2",
        #"{"apiVersion":"authorization.k8s.io/v2","kind":"SubjectAccessReview","spec":{"user":"u",\#(nonResource)}}"#,
        .unsupportedAPIVersion
    ),
    InvalidReviewCase(
        "bare v1",
        #"{"apiVersion":"v1","kind":"SubjectAccessReview","spec":{"user":"u",\#(nonResource)}}"#,
        .unsupportedAPIVersion
    ),
    InvalidReviewCase(
        "v1 with a trailing space",
        #"{"apiVersion":"authorization.k8s.io/v1 ","kind":"SubjectAccessReview","spec":{"user":"u",\#(nonResource)}}"#,
        .unsupportedAPIVersion
    ),
    InvalidReviewCase(
        "upper-case group",
        #"{"apiVersion":"Authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"u",\#(nonResource)}}"#,
        .unsupportedAPIVersion
    ),
    InvalidReviewCase(
        "Kelvin sign in k8s",
        #"{"apiVersion":"authorization.\u212A8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"u",\#(nonResource)}}"#,
        .unsupportedAPIVersion
    ),
    InvalidReviewCase(
        "missing kind",
        #"{"apiVersion":"authorization.k8s.io/v1","spec":{"user":"u",\#(nonResource)}}"#,
        .unexpectedKind
    ),
    InvalidReviewCase(
        "other kind",
        #"{"apiVersion":"authorization.k8s.io/v1","kind":"TokenReview","spec":{"user":"u",\#(nonResource)}}"#,
        .unexpectedKind
    ),
    InvalidReviewCase(
        "self review on the webhook endpoint",
        #"{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"user":"u",\#(nonResource)}}"#,
        .unexpectedKind
    ),
    InvalidReviewCase(
        "lower-case kind",
        #"{"apiVersion":"authorization.k8s.io/v1","kind":"subjectaccessreview","spec":{"user":"u",\#(nonResource)}}"#,
        .unexpectedKind
    ),
    InvalidReviewCase(
        "rules review expected",
        #"{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectRulesReview","spec":{"user":"u",\#(nonResource)}}"#,
        .unexpectedKind,
        kind: .selfSubjectRulesReview
    ),
    InvalidReviewCase(
        "no spec",
        #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview"}"#,
        .missingAttributes
    ),
    InvalidReviewCase(
        "null attributes",
        #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"u","resourceAttributes":null}}"#,
        .missingAttributes
    ),
    InvalidReviewCase(
        "both attributes",
        #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"u",\#(resource),\#(nonResource)}}"#,
        .conflictingAttributes
    ),
    InvalidReviewCase(
        "both attributes, one empty",
        #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"u","resourceAttributes":{},"nonResourceAttributes":{}}}"#,
        .conflictingAttributes
    ),
    InvalidReviewCase(
        "no user and no groups",
        #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{\#(nonResource)}}"#,
        .missingSubject
    ),
    InvalidReviewCase(
        "empty user and empty groups",
        #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"","groups":[],\#(nonResource)}}"#,
        .missingSubject
    ),
    InvalidReviewCase(
        "v1beta1 groups under the v1 key",
        #"{"apiVersion":"authorization.k8s.io/v1beta1","kind":"SubjectAccessReview","spec":{"groups":["g"],\#(nonResource)}}"#,
        .missingSubject
    ),
    InvalidReviewCase(
        "local review in another namespace",
        #"{"apiVersion":"authorization.k8s.io/v1","kind":"LocalSubjectAccessReview","metadata":{"namespace":"other"},"spec":{"user":"u",\#(resource)}}"#,
        .namespaceMismatch,
        kind: .localSubjectAccessReview
    ),
    InvalidReviewCase(
        "local review of a URL",
        #"{"apiVersion":"authorization.k8s.io/v1","kind":"LocalSubjectAccessReview","metadata":{"namespace":"ns"},"spec":{"user":"u",\#(nonResource)}}"#,
        .namespaceMismatch,
        kind: .localSubjectAccessReview
    ),
]

@Suite struct SubjectAccessReviewValidationTests {
    @Test(arguments: invalidReviewCases)
    func rejectsInvalidReview(_ testCase: InvalidReviewCase) throws {
        // Well-formed JSON: parsing alone succeeds.
        let review = try SubjectAccessReview(json: Array(testCase.json.utf8))
        #expect(throws: ReviewDecodingError(testCase.code)) { try review.validate(expecting: testCase.kind) }
        #expect(throws: ReviewDecodingError(testCase.code)) {
            try SubjectAccessReview.decode(Array(testCase.json.utf8), expecting: testCase.kind)
        }
    }

    @Test func validationErrorsHaveNoOffsetAndAClearMessage() {
        let json =
            #"{"apiVersion":"authorization.k8s.io/v2","kind":"SubjectAccessReview","spec":{"user":"u",\#(nonResource)}}"#
        do {
            _ = try decodeReview(json)
            Issue.record("expected an error")
        } catch {
            #expect(error.offset == nil)
            #expect(
                error.message
                    == "unsupported apiVersion `authorization.k8s.io/v2` (expected `authorization.k8s.io/v1` or `authorization.k8s.io/v1beta1`)"
            )
        }
    }

    @Test func groupsAloneAreASubject() throws {
        _ = try decodeReview(
            #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"groups":["g"],\#(nonResource)}}"#
        )
    }

    @Test func selfReviewNeedsNoSubject() throws {
        let review = try decodeReview(
            #"{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{\#(resource)}}"#,
            expecting: .selfSubjectAccessReview
        )
        let request = review.accessRequest(user: "jane", groups: ["dev"])
        #expect(request.user == "jane")
        #expect(request.groups == ["dev"])
    }

    @Test func localReviewInItsNamespaceIsValid() throws {
        _ = try decodeReview(
            #"{"apiVersion":"authorization.k8s.io/v1","kind":"LocalSubjectAccessReview","metadata":{"namespace":"ns"},"spec":{"user":"u",\#(resource)}}"#,
            expecting: .localSubjectAccessReview
        )
    }
}

@Suite struct ReviewKindTests {
    @Test func namesAreComparedByteByByte() {
        #expect(ReviewKind(exactly: "SubjectAccessReview") == .subjectAccessReview)
        #expect(ReviewKind(exactly: "SelfSubjectRulesReview") == .selfSubjectRulesReview)
        #expect(ReviewKind(exactly: "subjectAccessReview") == nil)
        #expect(ReviewAPIVersion(exactly: "authorization.k8s.io/v1beta1") == .v1beta1)
        // A look-alike (Kelvin sign for `k`) is a different name.
        #expect(ReviewAPIVersion(exactly: "authorization.\u{212A}8s.io/v1") == nil)
        #expect(ReviewAPIVersion(exactly: "") == nil)
    }

    @Test func versionFollowsApiVersion() {
        var review = SubjectAccessReview()
        #expect(review.version == .v1)
        review.apiVersion = "authorization.k8s.io/v1beta1"
        #expect(review.version == .v1beta1)
        review.apiVersion = "v2"
        #expect(review.version == nil)
    }
}
