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
        ///   - attributes: how many attribute ids there are so far.
        ///   - roleResources: per role, the resource ids its rules name.
        ///   - starSubresources: the subresource ids of the rules' `*/sub` resources.
        ///   - name: an attribute's bytes, to break ties between resources named by as many
        ///     roles without depending on id order, and to find every `resource/sub`.
        init(attributes: Int, roleResources: [Set<Int32>], starSubresources: Set<Int32>, name: (Int32) -> [UInt8]) {
            var roleCounts: [Int32: Int] = [:]
            for resources in roleResources {
                for id in resources { roleCounts[id, default: 0] += 1 }
            }
            let ranked = roleCounts.map { (id: $0.key, roles: $0.value, name: name($0.key)) }.sorted {
                $0.roles != $1.roles ? $0.roles > $1.roles : $0.name.lexicographicallyPrecedes($1.name)
            }
            bits = Array(repeating: CompiledPolicy.sharedResourceBit, count: attributes)
            for (bit, resource) in ranked.prefix(Int(CompiledPolicy.sharedResourceBit)).enumerated() {
                bits[Int(resource.id)] = UInt8(bit)
            }
            let suffixes = starSubresources.map { (id: $0, suffix: [UInt8(ascii: "/")] + name($0)) }
            for id in starSubresources { starSubresourceMasks[id] = 1 << UInt64(CompiledPolicy.sharedResourceBit) }
            for attribute in 0..<Int32(attributes) {
                let bytes = name(attribute)
                for (id, suffix) in suffixes where bytes.count > suffix.count && bytes.suffix(suffix.count).elementsEqual(suffix) {
                    starSubresourceMasks[id, default: 0] |= 1 << UInt64(bits[Int(attribute)])
                }
            }
        }

        /// The bits of the requests a rule resource `*/sub` can allow (`sub` never missing).
        func starSubresourceMask(_ sub: Int32) -> UInt64 {
            starSubresourceMasks[sub] ?? (1 << 63) - 1
        }

        func bit(_ id: Int32) -> UInt8 {
            UInt(bitPattern: Int(id)) < UInt(bits.count) ? bits[Int(id)] : CompiledPolicy.sharedResourceBit
        }
    }
}
