@_spi(Statistics) @_spi(Testing) import ArbiterPolicy
import ArbiterReview
import Foundation

/// In-process engine benchmarks on a generated workload directory (`rbacgen.py`):
/// load + compile time and peak memory, decisions per second, per-decision p50/p99.
enum EngineBenchmark {
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    static func maxRSSMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// The workload's reviews, decoded by the real codec (native Swift strings, as in the server).
    ///
    /// With `interned`, equal strings (and equal group lists) share one instance, so the
    /// requests take about 1.7 MB (their inline fields, read in order) instead of 4 MB+ of
    /// separately allocated strings and arrays read in a random order. A server decides the
    /// request it has just decoded into fresh (cached) memory; 4 MB of cold request objects per
    /// pass is a cost of this harness only, and on this machine it evicts the policy's tables
    /// from the last-level cache (docs/engine-notes.md, "The request stream").
    static func loadRequests(_ path: String, interned: Bool = false) -> [AccessRequest] {
        let text = try! String(contentsOfFile: path, encoding: .utf8)
        let requests = text.split(separator: "\n").map { line in
            try! SubjectAccessReview.decode(Array(line.utf8)).accessRequest()
        }
        guard interned else { return requests }
        var strings: [String: String] = [:]
        var lists: [[String]: [String]] = [:]
        func one(_ s: String) -> String {
            if let existing = strings[s] { return existing }
            strings[s] = s
            return s
        }
        func list(_ l: [String]) -> [String] {
            if let existing = lists[l] { return existing }
            let shared = l.map(one)
            lists[l] = shared
            return shared
        }
        return requests.map { request in
            let attributes: AccessRequest.Attributes
            switch request.attributes {
            case .resource(let r):
                attributes = .resource(
                    ResourceAttributes(
                        namespace: one(r.namespace), verb: one(r.verb), group: one(r.group), version: one(r.version),
                        resource: one(r.resource), subresource: one(r.subresource), name: one(r.name)))
            case .nonResource(let n):
                attributes = .nonResource(NonResourceAttributes(path: one(n.path), verb: one(n.verb)))
            }
            return AccessRequest(user: one(request.user), groups: list(request.groups), attributes: attributes)
        }
    }

