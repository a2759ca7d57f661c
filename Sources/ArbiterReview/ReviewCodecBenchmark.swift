public import ArbiterPolicy

/// Timing loops for the review codec's hot path, for `ArbiterBenchmarks codec`.
///
/// ``run(iterations:input:)`` times two loops on one thread: decode + validate + map to
/// `AccessRequest`, and encode of an allow response for the decoded review. It reports
/// nanoseconds per operation; measure a release build.
public enum ReviewCodecBenchmark {
    /// The 560-byte v1 review of `shared/bench/sar-request.json`, as kube-apiserver sends it.
    public static let sampleRequest: [UInt8] = Array(
        #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","metadata":{"creationTimestamp":null},"spec":{"resourceAttributes":{"namespace":"team-payments","verb":"list","group":"apps","version":"v1","resource":"deployments"},"user":"system:serviceaccount:team-payments:deployer","groups":["system:serviceaccounts","system:serviceaccounts:team-payments","system:authenticated"],"extra":{"authentication.kubernetes.io/credential-id":["JTI=6d0b6a2e-3c1f-4e59-9b1c-2a3e4f5a6b7c"]},"uid":"4f1c2a7e-0b8d-4c3e-9f6a-1d2e3f4a5b6c"},"status":{"allowed":false}}"#
            .utf8
    )

    /// The answer encoded in the encode loop: an RBAC allow with a typical reason.
    public static let sampleResult = AuthorizationResult(
        decision: .allow,
        reason:
            #"RBAC: allowed by RoleBinding "deployers/team-payments" of Role "deployer" to ServiceAccount "deployer/team-payments""#
    )

    /// The outcome of one run.
    public struct Measurement: Sendable {
        public var iterations: Int
        /// Decode + validate + `accessRequest()`, per review.
        public var decodeNanoseconds: Double
        /// `encodeResponse(result:)`, per review.
        public var encodeNanoseconds: Double
        /// A value derived from every result, so the optimiser cannot drop the work.
        public var checksum: Int
    }

    /// Times `iterations` decodes and `iterations` encodes of `input`.
    ///
    /// - Throws: the decoding error if `input` is not a valid SubjectAccessReview.
    public static func run(iterations: Int, input: [UInt8] = sampleRequest) throws(ReviewDecodingError) -> Measurement {
        let iterations = max(iterations, 1)
        let review = try SubjectAccessReview.decode(input)
        let clock = ContinuousClock()
        var checksum = 0

        let decodeStart = clock.now
        checksum &+= try decodeLoop(iterations: iterations, input: input)
        let decodeTime = clock.now - decodeStart

        let encodeStart = clock.now
        checksum &+= encodeLoop(iterations: iterations, review: review)
        let encodeTime = clock.now - encodeStart

        return Measurement(
            iterations: iterations,
            decodeNanoseconds: nanoseconds(decodeTime) / Double(iterations),
            encodeNanoseconds: nanoseconds(encodeTime) / Double(iterations),
            checksum: checksum
        )
    }

    // The two loops are separate functions that are never inlined so that callgrind reports
    // each one's inclusive instruction count (divide by the iterations, warm-up included).

    /// `iterations` decodes + validations + `accessRequest()` of `input`.
    @inline(never)
    static func decodeLoop(iterations: Int, input: [UInt8]) throws(ReviewDecodingError) -> Int {
        var checksum = 0
        for _ in 0..<iterations {
            let decoded = try SubjectAccessReview.decode(input)
            let request = decoded.accessRequest()
            checksum &+= request.groups.count &+ request.user.utf8.count
        }
        return checksum
    }

    /// `iterations` encodes of the sample allow response for `review`.
    @inline(never)
    static func encodeLoop(iterations: Int, review: SubjectAccessReview) -> Int {
        var checksum = 0
        for _ in 0..<iterations {
            checksum &+= review.encodeResponse(result: sampleResult).count
        }
        return checksum
    }

    private static func nanoseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1e9 + Double(attoseconds) / 1e9
    }
}
