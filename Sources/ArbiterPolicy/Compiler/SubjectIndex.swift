internal import CArbiterIntrinsics

/// A subject index of a compiled policy: from a subject key (``CompiledPolicy/subjectKey(_:_:)``,
/// or ``CompiledPolicy/namespacedKey(_:_:_:)`` for RoleBindings) to the binding entries that name
/// that subject, in compiled order.
///
/// Most keys have one entry (on the large benchmark policy, 93% of the RoleBinding keys), so a
/// slot keeps a single entry in place: a probe then reads the entry with the key, from the same
/// cache line, instead of following the slot to a list elsewhere, a second dependent cache miss
/// on policies larger than the caches. Longer lists live in ``values``.
///
/// Open addressing as ``KeyedLists`` (``FibonacciSlots``); where a key's probe starts is the
/// Fibonacci hash of its *locator* (the subject name's hash, see
/// ``CompiledPolicy/subjectLocator(nameHash:kind:namespace:)``), which a request has before it
/// knows the name's id, so it can start loading the slot early (``prefetch(locator:)``).
struct SubjectIndex: Sendable {
    /// 32 bytes: two slots per cache line, never one across two.
    struct Slot: BitwiseCopyable {
        var key: UInt64
        /// `entry.binding >= 0`: the key's only entry. ``emptyMark``: an empty slot.
        /// ``listMark``: a longer list, `entry.firstRule` entries from `values[entry.reasonStart]`,
        /// with the union of their verb and resource filters as `entry`'s filters.
        var entry: CompiledPolicy.BindingEntry
    }

    /// Where `entry` sits in a slot (checked by `TableLayoutTests`).
    static var entryOffset: Int { 8 }

    /// `entry.binding` of an empty slot.
    static var emptyMark: Int32 { -1 }
    /// `entry.binding` of a slot whose list is in ``values``.
    static var listMark: Int32 { -2 }

    private let slots: FrozenArray<Slot>
    /// The lists of more than one entry, back to back.
    let values: FrozenArray<CompiledPolicy.BindingEntry>
    private let mask: Int
    /// 64 minus the base-2 logarithm of the slot count.
    private let shift: UInt64

    /// The bytes of the slot table and of the longer lists.
    var bytes: Int {
        slots.count * MemoryLayout<Slot>.stride + values.count * MemoryLayout<CompiledPolicy.BindingEntry>.stride
    }

    /// The bytes of the slot table alone.
    var slotBytes: Int { slots.count * MemoryLayout<Slot>.stride }

    /// - Parameter locator: where each key is probed from; the same function of the key must be
    ///   used by every lookup.
    init(lists: [UInt64: [CompiledPolicy.BindingEntry]], locator: (UInt64) -> UInt64, in arena: TableArena) {
        let (capacity, mask, shift) = FibonacciSlots.shape(keys: lists.count)
        let empty = CompiledPolicy.BindingEntry(
            binding: Self.emptyMark, firstRule: 0, reasonStart: 0, verbFilter: 0, subjectPosition: 0, resourceFilter: 0)
        var slots = Array(repeating: Slot(key: 0, entry: empty), count: capacity)
        var values: [CompiledPolicy.BindingEntry] = []
        for key in lists.keys.sorted() {
            let list = lists[key]!
            guard !list.isEmpty else { continue }
            let i = FibonacciSlots.firstFree(locator(key), shift: shift, mask: mask) {
                slots[$0].entry.binding != Self.emptyMark
            }
            if list.count == 1 {
                precondition(list[0].binding >= 0)
                slots[i] = Slot(key: key, entry: list[0])
            } else {
                let reference = CompiledPolicy.BindingEntry(
                    binding: Self.listMark, firstRule: Int32(list.count), reasonStart: Int32(values.count),
                    verbFilter: list.reduce(0) { $0 | $1.verbFilter }, subjectPosition: 0,
                    resourceFilter: list.reduce(0) { $0 | $1.resourceFilter })
                slots[i] = Slot(key: key, entry: reference)
                values += list
            }
        }
        self.slots = FrozenArray(slots, in: arena)
        self.values = FrozenArray(values, in: arena)
        self.mask = mask
        self.shift = shift
    }

    /// Starts loading the slot where a probe with `locator` begins (a hint; no result changes).
    @inline(__always)
    func prefetch(locator: UInt64) {
        CArbiterIntrinsics_prefetch(slots.buffer.baseAddress! + FibonacciSlots.slot(locator, shift: shift))
    }

    /// The entries of `key`, located by `locator` (the builder's locator of `key`); empty when
    /// absent. Valid as long as the index (its arena) lives.
    @inline(__always)
    func entries(_ key: UInt64, locator: UInt64) -> UnsafeBufferPointer<CompiledPolicy.BindingEntry> {
        entries(key, locator: locator) { _ in true }
    }

    /// ``entries(_:locator:)``, but empty for a longer list when `mayPass` is false for the
    /// union of its entries' filters (kept in its slot): then none of them can pass, and the
    /// list, a dependent cache miss away, is never read. `mayPass` must be true for the union
    /// of filters whenever it is true for one of them.
    @inline(__always)
    func entries(
        _ key: UInt64, locator: UInt64, unionMayPass mayPass: (CompiledPolicy.BindingEntry) -> Bool
    ) -> UnsafeBufferPointer<CompiledPolicy.BindingEntry> {
        var i = FibonacciSlots.slot(locator, shift: shift)
        let base = slots.buffer.baseAddress!
        while true {
            let slot = base + i
            let binding = slot.pointee.entry.binding
            if binding == Self.emptyMark { return UnsafeBufferPointer(start: nil, count: 0) }
            if slot.pointee.key == key {
                if binding >= 0 {
                    // The entry in place: a pointer to the slot's `entry` field.
                    let entry = UnsafeRawPointer(slot) + Self.entryOffset
                    return UnsafeBufferPointer(start: entry.assumingMemoryBound(to: CompiledPolicy.BindingEntry.self), count: 1)
                }
                if !mayPass(slot.pointee.entry) { return UnsafeBufferPointer(start: nil, count: 0) }
                let start = Int(slot.pointee.entry.reasonStart)
                return UnsafeBufferPointer(start: values.buffer.baseAddress! + start, count: Int(slot.pointee.entry.firstRule))
            }
            i = FibonacciSlots.next(i, mask: mask)
        }
    }
}
