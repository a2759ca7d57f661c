/// The open addressing ``KeyedLists`` and ``SubjectIndex`` share: a power-of-two slot count at
/// least twice the keys, linear probing, and Fibonacci hashing of where a probe starts.
enum FibonacciSlots {
    /// The slot count for `keys` keys, its mask, and the shift that takes a slot's bits from
    /// the top of a product.
    static func shape(keys: Int) -> (capacity: Int, mask: Int, shift: UInt64) {
        var capacity = 8
        while capacity < keys * 2 { capacity *= 2 }
        return (capacity, capacity - 1, UInt64(64 - capacity.trailingZeroBitCount))
    }

    /// The top bits of `locator` times 2^64/φ.
    @inline(__always)
    static func slot(_ locator: UInt64, shift: UInt64) -> Int {
        Int(truncatingIfNeeded: (locator &* 0x9e37_79b9_7f4a_7c15) &>> shift)
    }

    /// The slot a probe reads after slot `i`. Building and lookups both step with it, so a
    /// lookup always passes the slot where its key was placed.
    @inline(__always)
    static func next(_ i: Int, mask: Int) -> Int { (i &+ 1) & mask }

    /// Building: the first slot, along the probe of `locator`, that `isTaken` reports free.
    static func firstFree(_ locator: UInt64, shift: UInt64, mask: Int, isTaken: (Int) -> Bool) -> Int {
        var i = slot(locator, shift: shift)
        while isTaken(i) { i = next(i, mask: mask) }
        return i
    }
}

/// An immutable multimap from `UInt64` keys to lists of values, stored flat.
///
/// Built once by the compiler (each list in ascending order), then read with one probe of an
/// open-addressing table: the roles' resource index and the AccessPolicy subject indexes of a
/// compiled policy. (The binding subject indexes, read on every request of a large policy, are
/// ``SubjectIndex``: it keeps a list's only entry in the slot.)
struct KeyedLists<Value: BitwiseCopyable>: Sendable {
    /// One probe reads one slot: key, where its list starts in `values` and how long it is
    /// (`count == 0` is an empty slot) share a cache line.
    struct Slot: BitwiseCopyable {
        var key: UInt64
        var start: Int32
        var count: Int32
    }

    private let slots: FrozenArray<Slot>
    let values: FrozenArray<Value>
    private let mask: Int
    /// 64 minus the base-2 logarithm of the slot count.
    private let shift: UInt64

    var isEmpty: Bool { values.count == 0 }

    /// The bytes of the slot table.
    var slotBytes: Int { slots.count * MemoryLayout<Slot>.stride }

    init(lists: [UInt64: [Value]], in arena: TableArena) {
        let (capacity, mask, shift) = FibonacciSlots.shape(keys: lists.count)
        var slots = Array(repeating: Slot(key: 0, start: 0, count: 0), count: capacity)
        var values: [Value] = []
        for key in lists.keys.sorted() {
            let list = lists[key]!
            guard !list.isEmpty else { continue }
            let i = FibonacciSlots.firstFree(key, shift: shift, mask: mask) { slots[$0].count != 0 }
            slots[i] = Slot(key: key, start: Int32(values.count), count: Int32(list.count))
            values += list
        }
        self.slots = FrozenArray(slots, in: arena)
        self.values = FrozenArray(values, in: arena)
        self.mask = mask
        self.shift = shift
    }

    /// The list for `key` as a range of ``values``; empty when absent.
    @inline(__always)
    func range(_ key: UInt64) -> Range<Int> {
        var i = FibonacciSlots.slot(key, shift: shift)
        let slots = self.slots.buffer
        while true {
            let slot = slots[i]
            if slot.count == 0 { return 0..<0 }
            if slot.key == key {
                let start = Int(slot.start)
                return start..<(start + Int(slot.count))
            }
            i = FibonacciSlots.next(i, mask: mask)
        }
    }
}
