@testable import ArbiterPolicy
import ArbiterTestSupport
import Testing

/// `SubjectIndex` keeps a list's only entry in its slot and longer lists apart: every lookup
/// must still return exactly the list it was built with, in order, whichever form it took.
struct SubjectIndexTests {
    static func entry(binding: Int32, firstRule: Int32) -> CompiledPolicy.BindingEntry {
        CompiledPolicy.BindingEntry(
            binding: binding, firstRule: firstRule, reasonStart: binding &* 3, verbFilter: UInt16(truncatingIfNeeded: binding),
            subjectPosition: UInt16(truncatingIfNeeded: firstRule & 7), resourceFilter: UInt64(binding) << 20 | UInt64(UInt32(bitPattern: firstRule)))
    }

    static func same(_ a: CompiledPolicy.BindingEntry, _ b: CompiledPolicy.BindingEntry) -> Bool {
        a.binding == b.binding && a.firstRule == b.firstRule && a.reasonStart == b.reasonStart && a.verbFilter == b.verbFilter
            && a.subjectPosition == b.subjectPosition && a.resourceFilter == b.resourceFilter
    }

    /// Lists of one to five entries (a missing role, firstRule -1, among them), under locators that make
    /// many keys start their probe at the same slot, looked up with present and absent keys.
    @Test(arguments: [1, 3, 1 << 40])
    func everyListComesBackWhole(locatorSpread: UInt64) {
        var random = SplitMix64(seed: 0x5eed ^ locatorSpread)
        var lists: [UInt64: [CompiledPolicy.BindingEntry]] = [:]
        var binding: Int32 = 0
        for _ in 0..<3_000 {
            let key = random.next() >> 1
            let length = [1, 1, 1, 1, 2, 3, 5][Int(random.next() % 7)]
            lists[key] = (0..<length).map { _ in
                binding += 1
                return Self.entry(binding: binding, firstRule: random.next() % 11 == 0 ? -1 : Int32(random.next() % 500))
            }
        }
        // Few distinct locators: long probe sequences, single and long lists side by side.
        let locator = { (key: UInt64) in (key % 97) &* locatorSpread }
        // The index's tables live in the arena, which the test keeps alive (a compiled policy
        // holds its own).
        let arena = TableArena(expectedBytes: 0)
        defer { withExtendedLifetime(arena) {} }
        let index = SubjectIndex(lists: lists, locator: locator, in: arena)
        #expect(index.values.count == lists.values.filter { $0.count > 1 }.reduce(0) { $0 + $1.count })
        for (key, list) in lists {
            let found = index.entries(key, locator: locator(key))
            #expect(found.count == list.count, "key \(key)")
            #expect(zip(found, list).allSatisfy { Self.same($0, $1) }, "key \(key)")
        }
        for _ in 0..<3_000 {
            let absent = random.next() >> 1
            guard lists[absent] == nil else { continue }
            #expect(index.entries(absent, locator: locator(absent)).isEmpty)
        }
    }

    /// A longer list's slot holds the union of its entries' filters: a lookup whose test fails
    /// on that union gets nothing (the list is never read), one that passes gets the whole list;
    /// a single entry comes back either way (its caller tests it).
    @Test func longerListsAreSkippedOnTheUnionOfTheirFilters() {
        func entry(_ binding: Int32, verbs: UInt16, resources: UInt64) -> CompiledPolicy.BindingEntry {
            CompiledPolicy.BindingEntry(
                binding: binding, firstRule: binding, reasonStart: 0, verbFilter: verbs, subjectPosition: 0, resourceFilter: resources)
        }
        let lists: [UInt64: [CompiledPolicy.BindingEntry]] = [
            1: [entry(1, verbs: 0b01, resources: 0b100), entry(2, verbs: 0b10, resources: 0b001)],
            2: [entry(3, verbs: 0b100, resources: 0b010)],
        ]
        let arena = TableArena(expectedBytes: 0)
        defer { withExtendedLifetime(arena) {} }
        let index = SubjectIndex(lists: lists, locator: { $0 }, in: arena)
        func lookup(_ key: UInt64, verbs: UInt16, resources: UInt64) -> [Int32] {
            Array(index.entries(key, locator: key) { $0.verbFilter & verbs != 0 && $0.resourceFilter & resources != 0 }.map(\.binding))
        }
        // The union of list 1 is verbs 0b11, resources 0b101.
        #expect(lookup(1, verbs: 0b10, resources: 0b100) == [1, 2])
        #expect(lookup(1, verbs: 0b100, resources: 0b111) == [])
        #expect(lookup(1, verbs: 0b11, resources: 0b010) == [])
        // A single entry is returned whatever the test says.
        #expect(lookup(2, verbs: 0b01, resources: 0b001) == [3])
        #expect(index.entries(1, locator: 1).map(\.binding) == [1, 2])
    }

    @Test func anEmptyIndexFindsNothing() {
        let arena = TableArena(expectedBytes: 0)
        defer { withExtendedLifetime(arena) {} }
        let index = SubjectIndex(lists: [:], locator: { $0 }, in: arena)
        #expect(index.values.count == 0)
        #expect(index.entries(0, locator: 0).isEmpty)
        #expect(index.entries(42, locator: 42).isEmpty)
    }
}
