internal import Glibc

/// The memory of one compiled policy's tables: 2 MiB-aligned chunks that the kernel may back
/// with transparent huge pages.
///
/// A decision reads a handful of entries at random places in tables that, for a large policy, span
/// tens of megabytes. With 4 KiB pages nearly every one of those reads also misses the TLB and
/// walks the page table; with the tables packed into 2 MiB pages the TLB covers them
/// (`docs/engine-notes.md` has the numbers). `MADV_HUGEPAGE` is advice: with transparent huge pages
/// set to `never` the chunks are ordinary memory and nothing else changes.
///
/// INVARIANT (frozen-tables): the compiler allocates from an arena while it builds one policy, on
/// one thread; afterwards the policy owns the arena, nothing allocates from it again, and the
/// chunks are unmapped when the policy (the arena's only owner) is freed. That is why the class
/// is `@unchecked Sendable`.
final class TableArena: @unchecked Sendable {
    /// The huge-page size on x86-64 and the usual arm64 kernels; chunks are multiples of it.
    static let chunkBytes = 2 << 20
    /// A cache line.
    static let lineBytes = 64

    private var chunks: [(base: UnsafeMutableRawPointer, byteCount: Int, mapped: Bool)] = []
    private var cursor: UnsafeMutableRawPointer? = nil
    private var remaining = 0

    /// Below this estimate the tables live on the heap: a 2 MiB huge page for a policy of a few
    /// kilobytes (tests, `arbiter check` on one file) would cost memory and zeroing time for nothing.
    static let hugePageThreshold = chunkBytes / 2

    private let smallFirstChunk: Int?

    /// - Parameter expectedBytes: the compiler's estimate of the tables' total size.
    init(expectedBytes: Int) {
        smallFirstChunk = expectedBytes < Self.hugePageThreshold ? max(expectedBytes + expectedBytes / 2, 4096) : nil
    }

    /// Bytes mapped for the tables so far (whole chunks).
    var mappedBytes: Int { chunks.reduce(0) { $0 + $1.byteCount } }

    /// Uninitialised memory for `count` values of `type`, valid while the arena lives. Every table
    /// starts on a cache line, so that a slot of 16, 32 or 64 bytes never straddles two lines (a
    /// probe then costs one line, not sometimes two).
    func allocate<Element>(_ type: Element.Type, count: Int) -> UnsafeMutablePointer<Element> {
        let byteCount = max(count, 1) * MemoryLayout<Element>.stride
        let alignment = max(MemoryLayout<Element>.alignment, Self.lineBytes)
        if let cursor {
            let padding = (alignment - Int(bitPattern: cursor) % alignment) % alignment
            if padding + byteCount <= remaining {
                let start = cursor + padding
                self.cursor = start + byteCount
                self.remaining -= padding + byteCount
                return start.bindMemory(to: Element.self, capacity: max(count, 1))
            }
        }
        // A new chunk (a table larger than a chunk gets a chunk of its own size).
        let size: Int
        let base: UnsafeMutableRawPointer
        let mapped: Bool
        if chunks.isEmpty, let small = smallFirstChunk, byteCount + 64 <= small {
            size = small
            (base, mapped) = (UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64), false)
        } else {
            size = (byteCount + Self.chunkBytes - 1) / Self.chunkBytes * Self.chunkBytes
            (base, mapped) = Self.mapChunk(size)
        }
        chunks.append((base, size, mapped))
        cursor = base + byteCount
        remaining = size - byteCount
        return base.bindMemory(to: Element.self, capacity: max(count, 1))
    }

    deinit {
        for chunk in chunks {
            if chunk.mapped { munmap(chunk.base, chunk.byteCount) } else { chunk.base.deallocate() }
        }
    }

    /// `size` bytes (a multiple of ``chunkBytes``) at a 2 MiB boundary, advised as huge pages.
    /// Falls back to the heap (`mapped` false) if the mapping fails: the tables work the same.
    private static func mapChunk(_ size: Int) -> (UnsafeMutableRawPointer, mapped: Bool) {
        // Map one chunk more than needed, then trim both ends to the 2 MiB boundary.
        let mapped = mmap(nil, size + chunkBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let mapped, mapped != MAP_FAILED else {
            return (UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64), false)
        }
        let address = Int(bitPattern: mapped)
        let aligned = (address + chunkBytes - 1) / chunkBytes * chunkBytes
        let head = aligned - address
        if head > 0 { munmap(mapped, head) }
        let tail = chunkBytes - head
        if tail > 0 { munmap(UnsafeMutableRawPointer(bitPattern: aligned + size), tail) }
        let base = UnsafeMutableRawPointer(bitPattern: aligned)!
        _ = madvise(base, size, MADV_HUGEPAGE)
        return (base, true)
    }
}
