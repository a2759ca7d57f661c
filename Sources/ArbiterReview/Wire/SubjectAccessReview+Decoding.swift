// MARK: - Decoding from JSON bytes

extension SubjectAccessReview {
    /// Parses and validates a review body: the webhook's entry point.
    ///
    /// - Parameters:
    ///   - bytes: the request body.
    ///   - kind: the kind this endpoint serves; anything else is rejected.
    ///   - limits: size and depth limits; see ``ReviewDecodingLimits``.
    /// - Throws: ``ReviewDecodingError`` for malformed JSON, a broken limit, a wrong JSON type for
    ///   a known field, or a review that fails ``validate(expecting:)``.
    public static func decode(
        _ bytes: UnsafeRawBufferPointer,
        expecting kind: ReviewKind = .subjectAccessReview,
        limits: ReviewDecodingLimits = .default
    ) throws(ReviewDecodingError) -> SubjectAccessReview {
        let review = try SubjectAccessReview(json: bytes, limits: limits)
        try review.validate(expecting: kind)
        return review
    }

    /// Parses and validates a review body held in an array; see
    /// ``decode(_:expecting:limits:)-(UnsafeRawBufferPointer,_,_)``.
    public static func decode(
        _ bytes: [UInt8],
        expecting kind: ReviewKind = .subjectAccessReview,
        limits: ReviewDecodingLimits = .default
    ) throws(ReviewDecodingError) -> SubjectAccessReview {
        let review = try SubjectAccessReview(json: bytes, limits: limits)
        try review.validate(expecting: kind)
        return review
    }

    /// Parses a review body without validating it (any `apiVersion`, `kind`, attributes).
    ///
    /// The JSON must be a strict RFC 8259 object (see ``ReviewDecodingError/Code``); unknown
    /// fields are validated and skipped; `null` for a known field reads as absent. The group list
    /// is read from `spec.group` when `apiVersion` is `authorization.k8s.io/v1beta1` and from
    /// `spec.groups` otherwise; the other key is an unknown field, as in Go.
    ///
    /// - Parameter defaultVersion: the version of a body whose `apiVersion` is absent or empty,
    ///   as kube-apiserver's REST endpoints take it from the URL (`nil`: none, as the webhook
    ///   endpoint, where kube-apiserver always sends it). It also decides which key holds the
    ///   groups.
    public init(
        json bytes: UnsafeRawBufferPointer, limits: ReviewDecodingLimits = .default, defaultVersion: ReviewAPIVersion? = nil
    ) throws(ReviewDecodingError) {
        self.init(empty: ())
        try read(bytes, limits: limits, defaultVersion: defaultVersion)
    }

    /// Checks the body-level limits, then reads the body into `self` (which starts empty).
    private mutating func read(
        _ bytes: UnsafeRawBufferPointer,
        limits: ReviewDecodingLimits,
        defaultVersion: ReviewAPIVersion?
    ) throws(ReviewDecodingError) {
        var reader = try JSONReader(body: bytes, limits: limits)
        defer { reader.releaseScratch() }
        try read(from: &reader, defaultVersion: defaultVersion)
    }

    /// Parses a review body held in an array; see ``init(json:limits:defaultVersion:)-(UnsafeRawBufferPointer,_,_)``.
    public init(
        json bytes: [UInt8], limits: ReviewDecodingLimits = .default, defaultVersion: ReviewAPIVersion? = nil
    ) throws(ReviewDecodingError) {
        // `withUnsafeBytes` rethrows untyped errors: carry the typed one out by hand. The review is
        // the closure's result, so it is built in place rather than copied out of a capture.
        var failure: ReviewDecodingError? = nil
        self = bytes.withUnsafeBytes { buffer in
            var review = SubjectAccessReview(empty: ())
            do throws(ReviewDecodingError) {
                try review.read(buffer, limits: limits, defaultVersion: defaultVersion)
            } catch {
                failure = error
            }
            return review
        }
        if let failure { throw failure }
    }

    /// Reads the top-level object and checks that nothing follows it.
    mutating func read(from reader: inout JSONReader, defaultVersion: ReviewAPIVersion? = nil) throws(ReviewDecodingError) {
        let context = JSONContext.root
        guard try reader.peekByte(context) == UInt8(ascii: "{") else {
            throw reader.typeMismatch(expected: "an object", context)
        }
        _ = try reader.beginObject(context)
        var state = JSONObjectState()
        var deferredGroups = DeferredGroups()
        while let key = try reader.nextKey(&state, context) {
            if key.matches("apiVersion") {
                try reader.markKnown(0, key, &state, context)
                let (apiVersion, version) = try reader.readAPIVersion(JSONContext("apiVersion"))
                self.apiVersionStorage = apiVersion
                self.version = version
            } else if key.matches("kind") {
                try reader.markKnown(1, key, &state, context)
                self.kind = try reader.readString(JSONContext("kind")) ?? ""
            } else if key.matches("metadata") {
                try reader.markKnown(2, key, &state, context)
                try metadata.read(from: &reader)
            } else if key.matches("spec") {
                try reader.markKnown(3, key, &state, context)
                // kube-apiserver writes apiVersion first, so the groups key is known by now;
                // otherwise both candidates are validated now and the right one read at the end.
                // An empty apiVersion is the default version's.
                let groupsKey: GroupsKey =
                    state.knownFields & 1 == 0
                    ? .undecided : (apiVersionStorage.isEmpty ? defaultVersion : self.version) == .v1beta1 ? .group : .groups
                try spec.read(from: &reader, groupsKey: groupsKey, deferred: &deferredGroups)
            } else if key.matches("status") {
                try reader.markKnown(4, key, &state, context)
                try status.read(from: &reader)
            } else {
                try reader.skipMember(key, &state, context)
            }
        }
        try reader.finish()
        if apiVersionStorage.isEmpty, let defaultVersion {
            apiVersionStorage = defaultVersion.rawValue
            version = defaultVersion
        }
        guard deferredGroups.groups != nil || deferredGroups.group != nil else { return }
        let isV1beta1 = version == .v1beta1
        if let deferred = isV1beta1 ? deferredGroups.group : deferredGroups.groups {
            reader.index = deferred.offset
            reader.depth = deferred.depth
            let context = isV1beta1 ? JSONContext("spec.group") : JSONContext("spec.groups")
            self.spec.groups = try reader.readStringArray(context) ?? []
        }
    }
}

/// Which `spec` key holds the group list, as far as the reader knows when it reaches `spec`.
enum GroupsKey {
    /// `groups` (v1, and any unsupported version).
    case groups
    /// `group` (v1beta1).
    case group
    /// `apiVersion` comes after `spec`: remember both and decide at the end.
    case undecided
}

/// Where the group-list candidates were when `apiVersion` was not yet known.
struct DeferredGroups {
    var groups: (offset: Int, depth: Int)?
    var group: (offset: Int, depth: Int)?
}
