internal import CArbiterIntrinsics

/// Interned byte strings: every distinct string of a policy gets a dense `Int32` id.
///
/// Lookups hash and compare UTF-8 bytes (never Swift's canonical equivalence), so `"K"` and the
/// Kelvin sign stay different, as in Kubernetes. A string the policy never mentions has no id
/// (`SymbolTable.missing`), which can only match wildcards. Open addressing with a multiplicative
/// hash (``hash(_:)-(UnsafeRawBufferPointer)``), power-of-two capacity at most half full; a lookup
/// of a short string costs a few nanoseconds.
struct SymbolTable: Sendable {
    static let missing: Int32 = -1

    /// All symbols' bytes, back to back.
    private(set) var storage: [UInt8] = []
    /// `offsets[i]..<offsets[i + 1]` are the bytes of symbol `i`.
    private(set) var offsets: [Int32] = [0]
    private(set) var hashes: [UInt64] = []
    private var slots: [Int32] = Array(repeating: -1, count: 64)

    var count: Int { offsets.count - 1 }

    // MARK: - Hashing

    /// A fast non-cryptographic hash of a byte string: a name of at most ``shortLength`` bytes
    /// as its two ``shortWords(_:_:)``, a longer one eight bytes at a time. Table contents come
    /// from the operator's policy, not from requests, so collisions cannot be forced by a client
    /// beyond probing a missing key.
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let count = bytes.count
        guard let base = bytes.baseAddress, count > 0 else { return emptyHash }
        if count <= shortLength {
            let (w0, w1) = shortWords(base, count)
            return shortHash(w0, w1, count)
        }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(count)
        // Wrapping arithmetic throughout: no overflow checks in the loop.
        var i = 0
        while i &+ 8 <= count {
            h = (h ^ base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x9e37_79b9_7f4a_7c15
            h ^= h &>> 31
            i &+= 8
        }
        if i < count {
            // The last 1 to 7 bytes: one load of the string's last 8 bytes (overlapping bytes
            // already mixed in; the length is in `h`).
            h = (h ^ base.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)) &* 0x9e37_79b9_7f4a_7c15
            h ^= h &>> 31
        }
        return h
    }

    /// The hash of `""`.
    static var emptyHash: UInt64 { 0xcbf2_9ce4_8422_2325 }

    /// Names up to this many bytes (most verbs, resources, namespaces and API groups) are read
    /// as two words, hashed and compared without a loop.
    static var shortLength: Int { 16 }

    /// The bytes of a name of 1 to ``shortLength`` bytes as two words, with at most two loads
    /// that never read outside it: equal words mean equal bytes for names of equal length (9 to
    /// 16 bytes: the first and the last eight, overlapping; 4 to 8: the first and the last four;
    /// 1 to 3: the first, middle and last byte).
    @inline(__always)
    static func shortWords(_ p: UnsafeRawPointer, _ count: Int) -> (UInt64, UInt64) {
        if count >= 8 {
            return (p.loadUnaligned(as: UInt64.self), p.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self))
        }
        if count >= 4 {
            let first = UInt64(p.loadUnaligned(as: UInt32.self))
            return (first | UInt64(p.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)) << 32, 0)
        }
        let first = UInt64(p.load(as: UInt8.self))
        let middle = UInt64(p.load(fromByteOffset: count &>> 1, as: UInt8.self))
        return (first | middle << 8 | UInt64(p.load(fromByteOffset: count &- 1, as: UInt8.self)) << 16, 0)
    }

    @inline(__always)
    static func shortHash(_ w0: UInt64, _ w1: UInt64, _ count: Int) -> UInt64 {
        var h = (w0 ^ 0xcbf2_9ce4_8422_2325 ^ UInt64(count)) &* 0x9e37_79b9_7f4a_7c15
        h = (h ^ (h &>> 31) ^ w1) &* 0x9e37_79b9_7f4a_7c15
        return h ^ (h &>> 31)
    }

    /// The ``hash(_:)-(UnsafeRawBufferPointer)`` of a string's UTF-8, read in place.
    ///
    /// Transparent, not just `@inline(__always)`: called out of line from the evaluator's loop over
    /// a request's groups, it cost a retain and a release of every group name.
    @_transparent
    static func hash(_ string: borrowing String) -> UInt64 {
        if let hash = string.utf8.withContiguousStorageIfAvailable({ hash(UnsafeRawBufferPointer($0)) }) {
            return hash
        }
        // Only strings without contiguous UTF-8 (bridged ones) get here.
        var copy = copy string
        return copy.withUTF8 { hash(UnsafeRawBufferPointer($0)) }
    }

    @inline(__always)
    static func mix(_ h: UInt64) -> UInt64 {
        var x = h ^ (h >> 29)
        x = x &* 0xbf58_476d_1ce4_e5b9
        return x ^ (x >> 32)
    }

    // MARK: - Building

    /// The id of `string`, adding it when new.
    mutating func intern(_ string: String) -> Int32 {
        var copy = string
        return copy.withUTF8 { intern(UnsafeRawBufferPointer($0)) }
    }

    mutating func intern(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        let h = Self.hash(bytes)
        let found = find(bytes, hash: h)
        if found >= 0 { return found }
        let id = Int32(count)
        storage.append(contentsOf: bytes)
        offsets.append(Int32(storage.count))
        hashes.append(h)
        if count * 2 > slots.count { grow() } else { insert(id, hash: h) }
        return id
    }

    private mutating func insert(_ id: Int32, hash: UInt64) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: Self.mix(hash)) & mask
        while slots[i] >= 0 { i = (i + 1) & mask }
        slots[i] = id
    }

    private mutating func grow() {
        slots = Array(repeating: -1, count: slots.count * 2)
        for id in 0..<count { insert(Int32(id), hash: hashes[id]) }
    }

    // MARK: - Lookup

    @inline(__always)
    private func find(_ bytes: UnsafeRawBufferPointer, hash: UInt64) -> Int32 {
        slots.withUnsafeBufferPointer { slots in
            storage.withUnsafeBytes { storage in
                offsets.withUnsafeBufferPointer { offsets in
                    Self.find(bytes, hash: hash, slots: slots, storage: storage, offsets: offsets)
                }
            }
        }
    }

    @inline(__always)
    static func find(
        _ bytes: UnsafeRawBufferPointer, hash: UInt64, slots: UnsafeBufferPointer<Int32>,
        storage: UnsafeRawBufferPointer, offsets: UnsafeBufferPointer<Int32>
    ) -> Int32 {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: Self.mix(hash)) & mask
        while true {
            let id = slots[i]
            if id < 0 { return Self.missing }
            let start = Int(offsets[Int(id)])
            let end = Int(offsets[Int(id) + 1])
            if end - start == bytes.count
                && (bytes.count == 0 || memcmpEqual(storage.baseAddress! + start, bytes.baseAddress!, bytes.count))
            {
                return id
            }
            i = (i + 1) & mask
        }
    }

    /// The id of a byte string, or ``missing``.
    @inline(__always)
    func lookup(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        find(bytes, hash: Self.hash(bytes))
    }

    /// The bytes of symbol `id` (while compiling).
    func bytes(_ id: Int32) -> ArraySlice<UInt8> {
        storage[Int(offsets[Int(id)])..<Int(offsets[Int(id) + 1])]
    }

    /// The read-only form used by a compiled policy.
    func frozen<Payload: SymbolPayload>(payloads: [Payload] = [], in arena: TableArena) -> FrozenSymbolTable<Payload> {
        FrozenSymbolTable(storage: storage, offsets: offsets, hashes: hashes, payloads: payloads, in: arena)
    }

}

