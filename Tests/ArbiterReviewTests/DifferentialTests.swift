import ArbiterReview
import Foundation
import Testing

// MARK: - The oracle: Foundation's JSONDecoder on mirror types

/// A SubjectAccessReview as Foundation decodes it: every field optional, `null` = absent.
private struct OracleReview: Decodable {
    var apiVersion: String?
    var kind: String?
    var metadata: Metadata?
    var spec: Spec?
    var status: Status?

    struct Metadata: Decodable {
        var name: String?
        var namespace: String?
    }

    struct Spec: Decodable {
        var resourceAttributes: ResourceAttributes?
        var nonResourceAttributes: NonResourceAttributes?
        var user: String?
        var groups: LenientStrings?
        var group: LenientStrings?
        var extra: [String: [String]?]?
        var uid: String?
    }

    struct ResourceAttributes: Decodable {
        var namespace, verb, group, version, resource, subresource, name: String?
        var fieldSelector: Selector?
        var labelSelector: Selector?
    }

    struct Selector: Decodable {
        var rawSelector: String?
        var requirements: [Requirement]?
    }

    struct Requirement: Decodable {
        var key: String?
        var `operator`: String?
        var values: [String]?
    }

    struct NonResourceAttributes: Decodable {
        var path, verb: String?
    }

    struct Status: Decodable {
        var allowed: Bool?
        var denied: Bool?
        var reason: String?
        var evaluationError: String?
    }
}

/// The key of the other API version is an unknown field (any type): remember whether it was a
/// string array without failing the whole decode.
private struct LenientStrings: Decodable {
    var values: [String]?

    init(from decoder: any Decoder) throws {
        values = try? decoder.singleValueContainer().decode([String].self)
    }
}

// MARK: - Byte-exact fingerprints of both sides

/// Every decoded value as bytes, in a fixed order; absent and empty are the same.
private typealias Fingerprint = [[UInt8]]

private func b(_ string: String?) -> [UInt8] { Array((string ?? "").utf8) }

private func flag(_ present: Bool) -> [UInt8] { present ? [1] : [0] }

private func fingerprint(_ review: OracleReview) -> Fingerprint? {
    let isV1beta1 = b(review.apiVersion) == Array("authorization.k8s.io/v1beta1".utf8)
    let spec = review.spec
    let active = isV1beta1 ? spec?.group : spec?.groups
    if let active, active.values == nil { return nil }  // the active key holds a wrong type
    var print: Fingerprint = [
        b(review.apiVersion), b(review.kind), b(review.metadata?.name), b(review.metadata?.namespace),
    ]
    let resource = spec?.resourceAttributes
    print.append(flag(resource != nil))
    for field in [
        resource?.namespace, resource?.verb, resource?.group, resource?.version, resource?.resource,
        resource?.subresource, resource?.name,
    ] {
        print.append(b(field))
    }
    for selector in [resource?.fieldSelector, resource?.labelSelector] {
        print.append(flag(selector != nil))
        print.append(b(selector?.rawSelector))
        for requirement in selector?.requirements ?? [] {
            print +=
                [b(requirement.key), b(requirement.operator)] + (requirement.values ?? []).map { b($0) } + [[0xFF]]
        }
        print.append([0xFE])
    }
    print.append(flag(spec?.nonResourceAttributes != nil))
    print += [b(spec?.nonResourceAttributes?.path), b(spec?.nonResourceAttributes?.verb), b(spec?.user)]
    print += (active?.values ?? []).map { b($0) } + [[0xFE]]
    let extra = (spec?.extra ?? [:]).map { (b($0.key), ($0.value ?? []).map { b($0) }) }.sorted {
        $0.0.lexicographicallyPrecedes($1.0)
    }
    for (key, values) in extra { print += [key] + values + [[0xFF]] }
    print += [[0xFE], b(spec?.uid)]
    let status = review.status
    print += [
        flag(status?.allowed ?? false), flag(status?.denied ?? false), b(status?.reason), b(status?.evaluationError),
    ]
    return print
}

