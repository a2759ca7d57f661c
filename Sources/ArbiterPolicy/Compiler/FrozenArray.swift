/// Immutable storage for the tables of a ``CompiledPolicy``: a buffer in the policy's
/// ``TableArena``, written once, then read by any thread until the policy (and its arena) is freed.
///
/// Swift arrays stored in a class are retained and released around accesses in code the
/// optimizer cannot see through; on the request path that costs more than the lookups
/// themselves. A frozen buffer is read with a plain pointer load.
///
/// INVARIANT (frozen-tables): a `FrozenArray` is created by the compiler in the arena of exactly
/// one `CompiledPolicy`, never written after creation, and freed with that arena; every copy of
/// it lives inside that policy. Elements are trivial (plain integers and structs of integers), so
/// no deinitialization is needed.
struct FrozenArray<Element: BitwiseCopyable>: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<Element>

    init(_ array: [Element], in arena: TableArena) {
        let storage = UnsafeMutableBufferPointer(start: arena.allocate(Element.self, count: array.count), count: array.count)
        _ = storage.initialize(from: array)
        buffer = UnsafeBufferPointer(storage)
    }

    var count: Int { buffer.count }

    @inline(__always)
    subscript(_ index: Int) -> Element { buffer[index] }

    @inline(__always)
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) -> R) -> R { body(buffer) }
}