/// What a frozen symbol table stores in each slot besides the symbol: nothing (``NoPayload``)
/// or, for subject names, where their bindings are (``SubjectScopes``).
protocol SymbolPayload: BitwiseCopyable, Sendable {
    /// The payload of a slot whose symbol has none (and of a missing symbol).
    static var none: Self { get }
    /// Room in each slot for a copy of short names, so that a lookup compares them without a
    /// second cache line.
    associatedtype InlineName: InlineNameStorage
}

/// A fixed number of a name's bytes kept in its symbol slot.
protocol InlineNameStorage: BitwiseCopyable {
    /// Names of at most this many bytes are compared in the slot.
    static var capacity: Int { get }
    /// A copy of `bytes` when they fit, zeros otherwise.
    init(copying bytes: UnsafeRawBufferPointer)
}

/// Names up to 16 bytes in the slot (``SymbolTable/shortLength``): a slot is then 32 bytes.
struct InlineName16: InlineNameStorage {
    var words: (UInt64, UInt64) = (0, 0)
    static var capacity: Int { 16 }
    init(copying bytes: UnsafeRawBufferPointer) {
        guard bytes.count <= Self.capacity, bytes.count > 0 else { return }
        withUnsafeMutableBytes(of: &words) { UnsafeMutableRawBufferPointer(rebasing: $0[0..<bytes.count]).copyMemory(from: bytes) }
    }
}