    static func run(directory: String, seconds: Double) {
        let rssBefore = maxRSSMiB()
        let t0 = now()
        let loaded = PolicySourceReader.load(paths: [directory + "/rbac.yaml"])
        let t1 = now()
        let policy = PolicyCompiler.compile(loaded.set)
        let t2 = now()
        if !loaded.errors.isEmpty { print("errors: \(loaded.errors.prefix(3))") }
        print(String(format: "load %.3f s, compile %.3f s, total %.3f s, peak RSS %.0f MiB (%.0f before)",
                     Double(t1 - t0) / 1e9, Double(t2 - t1) / 1e9, Double(t2 - t0) / 1e9, maxRSSMiB(), rssBefore))
        print("policy: \(policy.summary)")
        let sizes = policy.tableSizes
        let mib = { (bytes: Int) in String(format: "%.1f", Double(bytes) / 1_048_576) }
        print("tables: \(mib(sizes.tables.reduce(0) { $0 + $1.bytes })) MiB in \(mib(sizes.mapped)) MiB of arena ("
            + sizes.tables.prefix(6).map { "\($0.name) \(mib($0.bytes))" }.joined(separator: ", ") + ")")

        let separate = loadRequests(directory + "/requests.jsonl")
        let interned = loadRequests(directory + "/requests.jsonl", interned: true)
        let expected = try! String(contentsOfFile: directory + "/expected.txt", encoding: .utf8).split(separator: "\n")
        var agree = 0
        for (request, want) in zip(separate, expected) where (policy.authorize(request).decision == .allow) == (want == "allow") {
            agree += 1
        }
        print("agreement with expected.txt: \(agree)/\(separate.count)")
        print("host memory, a dependent random load over: \(MemoryProbe.summary)")
        var allowed = 0

        // Throughput: whole passes over the requests.
        func throughput(_ requests: [AccessRequest]) -> (perSecond: Double, nanoseconds: Double, passes: Int) {
            var passes = 0
            let start = now()
            let deadline = start + UInt64(seconds * 1e9)
            requests.withUnsafeBufferPointer { requests in
                while now() < deadline && passes < 100_000 {
                    for i in requests.indices where policy.authorize(requests[i]).decision == .allow { allowed += 1 }
                    passes += 1
                }
            }
            let elapsed = Double(now() - start) / 1e9
            let decisions = Double(passes * requests.count)
            return (decisions / elapsed, elapsed / decisions * 1e9, passes)
        }

        // Latency: each decision timed alone (clock overhead subtracted); five passes.
        var overhead = UInt64.max
        for _ in 0..<1000 { let a = now(); let b = now(); overhead = min(overhead, b - a) }
        func percentiles(_ requests: [AccessRequest]) -> (Double, Double, Double) {
            var samples: [UInt64] = []
            samples.reserveCapacity(requests.count * 5)
            for _ in 0..<5 {
                for i in requests.indices {
                    let a = now()
                    let result = policy.authorize(requests[i])
                    let b = now()
                    if result.decision == .allow { allowed += 1 }
                    samples.append(b - a - min(overhead, b - a))
                }
            }
            samples.sort()
            func pct(_ p: Double) -> Double { Double(samples[Int(Double(samples.count - 1) * p)]) }
            return (pct(0.5), pct(0.9), pct(0.99))
        }

        // Each request decided eight times in a row, the last seven timed together: the policy's
        // lines that request reads are then in cache, so this is the decision's cost without
        // memory latency (the work an index does, whatever the policy's size).
        func cached(_ requests: [AccessRequest]) -> Double {
            var total: UInt64 = 0
            requests.withUnsafeBufferPointer { requests in
                for i in requests.indices {
                    if policy.authorize(requests[i]).decision == .allow { allowed += 1 }
                    let a = now()
                    for _ in 0..<7 where policy.authorize(requests[i]).decision == .allow { allowed += 1 }
                    total += now() - a
                }
            }
            return Double(total) / Double(7 * requests.count)
        }

        // First the requests as a server holds them (see loadRequests), then as 10,000
        // separately allocated objects, which adds the harness's own cache misses.
        let a = throughput(interned)
        print(String(format: "throughput: %.0f decisions/s (%.1f ns/decision, %d passes)", a.perSecond, a.nanoseconds, a.passes))
        let b = throughput(separate)
        print(String(format: "throughput, separately allocated requests: %.0f decisions/s (%.1f ns/decision, %d passes)",
                     b.perSecond, b.nanoseconds, b.passes))
        let c = borrowedThroughput(policy, interned, seconds: seconds)
        print(String(format: "throughput, requests borrowed (not copied) as a server passes them: %.0f decisions/s (%.1f ns/decision, %d passes)",
                     c.perSecond, c.nanoseconds, c.passes))
        print(String(format: "per decision, its lines in cache (decided 8 times in a row, the last 7 timed): %.1f ns", cached(interned)))
        let p = percentiles(interned)
        print(String(format: "per decision: p50 %.0f ns, p90 %.0f ns, p99 %.0f ns (clock overhead %d ns)", p.0, p.1, p.2, overhead))
        let w = warmPercentiles(policy, interned, overhead: overhead)
        print(String(format: "per decision, request just read (as the server decoded it): p50 %.0f ns, p90 %.0f ns, p99 %.0f ns, mean %.0f ns (checksum %d)",
                     w.p50, w.p90, w.p99, w.mean, Int(w.checksum & 0xff)))
        let q = percentiles(separate)
        print(String(format: "per decision, separately allocated requests: p50 %.0f ns, p90 %.0f ns, p99 %.0f ns (%d allows)",
                     q.0, q.1, q.2, allowed))
    }
}

/// A request held by reference, so that the benchmark can pass it to the engine borrowed.
private final class RequestBox {
    let request: AccessRequest
    init(_ request: AccessRequest) { self.request = request }
}

extension EngineBenchmark {
    /// Throughput with each request passed borrowed, as the server passes the request it has
    /// just decoded. `policy.authorize(requests[i])` on an array element copies the request
    /// first (a retain and a release of each of its strings and of its groups array, about 60
    /// ns per decision on small); a `let` of an object, reached without a retain, is passed in
    /// place.
    static func borrowedThroughput(
        _ policy: CompiledPolicy, _ requests: [AccessRequest], seconds: Double
    ) -> (perSecond: Double, nanoseconds: Double, passes: Int) {
        let boxes = requests.map(RequestBox.init)
        let references = boxes.map { Unmanaged.passUnretained($0) }
        var passes = 0
        var allowed = 0
        let start = now()
        let deadline = start + UInt64(seconds * 1e9)
        while now() < deadline && passes < 100_000 {
            for reference in references
            where reference._withUnsafeGuaranteedRef({ policy.authorize($0.request).decision == .allow }) {
                allowed += 1
            }
            passes += 1
        }
        let elapsed = Double(now() - start) / 1e9
        withExtendedLifetime(boxes) {}
        let decisions = Double(passes * requests.count)
        // Decisions are deterministic: every pass allows the same requests.
        precondition(passes == 0 || allowed % passes == 0, "a pass changed its decisions")
        return (decisions / elapsed, elapsed / decisions * 1e9, passes)
    }
}

