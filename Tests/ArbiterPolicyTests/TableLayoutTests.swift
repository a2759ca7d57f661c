@testable import ArbiterPolicy
import Testing

/// The sizes the evaluator's cache behaviour rests on: a slot or entry that grows past them
/// costs a second cache line per read on large policies (docs/benchmarks.md), with every result
/// unchanged, so no other test would notice.
struct TableLayoutTests {
    @Test func rulesAndIndexEntriesKeepTheirSizes() {
        // A rule is one line: with the arena's line-aligned tables, rule i never straddles two.
        #expect(MemoryLayout<CompiledRule>.stride == TableArena.lineBytes)
        // What a rule test reads first: two rule heads per line.
        #expect(MemoryLayout<RuleHead>.stride == 32)
        #expect(MemoryLayout<IdList>.stride == 8)
        #expect(MemoryLayout<CompiledPolicy.BindingEntry>.stride == 24)
        // A subject-index slot keeps a list's only entry with its key: two slots per line.
        #expect(MemoryLayout<SubjectIndex.Slot>.stride == 32)
        #expect(MemoryLayout<SubjectIndex.Slot>.offset(of: \.entry) == SubjectIndex.entryOffset)
        #expect(MemoryLayout<KeyedLists<Int32>.Slot>.stride == 16)
        #expect(MemoryLayout<FrozenSymbolTable<SubjectScopes>.Slot>.stride == TableArena.lineBytes)
        #expect(MemoryLayout<FrozenSymbolTable<NoPayload>.Slot>.stride == 32)
    }
}