/// Names up to 32 bytes in the slot: a subject slot is then one 64-byte line.
struct InlineName32: InlineNameStorage {
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    static var capacity: Int { 32 }
    init(copying bytes: UnsafeRawBufferPointer) {
        guard bytes.count <= Self.capacity, bytes.count > 0 else { return }
        withUnsafeMutableBytes(of: &words) { UnsafeMutableRawBufferPointer(rebasing: $0[0..<bytes.count]).copyMemory(from: bytes) }
    }
}

/// The payload of tables that need none; it takes no space in a slot (short names are kept
/// inline).
struct NoPayload: SymbolPayload {
    typealias InlineName = InlineName16
    static var none: NoPayload { NoPayload() }
}

/// Where a subject name has bindings, as two bit sets (one for the name as a user, one as a
/// group): bit 63 when some ClusterRoleBinding names it, bit `namespace id % 63` for each
/// namespace where some RoleBinding names it.
///
/// INVARIANT (subject-scopes): a subject key with no bit of a request's scope has no entry in the
/// subject indexes for that scope, so the evaluator skips the probe (and the cache miss) for it.
/// A set bit means only "maybe" (namespaces share bits).
struct SubjectScopes: SymbolPayload {
    typealias InlineName = InlineName32
    var user: UInt64
    var group: UInt64

    static var none: SubjectScopes { SubjectScopes(user: 0, group: 0) }

    static let clusterBit: UInt64 = 1 << 63

    /// The bit of RoleBindings in namespace `id` (an attribute-table id, never missing).
    @inline(__always)
    static func namespaceBit(_ id: Int32) -> UInt64 { 1 << (UInt64(UInt32(bitPattern: id)) % 63) }
}

/// A ``SymbolTable`` after compilation: the same lookups on frozen storage, with each slot
/// carrying the symbol's hash, offset, length and payload, so that a lookup touches one slot and,
/// on a hit, the symbol's bytes: two cache lines, not four.
struct FrozenSymbolTable<Payload: SymbolPayload>: Sendable {
    struct Slot: BitwiseCopyable {
        /// First, at offset 0, so that the lookup can address it without a key-path offset.
        var inline: Payload.InlineName
        var id: Int32
        var hash: UInt32
        /// Where the name's bytes start in ``storage``; or, for a name that keeps its bytes
        /// after a ``KnownPrefix`` inline, `~prefix` (negative).
        var offset: Int32
        var length: Int32
        var payload: Payload
    }

    let storage: FrozenArray<UInt8>
    let offsets: FrozenArray<Int32>
    let slots: FrozenArray<Slot>
    private let mask: Int
    /// The id of `""`, or ``SymbolTable/missing``.
    private let emptyID: Int32
    /// The payload of `""`.
    private let emptyPayload: Payload

    /// - Parameter payloads: per symbol id, or empty for none at all.
    init(storage: [UInt8], offsets: [Int32], hashes: [UInt64], payloads: [Payload] = [], in arena: TableArena) {
        var capacity = 16
        while capacity < hashes.count * 2 { capacity *= 2 }
        let none = Payload.InlineName(copying: UnsafeRawBufferPointer(start: nil, count: 0))
        var slots = Array(repeating: Slot(inline: none, id: -1, hash: 0, offset: 0, length: 0, payload: .none), count: capacity)
        let mask = capacity - 1
        for (id, hash) in hashes.enumerated() {
            var i = Int(truncatingIfNeeded: SymbolTable.mix(hash)) & mask
            while slots[i].id >= 0 { i = (i + 1) & mask }
            let (inline, offset) = storage.withUnsafeBytes { storage in
                let bytes = UnsafeRawBufferPointer(rebasing: storage[Int(offsets[id])..<Int(offsets[id + 1])])
                // A name too long for the slot but not once a known prefix is left out: the
                // slot keeps the rest, so a lookup never reads the storage for it.
                if bytes.count > Payload.InlineName.capacity, let prefix = KnownPrefix.of(bytes),
                    bytes.count - prefix.length <= Payload.InlineName.capacity
                {
                    return (Payload.InlineName(copying: UnsafeRawBufferPointer(rebasing: bytes[prefix.length...])), ~prefix.rawValue)
                }
                return (Payload.InlineName(copying: bytes), offsets[id])
            }
            slots[i] = Slot(
                inline: inline, id: Int32(id), hash: UInt32(truncatingIfNeeded: hash), offset: offset,
                length: offsets[id + 1] - offsets[id], payload: id < payloads.count ? payloads[id] : .none)
        }
        self.storage = FrozenArray(storage, in: arena)
        self.offsets = FrozenArray(offsets, in: arena)
        self.slots = FrozenArray(slots, in: arena)
        self.mask = mask
        var empty = SymbolTable.missing
        for id in 0..<hashes.count where offsets[id] == offsets[id + 1] { empty = Int32(id) }
        self.emptyID = empty
        self.emptyPayload = empty >= 0 && Int(empty) < payloads.count ? payloads[Int(empty)] : .none
    }