extension EngineBenchmark {
    /// Each decision timed alone, its request passed borrowed and read just before the clock
    /// starts, as the server decides the request it has just decoded (its bytes in cache, the
    /// policy's lines wherever earlier decisions left them). Five passes; `overhead`, the clock's
    /// own cost, is subtracted. The harness's own misses (a request's strings, which on a large
    /// policy the tables' lines evict between passes) stay out of the figure.
    static func warmPercentiles(
        _ policy: CompiledPolicy, _ requests: [AccessRequest], overhead: UInt64
    ) -> (p50: Double, p90: Double, p99: Double, mean: Double, checksum: UInt64) {
        let boxes = requests.map(RequestBox.init)
        let references = boxes.map { Unmanaged.passUnretained($0) }
        var samples: [UInt64] = []
        samples.reserveCapacity(references.count * 5)
        var checksum: UInt64 = 0
        var allowed = 0
        for _ in 0..<5 {
            for reference in references {
                reference._withUnsafeGuaranteedRef { box in
                    checksum &+= touch(box.request)
                    let a = now()
                    let allows = policy.authorize(box.request).decision == .allow
                    let b = now()
                    if allows { allowed += 1 }
                    samples.append(b - a - min(overhead, b - a))
                }
            }
        }
        withExtendedLifetime(boxes) {}
        samples.sort()
        func pct(_ p: Double) -> Double { Double(samples[Int(Double(samples.count - 1) * p)]) }
        let mean = Double(samples.reduce(0, +)) / Double(samples.count)
        precondition(allowed % 5 == 0, "a pass changed its decisions")
        return (pct(0.5), pct(0.9), pct(0.99), mean, checksum)
    }
}

extension EngineBenchmark {
    /// A fixed amount of work for instruction counting under callgrind: load, then `passes`
    /// passes over the requests. With `warm`, each request is read byte by byte just before its
    /// decision (outside `decide`), as the server has just decoded it.
    static func count(_ spec: WorkloadSpec, passes: Int, warm: Bool = false) {
        let loaded = PolicySourceReader.load(paths: [spec.directory + "/rbac.yaml"])
        let policy = spec.compile(loaded.set)
        let requests = spec.requests()
        var allowed = 0
        var touched: UInt64 = 0
        requests.withUnsafeBufferPointer { requests in
            for _ in 0..<passes {
                for i in requests.indices {
                    if warm { touched &+= touch(requests[i]) }
                    if decide(policy, requests[i]) { allowed += 1 }
                }
            }
        }
        print("decisions: \(passes * requests.count), allowed: \(allowed) (checksum \(touched & 0xff))")
    }

    /// What each level of a decision's cache misses costs: every request is decided right after
    /// its lines up to a level were read, untimed (``CompiledPolicy/readLines(of:throughLevel:)``):
    /// level 0 nothing, 1 the request's own strings, 2 also its attribute lookups, 3 also its
    /// user and group name lookups, 4 also their subject-index slots, 5 also binding entries,
    /// 6 also roles and rules. The levels alternate pass by pass, so the host's noise falls on
    /// all of them.
    static func levels(directory: String, passes: Int) {
        let policy = PolicyCompiler.compile(PolicySourceReader.load(paths: [directory + "/rbac.yaml"]).set)
        let requests = loadRequests(directory + "/requests.jsonl", interned: true)
        var sum: UInt64 = 0
        let names = [
            "nothing", "the request's strings", "also its attribute lookups", "also its name lookups",
            "also the subject-index slots", "also binding entries", "also roles and rules",
        ]
        var totals = [UInt64](repeating: 0, count: names.count)
        for _ in 0..<passes {
            for level in names.indices {
                requests.withUnsafeBufferPointer { requests in
                    for i in requests.indices {
                        sum &+= policy.readLines(of: requests[i], throughLevel: level)
                        let a = now()
                        if policy.authorize(requests[i]).decision == .allow { sum &+= 1 }
                        totals[level] += now() - a
                    }
                }
            }
        }
        let count = Double(passes * requests.count)
        for level in names.indices {
            print(String(format: "read before the decision: %@: %.0f ns per decision (timer included)", names[level], Double(totals[level]) / count))
        }
        print("(checksum \(sum & 0xff))")
    }

