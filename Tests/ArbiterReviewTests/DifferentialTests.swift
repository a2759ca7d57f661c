import ArbiterReview
import ArbiterTestSupport
import Foundation
import Testing

// The oracle (Foundation's JSONDecoder on mirror types) and the comparison live in
// ArbiterTestSupport/SARDifferential.swift, shared with the `sar` fuzz target.

private func describe(_ bytes: [UInt8]) -> String {
    String(decoding: bytes, as: UTF8.self).debugDescription + " "
        + bytes.map { String($0, radix: 16) }.joined(separator: " ")
}

@Suite struct DifferentialTests {
    @Test func generatedReviewsDecodeLikeFoundation() {
        var generator = ReviewGenerator(seed: 0xA2B1_7E20)
        var stricter = 0
        for _ in 0..<3000 {
            let bytes = Array(generator.review().utf8)
            switch SARDifferential.compare(bytes) {
            case .bothAccept, .bothReject: break
            case .stricter: stricter += 1
            case .disagree(let why): Issue.record("\(why): \(describe(bytes))")
            }
        }
        // The generator never writes duplicate keys, deep nesting or huge strings.
        #expect(stricter == 0)
    }

    @Test func mutatedReviewsAreAcceptedAndRejectedLikeFoundation() {
        var generator = ReviewGenerator(seed: 0x0BAD_5EED)
        var counts = (accepted: 0, rejected: 0, stricter: 0)
        for _ in 0..<5000 {
            let bytes = generator.mutate(Array(generator.review().utf8))
            switch SARDifferential.compare(bytes) {
            case .bothAccept: counts.accepted += 1
            case .bothReject: counts.rejected += 1
            case .stricter: counts.stricter += 1
            case .disagree(let why): Issue.record("\(why): \(describe(bytes))")
            }
        }
        // Both classes must be well represented for the comparison to mean something.
        #expect(counts.accepted > 500)
        #expect(counts.rejected > 1500)
    }

    @Test func generatedReviewsRoundTripThroughTheEncoder() throws {
        var generator = ReviewGenerator(seed: 0x0123_4567)
        for _ in 0..<2000 {
            let bytes = Array(generator.review().utf8)
            guard var review = try? SubjectAccessReview(json: bytes) else { continue }
            let encoded = review.jsonBytes()
            let decoded = try SubjectAccessReview(json: encoded)
            // The writer turns a status that says both allowed and denied into a deny.
            if review.status.allowed && review.status.denied { review.status.allowed = false }
            #expect(fingerprint(decoded) == fingerprint(review), "\(describe(bytes))")
            #expect(decoded.jsonBytes() == encoded)
            // Foundation reads what we write.
            #expect((try? JSONSerialization.jsonObject(with: Data(encoded))) != nil)
        }
    }

    @Test func randomGarbageNeverCrashes() {
        var random = SeededGenerator(seed: 42)
        for _ in 0..<3000 {
            let count = Int.random(in: 0..<64, using: &random)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            let body = Bool.random(using: &random) ? [UInt8(ascii: "{")] + bytes : bytes
            if case .disagree(let why) = SARDifferential.compare(body) { Issue.record("\(why): \(describe(body))") }
        }
    }
}