    var count: Int { offsets.count - 1 }

    /// The id of a byte string, or ``SymbolTable/missing``.
    @inline(__always)
    func lookup(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        entry(bytes).id
    }

    /// The id and payload of a byte string; ``SymbolTable/missing`` and `.none` when absent.
    @inline(__always)
    func entry(_ bytes: UnsafeRawBufferPointer) -> (id: Int32, payload: Payload) {
        let found = entryAndHash(bytes)
        return (found.id, found.payload)
    }

    /// ``entry(_:)-(UnsafeRawBufferPointer)`` and the bytes' ``SymbolTable/hash(_:)``.
    @inline(__always)
    func entryAndHash(_ bytes: UnsafeRawBufferPointer) -> (id: Int32, payload: Payload, hash: UInt64) {
        // The words of a short name are read once, for the hash and the comparison (delegating to
        // `entry(_:hash:)` reads them twice: 34 more instructions per decision, measured).
        let count = bytes.count
        guard count > 0 else { return (emptyID, emptyPayload, SymbolTable.emptyHash) }
        if count <= SymbolTable.shortLength && Payload.InlineName.capacity >= SymbolTable.shortLength {
            let (w0, w1) = SymbolTable.shortWords(bytes.baseAddress!, count)
            let hash = SymbolTable.shortHash(w0, w1, count)
            let found = shortEntry(w0, w1, count, hash: hash)
            return (found.id, found.payload, hash)
        }
        let hash = SymbolTable.hash(bytes)
        let found = longEntry(bytes, hash: hash)
        return (found.id, found.payload, hash)
    }

    /// ``entry(_:)-(UnsafeRawBufferPointer)`` with the bytes' ``SymbolTable/hash(_:)`` already computed.
    @inline(__always)
    func entry(_ bytes: UnsafeRawBufferPointer, hash: UInt64) -> (id: Int32, payload: Payload) {
        let count = bytes.count
        guard count > 0 else { return (emptyID, emptyPayload) }
        if count <= SymbolTable.shortLength && Payload.InlineName.capacity >= SymbolTable.shortLength {
            let (w0, w1) = SymbolTable.shortWords(bytes.baseAddress!, count)
            return shortEntry(w0, w1, count, hash: hash)
        }
        return longEntry(bytes, hash: hash)
    }

    /// A short name (``SymbolTable/shortWords(_:_:)``), compared in the slot's inline copy.
    @inline(__always)
    private func shortEntry(_ w0: UInt64, _ w1: UInt64, _ count: Int, hash: UInt64) -> (id: Int32, payload: Payload) {
        let short = UInt32(truncatingIfNeeded: hash)
        let slots = self.slots.buffer.baseAddress!
        var i = Int(truncatingIfNeeded: SymbolTable.mix(hash)) & mask
        while true {
            let slot = slots + i
            let id = slot.pointee.id
            if id < 0 { return (SymbolTable.missing, .none) }
            if slot.pointee.hash == short && Int(slot.pointee.length) == count {
                // `inline` is at the slot's start, zero-padded: the same two loads stay inside it.
                let (s0, s1) = SymbolTable.shortWords(UnsafeRawPointer(slot), count)
                if (s0 ^ w0) | (s1 ^ w1) == 0 { return (id, slot.pointee.payload) }
            }
            i = (i + 1) & mask
        }
    }