    /// A workload directory of `engine-ratio`, `engine-ab` or `engine-count`, optionally with
    /// options after it, each after a colon:
    /// - `plain` or `prefetch`: the subject prefetching forced off or on
    ///   (``CompiledPolicy/prefetchesSubjects``; chosen by table size otherwise), to compare the
    ///   two evaluation paths in one process;
    /// - `first=N`: only the first `N` requests of `requests.jsonl`. The same policy with a
    ///   request stream of fewer distinct requesters: what a decision costs when the lines its
    ///   requesters reach fit in fewer cache levels (`engine-ratio small large:first=1000 large`).
    struct WorkloadSpec {
        /// The directory's last component and the options, as given.
        let name: String
        let directory: String
        let prefetching: Bool?
        let firstRequests: Int?
        /// The spec as given, normalised (`DIR`, `DIR:plain:first=1000`, ...).
        var label: String {
            directory + (prefetching.map { $0 ? ":prefetch" : ":plain" } ?? "") + (firstRequests.map { ":first=\($0)" } ?? "")
        }

        func compile(_ set: PolicySet) -> CompiledPolicy {
            PolicyCompiler.compile(set, prefetchingSubjects: prefetching)
        }

        /// The workload's requests (``EngineBenchmark/loadRequests(_:interned:)``), the first
        /// `firstRequests` of them when that is set.
        func requests(interned: Bool = false) -> [AccessRequest] {
            let all = loadRequests(directory + "/requests.jsonl", interned: interned)
            return firstRequests.map { Array(all.prefix($0)) } ?? all
        }

        /// Exits with a usage message (status 2) on an unknown option or a count below 1.
        init(_ spec: String) {
            var parts = spec.split(separator: ":", omittingEmptySubsequences: false)
            var prefetching: Bool? = nil
            var firstRequests: Int? = nil
            while parts.count > 1, let option = parts.last {
                if option == "plain" || option == "prefetch" {
                    prefetching = option == "prefetch"
                } else if option.hasPrefix("first="), let count = Int(option.dropFirst(6)), count >= 1 {
                    firstRequests = count
                } else {
                    break
                }
                parts.removeLast()
            }
            guard parts.count == 1 else { fail("unknown workload option in \(spec): give DIR[:plain|:prefetch][:first=N]") }
            directory = String(parts[0])
            self.prefetching = prefetching
            self.firstRequests = firstRequests
            name = String(spec.split(separator: "/").last ?? Substring(spec))
        }
    }

