/// Which bit of the roles' 64-bit resource filters each resource gets (see
/// ``CompiledPolicy/resourceFilterMask(_:pool:bits:)``).
///
/// The resources named by the most roles get a bit of their own, 0 to 61; every other resource,
/// and every id that is not a resource, shares ``CompiledPolicy/sharedResourceBit``. A `*/sub`
/// rule has the bits of the `resource/sub` the policy knows and the shared bit, not every bit.
/// (Before, a bit came from the id alone, `id % 63`, so resources collided, and `*/sub` rules
/// had every bit: on the large benchmark policy 1.63 role visits per request passed the
/// filters, 1.38 now, of which at most 0.90 can allow.)
///
/// Bits only filter, so their assignment changes no decision. It depends on the set of roles,
/// never on file order (ties are broken by the resources' bytes).
struct ResourceBits: Sendable {
    /// Per attribute id, its bit.
    private let bits: FrozenArray<UInt8>

    init(_ builder: Builder, in arena: TableArena) {
        bits = FrozenArray(builder.bits, in: arena)
    }

    /// The bit of attribute `id` (``SymbolTable/missing`` included).
    @inline(__always)
    func bit(_ id: Int32) -> UInt8 {
        Self.bit(id, in: bits.buffer)
    }

    /// The bit of attribute `id` in a table of bits by id: beyond it (ids interned later, and
    /// ``SymbolTable/missing``), the shared bit.
    @inline(__always)
    static func bit(_ id: Int32, in bits: UnsafeBufferPointer<UInt8>) -> UInt8 {
        UInt(bitPattern: Int(id)) < UInt(bits.count) ? bits[Int(id)] : CompiledPolicy.sharedResourceBit
    }

    /// The assignment, while compiling.
    struct Builder {
        fileprivate var bits: [UInt8]
        /// Per subresource id named by a rule's `*/sub`: the bits of every attribute ending in
        /// `/sub` (any request with that subresource whose `resource/sub` the policy knows), with
        /// the shared bit (the ones it does not know).
        private var starSubresourceMasks: [Int32: UInt64] = [:]

        /// - Parameters:
        ///   - roleResources: per role, the resource ids its rules name.
        ///   - starSubresources: the subresource ids of the rules' `*/sub` resources.
        ///   - attributeSymbols: the attribute table so far: its size, and the names' bytes, to
        ///     break ties between resources named by as many roles without depending on id
        ///     order, and to find every `resource/sub`.
        init(roleResources: [Set<Int32>], starSubresources: Set<Int32>, attributeSymbols: SymbolTable) {
            var roleCounts: [Int32: Int] = [:]
            for resources in roleResources {
                for id in resources { roleCounts[id, default: 0] += 1 }
            }
            let ranked = roleCounts.sorted {
                $0.value != $1.value
                    ? $0.value > $1.value : attributeSymbols.bytes($0.key).lexicographicallyPrecedes(attributeSymbols.bytes($1.key))
            }
            bits = Array(repeating: CompiledPolicy.sharedResourceBit, count: attributeSymbols.count)
            for (bit, resource) in ranked.prefix(Int(CompiledPolicy.sharedResourceBit)).enumerated() {
                bits[Int(resource.key)] = UInt8(bit)
            }
            let suffixes = starSubresources.map { (id: $0, suffix: [UInt8(ascii: "/")] + attributeSymbols.bytes($0)) }
            for id in starSubresources { starSubresourceMasks[id] = 1 << UInt64(CompiledPolicy.sharedResourceBit) }
            for attribute in 0..<Int32(attributeSymbols.count) {
                let bytes = attributeSymbols.bytes(attribute)
                // `>=`: a request with an empty resource and subresource `sub` has the combined
                // resource `/sub`, which `*/sub` matches as Kubernetes' `ResourceMatches` does.
                for (id, suffix) in suffixes where bytes.count >= suffix.count && bytes.suffix(suffix.count).elementsEqual(suffix) {
                    starSubresourceMasks[id, default: 0] |= 1 << UInt64(bits[Int(attribute)])
                }
            }
        }

        /// The bits of the requests a rule resource `*/sub` can allow (`sub` never missing).
        func starSubresourceMask(_ sub: Int32) -> UInt64 {
            starSubresourceMasks[sub] ?? (1 << 63) - 1
        }

        func bit(_ id: Int32) -> UInt8 {
            bits.withUnsafeBufferPointer { ResourceBits.bit(id, in: $0) }
        }
    }
}
