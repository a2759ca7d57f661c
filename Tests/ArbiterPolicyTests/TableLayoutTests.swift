@testable import ArbiterPolicy
import Testing

/// The sizes the evaluator's cache behaviour rests on: a slot or entry that grows past them
/// costs a second cache line per read on large policies (docs/benchmarks.md), with every result
/// unchanged, so no other test would notice.
struct TableLayoutTests {
    @Test func rulesAndIndexEntriesKeepTheirSizes() {
        // A rule is one line: with the arena's line-aligned tables, rule i never straddles two.
        #expect(MemoryLayout<CompiledRule>.stride == TableArena.lineBytes)
        #expect(MemoryLayout<IdList>.stride == 8)
        #expect(MemoryLayout<CompiledPolicy.BindingEntry>.stride == 24)
        #expect(MemoryLayout<KeyedLists<CompiledPolicy.BindingEntry>.Slot>.stride == 16)
        #expect(MemoryLayout<FrozenSymbolTable<SubjectScopes>.Slot>.stride == TableArena.lineBytes)
        #expect(MemoryLayout<FrozenSymbolTable<NoPayload>.Slot>.stride == 32)
    }
}