    /// Workloads measured side by side (normally small and large), so that the host's state at
    /// any moment (its last-level cache shared with other machines) falls on all of them: each
    /// round runs the borrowed loop and the request-just-read latencies of each in turn, and
    /// prints them with their ratios to the first; the medians over rounds close the report.
    /// A workload may force the subject prefetching off or on (``WorkloadSpec``).
    static func ratio(_ specs: [WorkloadSpec], rounds: Int, seconds: Double) {
        struct Workload {
            let name: String
            let policy: CompiledPolicy
            let requests: [AccessRequest]
        }
        let workloads = specs.map { spec in
            let loaded = PolicySourceReader.load(paths: [spec.directory + "/rbac.yaml"])
            if !loaded.errors.isEmpty { print("errors in \(spec.directory)/rbac.yaml: \(loaded.errors.prefix(3))") }
            return Workload(
                name: spec.name, policy: spec.compile(loaded.set), requests: spec.requests(interned: true))
        }
        var overhead = UInt64.max
        for _ in 0..<1000 { let a = now(); let b = now(); overhead = min(overhead, b - a) }
        var borrowed = [[Double]](repeating: [], count: workloads.count)
        var justRead = [[Double]](repeating: [], count: workloads.count)
        for round in 1...max(rounds, 1) {
            let probe = MemoryProbe.latency(mebibytes: 16, loads: 200_000)
            var line = String(format: "round %d (16 MiB probe %.0f ns):", round, probe)
            for (i, workload) in workloads.enumerated() {
                let b = borrowedThroughput(workload.policy, workload.requests, seconds: seconds)
                let w = warmPercentiles(workload.policy, workload.requests, overhead: overhead)
                borrowed[i].append(b.nanoseconds)
                justRead[i].append(w.mean)
                line += String(format: " %@ borrowed %.0f ns, just read mean %.0f ns;", workload.name, b.nanoseconds, w.mean)
            }
            for i in workloads.indices.dropFirst() {
                line += String(format: " %@/%@ %.2f and %.2f;", workloads[i].name, workloads[0].name,
                               borrowed[i].last! / borrowed[0].last!, justRead[i].last! / justRead[0].last!)
            }
            print(line)
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        var summary = "medians:"
        for (i, workload) in workloads.enumerated() {
            summary += String(format: " %@ borrowed %.0f ns, just read %.0f ns;", workload.name, median(borrowed[i]), median(justRead[i]))
        }
        for i in workloads.indices.dropFirst() {
            summary += String(
                format: " per-round ratio %@/%@: borrowed %.2f, just read %.2f;", workloads[i].name, workloads[0].name,
                median(zip(borrowed[i], borrowed[0]).map(/)), median(zip(justRead[i], justRead[0]).map(/)))
        }
        print(summary)
    }

    /// Reads every byte of a request's strings and its groups array, as decoding it would have
    /// written them: afterwards the request is in cache.
    @inline(never)
    static func touch(_ request: borrowing AccessRequest) -> UInt64 {
        var sum: UInt64 = 0
        func add(_ string: borrowing String) { for byte in string.utf8 { sum &+= UInt64(byte) } }
        add(request.user)
        request.groups.withUnsafeBufferPointer { groups in for i in groups.indices { add(groups[i]) } }
        switch request.attributes {
        case .resource(let r):
            add(r.namespace); add(r.verb); add(r.group); add(r.resource); add(r.subresource); add(r.name)
        case .nonResource(let n):
            add(n.path); add(n.verb)
        }
        return sum
    }

    // `borrowing`, like `authorize`: the request is read in place, as the server passes the one
    // it decoded (no per-call copy of the pre-built request, no retain of its strings).
    @inline(never)
    static func decide(_ policy: CompiledPolicy, _ request: borrowing AccessRequest) -> Bool {
        policy.authorize(request).decision == .allow
    }

    /// Subject-index entries reached per request and how many pass the role filters, on average
    /// and at the maximum, split by the generator's expected answer.
    static func candidates(directory: String) {
        let loaded = PolicySourceReader.load(paths: [directory + "/rbac.yaml"])
        let policy = PolicyCompiler.compile(loaded.set)
        let requests = loadRequests(directory + "/requests.jsonl")
        var entries = 0
        var filtered = 0
        var maxEntries = 0
        var maxFiltered = 0
        var allowedFiltered = 0
        var allowing = 0
        var allowed = 0
        for request in requests {
            let counts = policy.candidateCounts(request)
            entries += counts.entries
            filtered += counts.filtered
            allowing += counts.allowing
            maxEntries = max(maxEntries, counts.entries)
            maxFiltered = max(maxFiltered, counts.filtered)
            if policy.authorize(request).decision == .allow {
                allowed += 1
                allowedFiltered += counts.filtered
            }
        }
        let n = Double(requests.count)
        print(String(format: "candidates per request: %.2f index entries (max %d), %.2f pass the verb and resource filters (max %d; %.2f on allowed, %.2f on the others)",
                     Double(entries) / n, maxEntries, Double(filtered) / n, maxFiltered,
                     Double(allowedFiltered) / Double(max(allowed, 1)), Double(filtered - allowedFiltered) / Double(max(requests.count - allowed, 1))))
        print(String(format: "of those, %.2f per request have a role that allows it, %.2f do not (the filters' false positives)",
                     Double(allowing) / n, Double(filtered - allowing) / n))
    }
}

extension EngineBenchmark {
    /// A whole review in process, as the server does it per request: decode the JSON body
    /// (strictly), evaluate, encode the answer — over the workload's real review mix.
    static func review(directory: String, seconds: Double) {
        let loaded = PolicySourceReader.load(paths: [directory + "/rbac.yaml"])
        let policy = PolicyCompiler.compile(loaded.set)
        let text = try! String(contentsOfFile: directory + "/requests.jsonl", encoding: .utf8)
        let bodies = text.split(separator: "\n").map { Array($0.utf8) }
        var bytes = 0
        var reviews = 0
        let start = now()
        let deadline = start + UInt64(seconds * 1e9)
        while now() < deadline && reviews < 100_000_000 {
            for body in bodies {
                guard let review = try? SubjectAccessReview.decode(body) else { fatalError("bad review") }
                let result = policy.authorize(review.accessRequest())
                bytes &+= review.encodeStatusResponse(result: result).count
            }
            reviews += bodies.count
        }
        let elapsed = Double(now() - start) / 1e9
        print(String(format: "whole review (decode + evaluate + encode the /authorize answer): %.0f reviews/s, %.0f ns/review mean (%d reviews, %d bytes out)",
                     Double(reviews) / elapsed, elapsed / Double(reviews) * 1e9, reviews, bytes))
        var samples: [UInt64] = []
        samples.reserveCapacity(bodies.count * 3)
        for _ in 0..<3 {
            for body in bodies {
                let a = now()
                let review = try! SubjectAccessReview.decode(body)
                let response = review.encodeStatusResponse(result: policy.authorize(review.accessRequest()))
                let b = now()
                bytes &+= response.count
                samples.append(b - a)
            }
        }
        samples.sort()
        print(String(format: "whole review: p50 %d ns, p99 %d ns", samples[samples.count / 2], samples[samples.count * 99 / 100]))
    }
}

extension EngineBenchmark {
    /// Two builds of one workload's policy (``WorkloadSpec``: `DIR:plain` against `DIR`, say)
    /// compared in pairs of short blocks, so that the host's state, which on a shared VM changes
    /// from one second to the next, is the same for both halves of a pair: each pair decides
    /// `block` consecutive requests (from a random start, one for each side) with A and with B, in
    /// alternating order, each decision timed alone with its request just read (as ``warmPercentiles``).
    /// Reports each side's median block mean and the median and quartiles of the paired
    /// difference B − A. Comparing a build with itself shows how wide the null difference is.
    static func ab(_ a: WorkloadSpec, _ b: WorkloadSpec, pairs: Int, block: Int) {
        let loaded = PolicySourceReader.load(paths: [a.directory + "/rbac.yaml"])
        if !loaded.errors.isEmpty { print("errors in \(a.directory)/rbac.yaml: \(loaded.errors.prefix(3))") }
        let policies = [a, b].map { $0.compile(loaded.set) }
        let requests = a.requests(interned: true)
        let boxes = requests.map(RequestBox.init)
        let references = boxes.map { Unmanaged.passUnretained($0) }
        let block = max(1, min(block, references.count))
        var overhead = UInt64.max
        for _ in 0..<1000 { let t0 = now(); let t1 = now(); overhead = min(overhead, t1 - t0) }
        var generator = SystemRandomNumberGenerator()
        var means: [[Double]] = [[], []]
        var checksum: UInt64 = 0
        func run(_ side: Int, from start: Int) -> Double {
            var total: UInt64 = 0
            for i in 0..<block {
                references[(start + i) % references.count]._withUnsafeGuaranteedRef { box in
                    checksum &+= touch(box.request)
                    let t0 = now()
                    let allows = policies[side].authorize(box.request).decision == .allow
                    let t1 = now()
                    if allows { checksum &+= 1 }
                    total += t1 - t0 - min(overhead, t1 - t0)
                }
            }
            return Double(total) / Double(block)
        }
        let deadline = now() + 120_000_000_000
        for pair in 0..<max(pairs, 1) where now() < deadline {
            let order = pair % 2 == 0 ? [0, 1] : [1, 0]
            var result = [0.0, 0.0]
            // Each side its own requests: deciding the same ones twice in a row would let the
            // second side find them in the branch predictors.
            for side in order { result[side] = run(side, from: Int.random(in: 0..<references.count, using: &generator)) }
            means[0].append(result[0])
            means[1].append(result[1])
        }
        withExtendedLifetime(boxes) {}
        func quantile(_ values: [Double], _ q: Double) -> Double {
            let sorted = values.sorted()
            return sorted[Int(Double(sorted.count - 1) * q)]
        }
        let differences = zip(means[1], means[0]).map { $0 - $1 }
        let lower = differences.filter { $0 < 0 }.count
        print(String(
            format: "%@ against %@: %d pairs of %d requests; block means: A %.1f ns, B %.1f ns (medians); B − A: median %+.1f ns, quartiles %+.1f / %+.1f ns; B lower in %d of %d pairs (checksum %llu)",
            b.label, a.label, means[0].count, block, quantile(means[0], 0.5), quantile(means[1], 0.5),
            quantile(differences, 0.5), quantile(differences, 0.25), quantile(differences, 0.75), lower, differences.count, checksum))
    }
}
