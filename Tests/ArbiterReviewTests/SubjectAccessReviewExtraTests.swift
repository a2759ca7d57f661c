import ArbiterPolicy
import ArbiterReview
import Testing

/// `spec.extra` is validated while decoding but only turned into entries when read; these tests
/// pin down that reading, re-encoding and mutating it behave as if it had been decoded eagerly.
@Suite struct SubjectAccessReviewExtraTests {
    private static func review(extra: String) throws -> SubjectAccessReview {
        try decodeReview(
            #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"u","extra":"#
                + extra + #","nonResourceAttributes":{"path":"/","verb":"get"}}}"#
        )
    }

    /// The same review with its extra entries set through the public initializer (the eager form).
    private static func eager(_ review: SubjectAccessReview) -> SubjectAccessReview {
        var copy = review
        copy.spec = SubjectAccessReview.Spec(
            nonResourceAttributes: review.spec.nonResourceAttributes,
            user: review.spec.user,
            extra: review.spec.extra
        )
        return copy
    }

    private static func entryBytes(_ review: SubjectAccessReview) -> [[UInt8]] {
        review.spec.extra.map { [UInt8]($0.key.utf8) + [0xFF] + $0.values.flatMap { [UInt8]($0.utf8) + [0xFE] } }
    }

    @Test(arguments: [
        // Escapes in the key and the values (into the scratch buffer), `\/`, a surrogate pair.
        #"{"a\"b\/c\u00e9":["x\ny","\ud83d\ude00","\u212A"]}"#,
        // Raw non-ASCII, and a value long enough for the eight-byte scanning loops.
        #"{"\u212A":["é😀 0123456789abcdefghij","K"]}"#,
        // `null` values read (and are written) as an empty list.
        #"{"k":null}"#,
        #"{"k":[]}"#,
        // Several keys: written sorted by bytes, `K` and the Kelvin sign kept apart.
        #"{"z":["1"],"\u212A":["2"],"K":["3"],"a":null}"#,
    ])
    func deferredExtraReadsAndWritesLikeEagerEntries(_ extra: String) throws {
        let review = try Self.review(extra: extra)
        let eager = Self.eager(review)
        #expect(Self.entryBytes(review) == Self.entryBytes(eager))
        #expect(review.jsonBytes() == eager.jsonBytes())
        let result = AuthorizationResult(decision: .allow, reason: "r")
        #expect(review.encodeResponse(result: result) == eager.encodeResponse(result: result))
    }

    @Test func oneEntryIsEchoedWithTheWritersEscaping() throws {
        let review = try Self.review(extra: #"{"a\/b":["\u0041\t"]}"#)
        let json = String(decoding: review.jsonBytes(), as: UTF8.self)
        #expect(json.contains(#""extra":{"a/b":["A\t"]}"#))
        #expect(bytes(review.spec.extra[0].key) == bytes("a/b"))
        #expect(review.spec.extra[0].values.map(bytes) == [bytes("A\t")])
    }

    @Test func emptyAndNullExtraAreOmitted() throws {
        for extra in ["{}", "null"] {
            let review = try Self.review(extra: extra)
            #expect(review.spec.extra.isEmpty)
            #expect(!String(decoding: review.jsonBytes(), as: UTF8.self).contains("extra"))
        }
    }

    @Test func decodedExtraCanBeMutated() throws {
        var review = try Self.review(extra: #"{"b":["1"]}"#)
        review.spec.extra.append(SubjectAccessReview.ExtraEntry(key: "a", values: ["2"]))
        review.spec.extra[0].values.append("3")
        #expect(review.spec.extra.map { bytes($0.key) } == [bytes("b"), bytes("a")])
        #expect(review.spec.extra[0].values.map(bytes) == [bytes("1"), bytes("3")])
        #expect(String(decoding: review.jsonBytes(), as: UTF8.self).contains(#""extra":{"a":["2"],"b":["1","3"]}"#))
        review.spec.extra = []
        #expect(!String(decoding: review.jsonBytes(), as: UTF8.self).contains("extra"))
    }

    @Test(arguments: [
        (#"{"spec":{"extra":{"k":[1]}}}"#, ReviewDecodingError.Code.typeMismatch,
         "expected a string in `spec.extra.k`, found a number at byte 23"),
        (#"{"spec":{"extra":{"k":["a"],"k":["b"]}}}"#, .duplicateKey,
         "duplicate key `k` in `spec.extra` at byte 28"),
        (#"{"spec":{"extra":{"k":"a"}}}"#, .typeMismatch,
         "expected an array for `spec.extra.k`, found a string at byte 22"),
        (#"{"spec":{"extra":{"k":["\ud800"]}}}"#, .unpairedSurrogate, nil),
        (#"{"spec":{"extra":{"k":["a"]"#, .unexpectedEndOfInput, nil),
    ] as [(String, ReviewDecodingError.Code, String?)])
    func extraIsCheckedAsStrictlyAsBefore(_ json: String, _ code: ReviewDecodingError.Code, _ message: String?) {
        #expect(throws: ReviewDecodingError.self) {
            do throws(ReviewDecodingError) {
                _ = try SubjectAccessReview(json: Array(json.utf8))
            } catch {
                #expect(error.code == code)
                if let message { #expect(error.message == message) }
                throw error
            }
        }
    }
}
