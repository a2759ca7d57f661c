extension SubjectAccessReview {
    /// The media type of Kubernetes' protobuf encoding.
    public static let protobufMediaType = "application/vnd.kubernetes.protobuf"

    /// Decodes a review sent as `application/vnd.kubernetes.protobuf` (what kubectl uses for
    /// `auth can-i`, and the kubelet's default): the `k8s\0` envelope (`runtime.Unknown` with
    /// apiVersion, kind and the raw message) around a SubjectAccessReview,
    /// LocalSubjectAccessReview or SelfSubjectAccessReview of authorization.k8s.io. The result is
    /// the same value the JSON decoder produces; validate it as usual.
    ///
    /// Field selectors, label selectors and extra are skipped (they do not influence decisions; a
    /// REST answer's echo of a protobuf review leaves them out). A message field sent twice is
    /// merged, as Go's generated decoder merges it.
    public init(protobuf bytes: [UInt8], limits: ReviewDecodingLimits = .default) throws(ReviewDecodingError) {
        let object = try Self.decodeEnvelopedObject(bytes, limits: limits)
        self.init(apiVersion: object.apiVersion, kind: object.kind, metadata: object.metadata)
        var decoded = Spec()
        for (offset, count) in object.specs {
            try withProtobufBytes(object.raw) { (buffer) throws(ReviewDecodingError) in
                try Self.decodeSpec(UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + count)]), into: &decoded, limits: limits)
            }
        }
        spec = decoded
    }

    /// The parts every review object shares: the envelope's apiVersion and kind, `metadata`
    /// (field 1) and where each occurrence of `spec` (field 2) is in `raw`; `status` (3) and
    /// anything newer are skipped.
    ///
    /// A message field sent more than once is merged, as Go's generated decoder merges it: each
    /// occurrence is decoded on its own (a field cut short at an occurrence's end is an error)
    /// into the one value, the last scalar winning and repeated fields appended.
    static func decodeEnvelopedObject(
        _ bytes: [UInt8], limits: ReviewDecodingLimits
    ) throws(ReviewDecodingError) -> (
        apiVersion: String, kind: String, metadata: ReviewMetadata, raw: [UInt8], specs: [(offset: Int, count: Int)]
    ) {
        let (apiVersion, kind, raw) = try unwrapEnvelope(bytes, limits: limits)
        var metadata = ReviewMetadata()
        var specs: [(offset: Int, count: Int)] = []
        try withProtobufBytes(raw) { (buffer) throws(ReviewDecodingError) in
            var reader = ProtobufReader(buffer)
            while !reader.isAtEnd {
                let (field, wireType) = try reader.tag()
                switch field {
                case 1:
                    try reader.expectLengthDelimited(wireType, "metadata")
                    try decodeMetadata(reader.lengthDelimited(), into: &metadata)
                case 2:
                    try reader.expectLengthDelimited(wireType, "spec")
                    let occurrence = try reader.lengthDelimited()
                    let offset = occurrence.baseAddress.map { $0 - buffer.baseAddress! } ?? 0
                    specs.append((offset, occurrence.count))
                default:
                    try reader.skip(wireType)
                }
            }
        }
        return (apiVersion, kind, metadata, raw, specs)
    }

    /// Splits the `k8s\0` + `runtime.Unknown` envelope.
    static func unwrapEnvelope(_ bytes: [UInt8], limits: ReviewDecodingLimits) throws(ReviewDecodingError) -> (String, String, [UInt8]) {
        guard bytes.count <= limits.maxBodyBytes else {
            throw .bodyTooLarge(bytes.count, limit: limits.maxBodyBytes)
        }
        guard bytes.count >= 4, bytes[0] == 0x6b, bytes[1] == 0x38, bytes[2] == 0x73, bytes[3] == 0 else {
            throw ReviewDecodingError(.unexpectedCharacter, offset: 0, message: "protobuf body does not start with the Kubernetes `k8s\\0` magic")
        }
        var apiVersion = ""
        var kind = ""
        var raw: [UInt8] = []
        try withProtobufBytes(bytes) { (buffer) throws(ReviewDecodingError) in
            var reader = ProtobufReader(UnsafeRawBufferPointer(rebasing: buffer[4...]))
            while !reader.isAtEnd {
                let (field, wireType) = try reader.tag()
                switch field {
                case 1:
                    try reader.expectLengthDelimited(wireType, "typeMeta")
                    var typeMeta = ProtobufReader(try reader.lengthDelimited())
                    while !typeMeta.isAtEnd {
                        let (inner, innerType) = try typeMeta.tag()
                        switch inner {
                        case 1: try typeMeta.expectLengthDelimited(innerType, "apiVersion"); apiVersion = try typeMeta.string()
                        case 2: try typeMeta.expectLengthDelimited(innerType, "kind"); kind = try typeMeta.string()
                        default: try typeMeta.skip(innerType)
                        }
                    }
                case 2:
                    try reader.expectLengthDelimited(wireType, "raw")
                    raw = Array(try reader.lengthDelimited())
                case 3:
                    try reader.expectLengthDelimited(wireType, "contentEncoding")
                    let encoding = try reader.string()
                    guard encoding.isEmpty else {
                        throw ReviewDecodingError(.unexpectedCharacter, offset: 0, message: "unsupported protobuf content encoding `\(encoding)`")
                    }
                default:
                    try reader.skip(wireType)
                }
            }
        }
        return (apiVersion, kind, raw)
    }

    static func decodeMetadata(_ bytes: UnsafeRawBufferPointer, into metadata: inout ReviewMetadata) throws(ReviewDecodingError) {
        var reader = ProtobufReader(bytes)
        while !reader.isAtEnd {
            let (field, wireType) = try reader.tag()
            switch field {
            case 1: try reader.expectLengthDelimited(wireType, "metadata.name"); metadata.name = try reader.string()
            case 3: try reader.expectLengthDelimited(wireType, "metadata.namespace"); metadata.namespace = try reader.string()
            default:
                guard let index = ReviewMetadata.otherFields.firstIndex(where: { $0.number == field }) else {
                    try reader.skip(wireType)
                    continue
                }
                let (isZero, isValid) = try readMetadataValue(&reader, wireType, shape: ReviewMetadata.otherFields[index].shape)
                metadata.record(index, isZero: isZero, isValid: isValid)
            }
        }
    }

    /// Reads one `ObjectMeta` field other than name and namespace: whether it is Go's zero
    /// value (an empty string, a zero integer, a zero `creationTimestamp`), and whether its wire
    /// type is the field's (Go's generated decoder refuses another). A map entry (labels,
    /// annotations) or a list element (owner references, finalizers) present is never zero.
    private static func readMetadataValue(
        _ reader: inout ProtobufReader, _ wireType: UInt64, shape: ReviewMetadata.Shape
    ) throws(ReviewDecodingError) -> (isZero: Bool, isValid: Bool) {
        if shape == .integer {
            guard wireType == 0 else {
                try reader.skip(wireType)
                return (false, false)
            }
            return (try reader.varint() == 0, true)
        }
        guard wireType == 2 else {
            try reader.skip(wireType)
            return (false, false)
        }
        let bytes = try reader.lengthDelimited()
        switch shape {
        case .string: return (bytes.isEmpty, true)
        case .timestamp:
            // metav1.Time as protobuf: seconds (1) and nanos (2), both varints.
            var time = ProtobufReader(bytes)
            var isZero = true
            while !time.isAtEnd {
                let (_, innerType) = try time.tag()
                guard innerType == 0 else { return (false, false) }
                if try time.varint() != 0 { isZero = false }
            }
            return (isZero, true)
        default: return (false, true)
        }
    }

    /// Decodes one occurrence of `spec` into `spec` (merging, see ``decodeEnvelopedObject(_:limits:)``).
    static func decodeSpec(_ bytes: UnsafeRawBufferPointer, into spec: inout Spec, limits: ReviewDecodingLimits) throws(ReviewDecodingError) {
        var reader = ProtobufReader(bytes)
        while !reader.isAtEnd {
            let (field, wireType) = try reader.tag()
            switch field {
            case 1:
                try reader.expectLengthDelimited(wireType, "resourceAttributes")
                // A message field sent twice is merged into the first, as Go's generated
                // decoder does (fields of the second win).
                var attributes = spec.resourceAttributes ?? ResourceAttributes()
                var inner = ProtobufReader(try reader.lengthDelimited())
                while !inner.isAtEnd {
                    let (number, innerType) = try inner.tag()
                    guard (1...7).contains(number) else {
                        try inner.skip(innerType)  // selectors (8, 9) narrow only; not used by RBAC
                        continue
                    }
                    try inner.expectLengthDelimited(innerType, "resourceAttributes")
                    let value = try inner.string()
                    switch number {
                    case 1: attributes.namespace = value
                    case 2: attributes.verb = value
                    case 3: attributes.group = value
                    case 4: attributes.version = value
                    case 5: attributes.resource = value
                    case 6: attributes.subresource = value
                    default: attributes.name = value
                    }
                }
                spec.resourceAttributes = attributes
            case 2:
                try reader.expectLengthDelimited(wireType, "nonResourceAttributes")
                var attributes = spec.nonResourceAttributes ?? NonResourceAttributes()
                var inner = ProtobufReader(try reader.lengthDelimited())
                while !inner.isAtEnd {
                    let (number, innerType) = try inner.tag()
                    switch number {
                    case 1: try inner.expectLengthDelimited(innerType, "path"); attributes.path = try inner.string()
                    case 2: try inner.expectLengthDelimited(innerType, "verb"); attributes.verb = try inner.string()
                    default: try inner.skip(innerType)
                    }
                }
                spec.nonResourceAttributes = attributes
            case 3:
                try reader.expectLengthDelimited(wireType, "user")
                spec.user = try reader.string()
            case 4:
                try reader.expectLengthDelimited(wireType, "groups")
                // Bounded by the body's size, as in JSON.
                spec.groups.append(try reader.string())
            case 6:
                try reader.expectLengthDelimited(wireType, "uid")
                spec.uid = try reader.string()
            default:
                try reader.skip(wireType)  // extra (5) does not influence decisions
            }
        }
    }
}

