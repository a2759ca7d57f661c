/// A lock-free latency histogram per ``WebhookEndpoint`` with fixed buckets from 10 µs to 1 s.
///
/// Recording costs a short scan of 16 bounds and two relaxed atomic adds (one bucket, the sum in
/// nanoseconds). Buckets are stored non-cumulatively and summed when rendered; the `_count` is the
/// sum of all buckets, so `_count` always equals the `+Inf` bucket even while recording races a
/// scrape.
struct RequestDurationHistogram: Sendable {
    /// Upper bounds in nanoseconds (the `+Inf` bucket is implicit, at index `bounds.count`).
    static let boundsNanoseconds: [Int] = [
        10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
        1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000,
        100_000_000, 250_000_000, 500_000_000, 1_000_000_000,
    ]
    /// The `le` label of each bound, in seconds, then `+Inf`.
    static let boundLabels: [String] = [
        "1e-05", "2.5e-05", "5e-05", "0.0001", "0.00025", "0.0005",
        "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
        "0.1", "0.25", "0.5", "1", "+Inf",
    ]
    static var bucketCount: Int { boundsNanoseconds.count + 1 }

    private let buckets = AtomicCounterArray(count: WebhookEndpoint.allCases.count * Self.bucketCount)
    private let sums = AtomicCounterArray(count: WebhookEndpoint.allCases.count)

    /// Records one request of `nanoseconds` (negative values count as zero).
    func record(_ endpoint: WebhookEndpoint, nanoseconds: Int) {
        let value = max(nanoseconds, 0)
        var bucket = Self.boundsNanoseconds.count
        for (index, bound) in Self.boundsNanoseconds.enumerated() where value <= bound {
            bucket = index
            break
        }
        self.buckets.add(1, at: endpoint.rawValue * Self.bucketCount + bucket)
        self.sums.add(value, at: endpoint.rawValue)
    }

    /// The family `arbiter_request_duration_seconds`, with samples only for endpoints that saw requests.
    func family() -> MetricFamily {
        var samples: [MetricFamily.Sample] = []
        for endpoint in WebhookEndpoint.allCases {
            var counts: [Int] = []
            counts.reserveCapacity(Self.bucketCount)
            for bucket in 0..<Self.bucketCount {
                counts.append(self.buckets.load(endpoint.rawValue * Self.bucketCount + bucket))
            }
            let total = counts.reduce(0, &+)
            guard total > 0 else { continue }
            var cumulative = 0
            for bucket in 0..<Self.bucketCount {
                cumulative &+= counts[bucket]
                samples.append(
                    .init(
                        nameSuffix: "_bucket",
                        labels: ["endpoint": endpoint.label, "le": Self.boundLabels[bucket]],
                        value: Double(cumulative)))
            }
            let sumSeconds = Double(self.sums.load(endpoint.rawValue)) / 1_000_000_000
            samples.append(.init(nameSuffix: "_sum", labels: ["endpoint": endpoint.label], value: sumSeconds))
            samples.append(.init(nameSuffix: "_count", labels: ["endpoint": endpoint.label], value: Double(total)))
        }
        return MetricFamily(
            name: "arbiter_request_duration_seconds",
            help: "Time from a complete request to its response being queued, by endpoint.",
            type: .histogram, samples: samples)
    }
}
