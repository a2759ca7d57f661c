@testable import ArbiterPolicy
import Testing

/// Symbol lookups are byte-exact at every name length, on each of the four comparison paths:
/// two words for names up to ``SymbolTable/shortLength`` bytes, the slot's inline copy (subject
/// names up to 32 bytes), a ``KnownPrefix`` and the inline copy of the rest, and the table's
/// storage beyond that.
struct SymbolLookupTests {
    /// Names of every length from 1 to 40 (some with NUL and 0xFF bytes); the same behind each
    /// known prefix, and, as decoys, each of those without its prefix but as long (its rest and
    /// then other bytes); and probes that differ from one of them in a single byte at every
    /// position, or by one byte more or less.
    static let names: [[UInt8]] = {
        let plain = (1...40).flatMap { length -> [[UInt8]] in
            let letters = (0..<length).map { UInt8(ascii: "a") + UInt8(($0 * 7 + length) % 26) }
            var binary = letters
            binary[length / 2] = 0
            binary[length - 1] = 0xff
            return [letters, binary]
        }
        let prefixed = [KnownPrefix.serviceAccount, .serviceAccounts].flatMap { prefix in
            plain.flatMap { rest -> [[UInt8]] in
                let name = Array(prefix.text.utf8) + rest
                return [name, rest + Array(repeating: UInt8(ascii: "z"), count: prefix.length)]
            }
        }
        return plain + prefixed
    }()

    static var probes: [[UInt8]] {
        var probes: [[UInt8]] = [[]]
        for name in names {
            probes.append(name)
            probes.append(Array(name.dropLast()))
            probes.append(name + [0])
            for position in name.indices {
                var changed = name
                changed[position] &+= 1
                probes.append(changed)
                changed[position] = 0
                probes.append(changed)
            }
        }
        return probes
    }

    @Test func everyLengthFindsExactlyItsName() {
        var table = SymbolTable()
        var expected: [[UInt8]: Int32] = [:]
        for name in Self.names {
            expected[name] = name.withUnsafeBytes { table.intern($0) }
        }
        let arena = TableArena(expectedBytes: 0)
        let subjects: FrozenSymbolTable<SubjectScopes> = table.frozen(in: arena)
        let attributes: FrozenSymbolTable<NoPayload> = table.frozen(in: arena)
        var checked = 0
        for probe in Self.probes {
            let want = expected[probe] ?? SymbolTable.missing
            probe.withUnsafeBytes { bytes in
                let hash = SymbolTable.hash(bytes)
                #expect(table.lookup(bytes) == want, "mutable table: \(probe)")
                #expect(subjects.entry(bytes).id == want, "subject table: \(probe)")
                #expect(attributes.entry(bytes).id == want, "attribute table: \(probe)")
                #expect(subjects.entry(bytes, hash: hash).id == want, "subject table, hash given: \(probe)")
                #expect(attributes.entryAndHash(bytes).hash == hash, "hash of \(probe)")
            }
            checked += 1
        }
        #expect(checked > 20_000)
    }

    /// Every name given the same hash: then only the comparisons of bytes (in words, inline,
    /// behind a known prefix, in the storage) tell the names apart along one probe sequence.
    @Test func comparisonsAloneTellNamesApart() {
        var table = SymbolTable()
        var expected: [[UInt8]: Int32] = [:]
        for name in Self.names {
            expected[name] = name.withUnsafeBytes { table.intern($0) }
        }
        let hash: UInt64 = 0x1234_5678_9abc_def0
        let arena = TableArena(expectedBytes: 0)
        let hashes = Array(repeating: hash, count: table.count)
        let subjects = FrozenSymbolTable<SubjectScopes>(storage: table.storage, offsets: table.offsets, hashes: hashes, in: arena)
        let attributes = FrozenSymbolTable<NoPayload>(storage: table.storage, offsets: table.offsets, hashes: hashes, in: arena)
        for probe in Self.probes {
            let want = expected[probe] ?? SymbolTable.missing
            probe.withUnsafeBytes { bytes in
                #expect(subjects.entry(bytes, hash: hash).id == want, "subject table: \(probe)")
                #expect(attributes.entry(bytes, hash: hash).id == want, "attribute table: \(probe)")
            }
        }
    }

    /// A service account's name of up to 32 bytes after its prefix is compared in the slot.
    @Test func knownPrefixesKeepTheRestInline() {
        var table = SymbolTable()
        let name = "system:serviceaccount:team-data-084:default"
        let id = table.intern(name)
        let other = table.intern("system:serviceaccounts:team-data-084:a-group-name-longer-than-32")
        let arena = TableArena(expectedBytes: 0)
        let subjects: FrozenSymbolTable<SubjectScopes> = table.frozen(in: arena)
        let offsets = subjects.slots.buffer.filter { $0.id >= 0 }.map { ($0.id, $0.offset) }
        #expect(offsets.contains { $0 == (id, ~KnownPrefix.serviceAccount.rawValue) })
        // Too long even without its prefix: compared in the storage.
        #expect(offsets.contains { $0.0 == other && $0.1 >= 0 })
        #expect(subjects.lookup(name) == id)
        #expect(subjects.lookup("system:serviceaccounts:team-data-084:a-group-name-longer-than-32") == other)
        #expect(KnownPrefix.of(UnsafeRawBufferPointer(start: nil, count: 0)) == nil)
    }

    /// The two-word form of short names is injective for each length: names of one length that
    /// differ in any one byte have different words.
    @Test func shortWordsTellEveryByteApart() {
        for length in 1...SymbolTable.shortLength {
            let name = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let words = name.withUnsafeBytes { SymbolTable.shortWords($0.baseAddress!, length) }
            for position in 0..<length {
                for delta: UInt8 in [1, 0x80] {
                    var changed = name
                    changed[position] &+= delta
                    let other = changed.withUnsafeBytes { SymbolTable.shortWords($0.baseAddress!, length) }
                    #expect(other != words, "length \(length), byte \(position)")
                }
            }
        }
    }
}
