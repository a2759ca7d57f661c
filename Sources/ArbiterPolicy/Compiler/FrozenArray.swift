/// Immutable storage for the tables of a ``CompiledPolicy``: a buffer allocated once, read by
/// any thread, freed by the policy's `deinit`.
///
/// Swift arrays stored in a class are retained and released around accesses in code the
/// optimizer cannot see through; on the request path that costs more than the lookups
/// themselves. A frozen buffer is read with a plain pointer load.
///
/// INVARIANT (frozen-tables): a `FrozenArray` is created by the compiler, owned by exactly one
/// `CompiledPolicy`, never written after creation, and freed only in that policy's `deinit`;
/// every copy of it lives inside that policy. Elements are trivial (plain integers and structs
/// of integers), so no deinitialization is needed.
struct FrozenArray<Element: BitwiseCopyable>: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<Element>
    private let allocation: UnsafeMutableRawPointer

    init(_ array: [Element]) {
        let storage = UnsafeMutableBufferPointer<Element>.allocate(capacity: max(array.count, 1))
        _ = storage.initialize(from: array)
        allocation = UnsafeMutableRawPointer(storage.baseAddress!)
        buffer = UnsafeBufferPointer(rebasing: storage[0..<array.count])
    }

    static var empty: FrozenArray { FrozenArray([]) }

    var count: Int { buffer.count }

    @inline(__always)
    subscript(_ index: Int) -> Element { buffer[index] }

    @inline(__always)
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) -> R) -> R { body(buffer) }

    /// Frees the storage; only `CompiledPolicy.deinit` calls this.
    func free() {
        allocation.deallocate()
    }
}