private func fingerprint(_ review: SubjectAccessReview) -> Fingerprint {
    var print: Fingerprint = [
        b(review.apiVersion), b(review.kind), b(review.metadata.name), b(review.metadata.namespace),
    ]
    let resource = review.spec.resourceAttributes
    print.append(flag(resource != nil))
    for field in [
        resource?.namespace, resource?.verb, resource?.group, resource?.version, resource?.resource,
        resource?.subresource, resource?.name,
    ] {
        print.append(b(field))
    }
    for selector in [resource?.fieldSelector, resource?.labelSelector] {
        print.append(flag(selector != nil))
        print.append(b(selector?.rawSelector))
        for requirement in selector?.requirements ?? [] {
            print += [b(requirement.key), b(requirement.operator)] + requirement.values.map { b($0) } + [[0xFF]]
        }
        print.append([0xFE])
    }
    let nonResource = review.spec.nonResourceAttributes
    print.append(flag(nonResource != nil))
    print += [b(nonResource?.path), b(nonResource?.verb), b(review.spec.user)]
    print += review.spec.groups.map { b($0) } + [[0xFE]]
    let extra = review.spec.extra.map { (b($0.key), $0.values.map { b($0) }) }.sorted {
        $0.0.lexicographicallyPrecedes($1.0)
    }
    for (key, values) in extra { print += [key] + values + [[0xFF]] }
    print += [[0xFE], b(review.spec.uid)]
    let status = review.status
    print += [flag(status.allowed), flag(status.denied), b(status.reason), b(status.evaluationError)]
    return print
}

// MARK: - Comparison

/// Error classes where Arbiter is deliberately stricter than Foundation: Foundation keeps the
/// first of duplicate keys (Go the last), nests up to 512 levels and has no size limits.
private let deliberatelyStricter: Set<ReviewDecodingError.Code> = [
    .duplicateKey, .nestingTooDeep, .stringTooLong, .bodyTooLarge,
]

/// Whether `error` is a trailing comma (`[1,]`, `{"a":1,}`): RFC 8259 forbids it, Foundation's
/// parser (JSONDecoder and JSONSerialization alike) accepts it, Arbiter rejects it.
private func isTrailingComma(_ error: ReviewDecodingError, in bytes: [UInt8]) -> Bool {
    guard error.code == .unexpectedCharacter, let offset = error.offset, offset < bytes.count,
        bytes[offset] == UInt8(ascii: "]") || bytes[offset] == UInt8(ascii: "}")
    else { return false }
    let before = bytes[..<offset].last { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
    return before == UInt8(ascii: ",")
}

private enum Outcome {
    case agree
    /// We reject malformed JSON inside a value JSONDecoder skipped without reading (it only
    /// looks for the end of unknown values); JSONSerialization, which reads everything, rejects
    /// it too.
    case malformedInSkippedValue
    case deliberatelyStricter
    case disagree(String)
}

private func compare(_ bytes: [UInt8]) -> Outcome {
    let ours: Result<SubjectAccessReview, ReviewDecodingError>
    do throws(ReviewDecodingError) {
        ours = .success(try SubjectAccessReview(json: bytes))
    } catch {
        ours = .failure(error)
    }
    let oracle = (try? JSONDecoder().decode(OracleReview.self, from: Data(bytes))).flatMap(fingerprint)
    switch (ours, oracle) {
    case (.success(let review), .some(let expected)):
        return fingerprint(review) == expected ? .agree : .disagree("values differ")
    case (.failure, nil):
        return .agree
    case (.failure(let error), .some):
        if deliberatelyStricter.contains(error.code) || isTrailingComma(error, in: bytes) {
            return .deliberatelyStricter
        }
        if (try? JSONSerialization.jsonObject(with: Data(bytes))) == nil { return .malformedInSkippedValue }
        return .disagree("we reject (\(error)), Foundation accepts")
    case (.success, nil):
        return .disagree("we accept, Foundation rejects")
    }
}

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
            switch compare(bytes) {
            case .agree: break
            case .deliberatelyStricter, .malformedInSkippedValue: stricter += 1
            case .disagree(let why): Issue.record("\(why): \(describe(bytes))")
            }
        }
        // The generator never writes duplicate keys, deep nesting or huge strings.
        #expect(stricter == 0)
    }

    @Test func mutatedReviewsAreAcceptedAndRejectedLikeFoundation() {
        var generator = ReviewGenerator(seed: 0x0BAD_5EED)
        var counts = (accepted: 0, rejected: 0, stricter: 0, skipped: 0)
        for _ in 0..<5000 {
            let bytes = generator.mutate(Array(generator.review().utf8))
            switch compare(bytes) {
            case .agree:
                if (try? SubjectAccessReview(json: bytes)) != nil { counts.accepted += 1 } else { counts.rejected += 1 }
            case .deliberatelyStricter: counts.stricter += 1
            case .malformedInSkippedValue: counts.skipped += 1
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
            switch compare(body) {
            case .agree, .deliberatelyStricter, .malformedInSkippedValue: break
            case .disagree(let why): Issue.record("\(why): \(describe(body))")
            }
        }
    }
}