    @inline(__always)
    private func longEntry(_ bytes: UnsafeRawBufferPointer, hash: UInt64) -> (id: Int32, payload: Payload) {
        let short = UInt32(truncatingIfNeeded: hash)
        let slots = self.slots.buffer
        let base = UnsafeRawPointer(storage.buffer.baseAddress!)
        var i = Int(truncatingIfNeeded: SymbolTable.mix(hash)) & mask
        while true {
            let slot = slots.baseAddress! + i
            let id = slot.pointee.id
            if id < 0 { return (SymbolTable.missing, .none) }
            if slot.pointee.hash == short && Int(slot.pointee.length) == bytes.count {
                let offset = slot.pointee.offset
                if offset >= 0 {
                    // Names that fit are compared in the slot (`inline` is at its start), longer
                    // ones in the table's storage.
                    let name = bytes.count <= Payload.InlineName.capacity ? UnsafeRawPointer(slot) : base + Int(offset)
                    if memcmpEqual(name, bytes.baseAddress!, bytes.count) { return (id, slot.pointee.payload) }
                } else {
                    // The slot's name is a known prefix and then its inline bytes (longer than
                    // the prefix: it did not fit the slot). Plain arithmetic, no enum: this
                    // function must stay small enough to be inlined into the string lookups.
                    let prefix = ~offset
                    let length = KnownPrefix.length(prefix)
                    if KnownPrefix.starts(bytes.baseAddress!, prefix)
                        && memcmpEqual(UnsafeRawPointer(slot), bytes.baseAddress! + length, bytes.count &- length)
                    {
                        return (id, slot.pointee.payload)
                    }
                }
            }
            i = (i + 1) & mask
        }
    }

    /// The id and payload of a string, or ``SymbolTable/missing`` and `.none`.
    ///
    /// The string is borrowed and its UTF-8 read in place: a caller passing an element of an
    /// array (a request's groups) makes no copy and no retain.
    @inline(__always)
    func entry(_ string: borrowing String) -> (id: Int32, payload: Payload) {
        // The empty string (core API group, no name) is frequent: no hashing needed.
        if string.isEmpty { return (emptyID, emptyPayload) }
        if let found = string.utf8.withContiguousStorageIfAvailable({ entry(UnsafeRawBufferPointer($0)) }) {
            return found
        }
        // Only strings without contiguous UTF-8 (bridged ones) get here.
        var copy = copy string
        return copy.withUTF8 { entry(UnsafeRawBufferPointer($0)) }
    }

    /// ``entry(_:)-(String)`` and the string's ``SymbolTable/hash(_:)``, with one read of the string.
    @inline(__always)
    func entryAndHash(_ string: borrowing String) -> (id: Int32, payload: Payload, hash: UInt64) {
        if let found = string.utf8.withContiguousStorageIfAvailable({ entryAndHash(UnsafeRawBufferPointer($0)) }) {
            return found
        }
        // Only strings without contiguous UTF-8 (bridged ones) get here.
        var copy = copy string
        return copy.withUTF8 { entryAndHash(UnsafeRawBufferPointer($0)) }
    }

    /// ``entry(_:)-(String)`` with the string's ``hash(_:)`` already computed.
    @inline(__always)
    func entry(_ string: borrowing String, hash: UInt64) -> (id: Int32, payload: Payload) {
        if let found = string.utf8.withContiguousStorageIfAvailable({ entry(UnsafeRawBufferPointer($0), hash: hash) }) {
            return found
        }
        var copy = copy string
        return copy.withUTF8 { entry(UnsafeRawBufferPointer($0), hash: hash) }
    }

    /// Starts loading the slot where a lookup of a string with this hash begins (a hint; no
    /// result changes).
    @inline(__always)
    func prefetch(hash: UInt64) {
        CArbiterIntrinsics_prefetch(slots.buffer.baseAddress! + (Int(truncatingIfNeeded: SymbolTable.mix(hash)) & mask))
    }

    /// The id of a string, or ``SymbolTable/missing`` (see ``entry(_:)-(String)``).
    @inline(__always)
    func lookup(_ string: borrowing String) -> Int32 {
        entry(string).id
    }