extension SelfSubjectRulesReview {
    /// Decodes a SelfSubjectRulesReview sent as `application/vnd.kubernetes.protobuf`
    /// (`kubectl auth can-i --list`): `spec.namespace` is field 1 of the spec.
    public init(protobuf bytes: [UInt8], limits: ReviewDecodingLimits = .default) throws(ReviewDecodingError) {
        let object = try SubjectAccessReview.decodeEnvelopedObject(bytes, limits: limits)
        self.init(apiVersion: object.apiVersion, kind: object.kind, metadata: object.metadata)
        // Each occurrence of `spec` decoded on its own, the last `namespace` winning (Go's merge).
        var namespace = ""
        for (offset, count) in object.specs {
            try withProtobufBytes(object.raw) { (buffer) throws(ReviewDecodingError) in
                var reader = ProtobufReader(UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + count)]))
                while !reader.isAtEnd {
                    let (number, wireType) = try reader.tag()
                    if number == 1 {
                        try reader.expectLengthDelimited(wireType, "spec.namespace")
                        namespace = try reader.string()
                    } else {
                        try reader.skip(wireType)
                    }
                }
            }
        }
        spec.namespace = namespace
    }
}

/// `withUnsafeBytes` that keeps the typed error (the standard one rethrows `any Error`).
func withProtobufBytes<T>(
    _ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(ReviewDecodingError) -> T
) throws(ReviewDecodingError) -> T {
    let result: Result<T, ReviewDecodingError> = array.withUnsafeBytes { buffer in
        do throws(ReviewDecodingError) {
            return .success(try body(buffer))
        } catch {
            return .failure(error)
        }
    }
    return try result.get()
}
