public import ArbiterReview
import Foundation

// The SubjectAccessReview parser's oracle: Foundation's JSONDecoder on mirror types, compared value
// by value with Arbiter's pull parser. One copy, used by the `sar` fuzz target (arbitrary bytes)
// and by ArbiterReviewTests/DifferentialTests (generated and mutated reviews).

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

/// The group key of the other API version is an unknown field (any type): remember whether it
/// was a string array without failing the whole decode.
private struct LenientStrings: Decodable {
    var values: [String]?

    init(from decoder: any Decoder) throws {
        values = try? decoder.singleValueContainer().decode([String].self)
    }
}

/// Every decoded value as bytes, in a fixed order; absent and empty are the same.
public typealias SARFingerprint = [[UInt8]]

private func b(_ string: String?) -> [UInt8] { Array((string ?? "").utf8) }

private func flag(_ present: Bool) -> [UInt8] { present ? [1] : [0] }

private func fingerprint(_ review: OracleReview) -> SARFingerprint? {
    let isV1beta1 = b(review.apiVersion) == Array("authorization.k8s.io/v1beta1".utf8)
    let spec = review.spec
    let active = isV1beta1 ? spec?.group : spec?.groups
    if let active, active.values == nil { return nil }  // the active key holds a wrong type
    var print: SARFingerprint = [
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

public func fingerprint(_ review: SubjectAccessReview) -> SARFingerprint {
    var print: SARFingerprint = [
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

public enum SARDifferential {
    public enum Outcome: Equatable, Sendable {
        case bothAccept
        case bothReject
        /// Arbiter rejects on purpose what Foundation accepts (see `deliberatelyStricter`), or
        /// malformed JSON inside a value JSONDecoder skipped without reading (JSONSerialization,
        /// which reads everything, rejects it too).
        case stricter
        case disagree(String)
    }

    public static func compare(_ bytes: [UInt8]) -> Outcome {
        let outcome = compareOnce(bytes)
        // Foundation also reads UTF-16 and UTF-32 (a BOM, or NUL bytes as in `{\0}\0`); Arbiter
        // reads UTF-8 only, like Go and RFC 8259 §8.1. NUL is never valid UTF-8 JSON outside a
        // string, so Foundation accepting a NUL means it transcoded. Found by fuzzing.
        if case .disagree = outcome, bytes.contains(0) || bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) {
            return .stricter
        }
        // A UTF-8 byte order mark: Foundation skips it; Arbiter rejects it, as Go's encoding/json
        // does (RFC 8259 §8.1: a parser MAY ignore it). Found by fuzzing. The rest must still agree.
        if case .disagree = outcome, bytes.starts(with: utf8BOM) {
            let rest = compareOnce(Array(bytes.dropFirst(utf8BOM.count)))
            return rest == .bothAccept || rest == .stricter ? .stricter : rest
        }
        return outcome
    }

    private static let utf8BOM: [UInt8] = [0xEF, 0xBB, 0xBF]

    private static func compareOnce(_ bytes: [UInt8]) -> Outcome {
        let ours: Result<SubjectAccessReview, ReviewDecodingError>
        do throws(ReviewDecodingError) {
            ours = .success(try SubjectAccessReview(json: bytes))
        } catch {
            ours = .failure(error)
        }
        let oracle = (try? JSONDecoder().decode(OracleReview.self, from: Data(bytes))).flatMap(fingerprint)
        switch (ours, oracle) {
        case (.success(let review), .some(let expected)):
            return fingerprint(review) == expected ? .bothAccept : .disagree("the values differ from Foundation's")
        case (.failure, nil):
            return .bothReject
        case (.failure(let error), .some):
            if deliberatelyStricter.contains(error.code) || isTrailingComma(error, in: bytes) { return .stricter }
            if (try? JSONSerialization.jsonObject(with: Data(bytes), options: [])) == nil {
                return .stricter
            }
            return .disagree("Arbiter rejects (\(error)), Foundation accepts")
        case (.success, nil):
            return .disagree("Arbiter accepts, Foundation rejects")
        }
    }
}