    /// The id of `first + "/" + second` without building that string (RBAC's combined
    /// `resource/subresource`). Reads both strings in place (no copy, no retain).
    @inline(__always)
    func lookupCombined(_ first: borrowing String, _ second: borrowing String) -> Int32 {
        let id = first.utf8.withContiguousStorageIfAvailable { a in
            second.utf8.withContiguousStorageIfAvailable { b in
                let total = a.count + 1 + b.count
                return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: total) { buffer in
                    let base = UnsafeMutableRawPointer(buffer.baseAddress!)
                    if a.count > 0 { base.copyMemory(from: a.baseAddress!, byteCount: a.count) }
                    base.storeBytes(of: UInt8(ascii: "/"), toByteOffset: a.count, as: UInt8.self)
                    if b.count > 0 { (base + a.count + 1).copyMemory(from: b.baseAddress!, byteCount: b.count) }
                    return lookup(UnsafeRawBufferPointer(buffer))
                }
            }
        }
        // Only strings without contiguous UTF-8 (bridged ones) take the slow path.
        return id.flatMap { $0 } ?? lookup((copy first) + "/" + (copy second))
    }

    /// The bytes of a symbol.
    @inline(__always)
    func bytes(_ id: Int32) -> UnsafeRawBufferPointer {
        let start = Int(offsets[Int(id)])
        let end = Int(offsets[Int(id) + 1])
        return UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage.buffer)[start..<end])
    }

    func string(_ id: Int32) -> String {
        String(decoding: bytes(id), as: UTF8.self)
    }
}

/// The last 1 to 7 bytes at `pointer` as one word, with at most three loads.
@inline(__always)
func loadTail(_ pointer: UnsafeRawPointer, _ count: Int) -> UInt64 {
    var word: UInt64 = 0
    var offset = 0
    if count & 4 != 0 {
        word = UInt64(pointer.loadUnaligned(as: UInt32.self))
        offset = 4
    }
    if count & 2 != 0 {
        word |= UInt64(pointer.loadUnaligned(fromByteOffset: offset, as: UInt16.self)) << UInt64(offset * 8)
        offset += 2
    }
    if count & 1 != 0 {
        word |= UInt64(pointer.load(fromByteOffset: offset, as: UInt8.self)) << UInt64(offset * 8)
    }
    return word
}

@inline(__always)
func memcmpEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
    if count < 8 { return count == 0 || loadTail(a, count) == loadTail(b, count) }
    var i = 0
    while i &+ 8 <= count {
        if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
            return false
        }
        i &+= 8
    }
    // The last 1 to 7 bytes: compare the last 8 (the overlap was already found equal).
    return i == count
        || a.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
}

/// Prefixes that most long subject names start with: a frozen table keeps a name's bytes after
/// one in its slot when the whole name is too long for it, so that a service account's name,
/// the most frequent long requester, is compared without reading the table's storage (a cache
/// miss more, one after the other, on a policy larger than the caches).
enum KnownPrefix: Int32 {
    /// Service-account user names, `system:serviceaccount:<namespace>:<name>`.
    case serviceAccount = 0
    /// Service-account groups, `system:serviceaccounts:<namespace>`.
    case serviceAccounts = 1

    /// Its bytes: 22 and 23.
    var length: Int { Self.length(rawValue) }

    /// Its text.
    var text: String { self == .serviceAccount ? "system:serviceaccount:" : "system:serviceaccounts:" }

    /// The length of prefix `rawValue` (0 or 1).
    @inline(__always)
    static func length(_ rawValue: Int32) -> Int { 22 &+ Int(rawValue) }

    /// Whether the bytes at `pointer` (at least ``length`` of them) start with prefix `rawValue`
    /// (0 or 1): three words, the first 16 bytes and the last 8.
    @inline(__always)
    static func starts(_ pointer: UnsafeRawPointer, _ rawValue: Int32) -> Bool {
        // "system:s", "erviceac", then "account:" or "ccounts:" (little-endian).
        let head = pointer.loadUnaligned(as: UInt64.self) ^ 0x733a_6d65_7473_7973
        let middle = pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self) ^ 0x6361_6563_6976_7265
        let last = pointer.loadUnaligned(fromByteOffset: length(rawValue) &- 8, as: UInt64.self)
        return head | middle | (last ^ (rawValue == 0 ? 0x3a74_6e75_6f63_6361 : 0x3a73_746e_756f_6363)) == 0
    }

    /// The known prefix `bytes` starts with, if any (while building).
    static func of(_ bytes: UnsafeRawBufferPointer) -> KnownPrefix? {
        [KnownPrefix.serviceAccount, .serviceAccounts].first { prefix in
            bytes.count > prefix.length && bytes.starts(with: prefix.text.utf8)
        }
    }
}
