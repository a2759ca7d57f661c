/// A min-heap of timer deadlines with lazy cancellation, owned by one ``EventLoop``.
///
/// Cancelling removes the callback only; the heap entry is dropped when it reaches the top. That keeps
/// both operations O(log n) without an index, at the cost of stale entries until their deadline.
struct TimerHeap {
    private var heap: [(deadline: ContinuousClock.Instant, id: UInt64)] = []
    private var callbacks: [UInt64: () -> Void] = [:]
    private var nextID: UInt64 = 1

    /// The number of live (not cancelled, not fired) timers.
    var count: Int { self.callbacks.count }

    /// Adds a timer and returns its id.
    mutating func schedule(at deadline: ContinuousClock.Instant, _ callback: @escaping () -> Void) -> UInt64 {
        let id = self.nextID
        self.nextID &+= 1
        self.callbacks[id] = callback
        self.heap.append((deadline, id))
        self.siftUp(self.heap.count - 1)
        return id
    }

    /// Cancels a timer; unknown or already fired ids are ignored.
    mutating func cancel(_ id: UInt64) {
        self.callbacks[id] = nil
    }

    /// The earliest live deadline, dropping cancelled entries on the way.
    mutating func nextDeadline() -> ContinuousClock.Instant? {
        while let top = self.heap.first {
            if self.callbacks[top.id] != nil { return top.deadline }
            self.popTop()
        }
        return nil
    }

    /// Removes and returns the callbacks of every timer due at `now`, earliest first.
    mutating func popDue(now: ContinuousClock.Instant) -> [() -> Void] {
        var due: [() -> Void] = []
        while let top = self.heap.first, top.deadline <= now {
            self.popTop()
            if let callback = self.callbacks.removeValue(forKey: top.id) {
                due.append(callback)
            }
        }
        return due
    }

    /// Drops every timer.
    mutating func removeAll() {
        self.heap.removeAll()
        self.callbacks.removeAll()
    }

    // MARK: - Heap

    private mutating func popTop() {
        let last = self.heap.removeLast()
        if !self.heap.isEmpty {
            self.heap[0] = last
            self.siftDown(0)
        }
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard self.heap[child].deadline < self.heap[parent].deadline else { return }
            self.heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < self.heap.count && self.heap[left].deadline < self.heap[smallest].deadline { smallest = left }
            if right < self.heap.count && self.heap[right].deadline < self.heap[smallest].deadline { smallest = right }
            if smallest == parent { return }
            self.heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
