/// An immutable multimap from `UInt64` keys to lists of `Int32`, stored flat.
///
/// Built once by the compiler (each list in ascending order), then read on every request with
/// one probe of an open-addressing table: the subject and resource indexes of a compiled policy.
struct KeyedLists: Sendable {
    private var keys: [UInt64] = []
    /// Per slot: where its list starts in `values` and how long it is; `count == 0` is empty.
    private var starts: [Int32] = []
    private var counts: [Int32] = []
    private(set) var values: [Int32] = []
    private var mask = 0

    static let empty = KeyedLists(lists: [:])

    var isEmpty: Bool { values.isEmpty }

    init(lists: [UInt64: [Int32]]) {
        var capacity = 8
        while capacity < lists.count * 2 { capacity *= 2 }
        keys = Array(repeating: 0, count: capacity)
        starts = Array(repeating: 0, count: capacity)
        counts = Array(repeating: 0, count: capacity)
        mask = capacity - 1
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
