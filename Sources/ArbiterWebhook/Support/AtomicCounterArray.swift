import Synchronization

/// A fixed-size array of relaxed atomic counters, the storage behind ``WebhookMetrics``.
///
/// Swift arrays cannot hold `Atomic` (it is non-copyable), so the counters live in one
/// heap allocation owned by this object.
final class AtomicCounterArray: @unchecked Sendable {
    // INVARIANT (atomic-only): `storage` is allocated and initialized once in `init`, freed in
    // `deinit`, and every element is only ever touched through `Atomic` operations. That is why
    // sharing this object between threads is safe (the fourth Sendable boundary of style.md:
    // metric counters as `Atomic<Int>`).
    private let storage: UnsafeMutablePointer<Atomic<Int>>

    /// The number of counters.
    let count: Int

    /// Creates `count` counters, all zero.
    init(count: Int) {
        precondition(count > 0)
        self.count = count
        self.storage = .allocate(capacity: count)
        for index in 0..<count {
            (self.storage + index).initialize(to: Atomic(0))
        }
    }

    deinit {
        self.storage.deinitialize(count: self.count)
        self.storage.deallocate()
    }

    /// Adds `delta` to counter `index` (relaxed; wraps instead of trapping).
    @inline(__always)
    func add(_ delta: Int, at index: Int) {
        precondition(index >= 0 && index < self.count)
        self.storage[index].wrappingAdd(delta, ordering: .relaxed)
    }

    /// Reads counter `index` (relaxed).
    @inline(__always)
    func load(_ index: Int) -> Int {
        precondition(index >= 0 && index < self.count)
        return self.storage[index].load(ordering: .relaxed)
    }

    /// Stores `value` into counter `index` (relaxed); for gauges.
    func store(_ value: Int, at index: Int) {
        precondition(index >= 0 && index < self.count)
        self.storage[index].store(value, ordering: .relaxed)
    }
}
