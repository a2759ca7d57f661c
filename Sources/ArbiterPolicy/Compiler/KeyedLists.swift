/// An immutable multimap from `UInt64` keys to lists of `Int32`, stored flat.
///
/// Built once by the compiler (each list in ascending order), then read on every request with
/// one probe of an open-addressing table: the subject and resource indexes of a compiled policy.
struct KeyedLists: Sendable {
    private let keys: FrozenArray<UInt64>
    /// Per slot: where its list starts in `values` and how long it is; `count == 0` is empty.
    private let starts: FrozenArray<Int32>
    private let counts: FrozenArray<Int32>
    let values: FrozenArray<Int32>
    private let mask: Int

    var isEmpty: Bool { values.count == 0 }

    func free() {
        keys.free()
        starts.free()
        counts.free()
        values.free()
    }

    init(lists: [UInt64: [Int32]]) {
        var capacity = 8
        while capacity < lists.count * 2 { capacity *= 2 }
        var keys = Array(repeating: UInt64(0), count: capacity)
        var starts = Array(repeating: Int32(0), count: capacity)
        var counts = Array(repeating: Int32(0), count: capacity)
        var values: [Int32] = []
        let mask = capacity - 1
        for key in lists.keys.sorted() {
            let list = lists[key]!
            guard !list.isEmpty else { continue }
            var i = Self.slot(key, mask)
            while counts[i] != 0 { i = (i + 1) & mask }
            keys[i] = key
            starts[i] = Int32(values.count)
            counts[i] = Int32(list.count)
            values += list
        }
        self.keys = FrozenArray(keys)
        self.starts = FrozenArray(starts)
        self.counts = FrozenArray(counts)
        self.values = FrozenArray(values)
        self.mask = mask
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: SymbolTable.mix(key &* 0x9e37_79b9_7f4a_7c15)) & mask
    }

    /// The list for `key` as a range of ``values``; empty when absent.
    @inline(__always)
    func range(_ key: UInt64) -> Range<Int> {
        var i = Self.slot(key, mask)
        while true {
            let count = counts[i]
            if count == 0 { return 0..<0 }
            if keys[i] == key {
                let start = Int(starts[i])
                return start..<(start + Int(count))
            }
            i = (i + 1) & mask
        }
    }
}
