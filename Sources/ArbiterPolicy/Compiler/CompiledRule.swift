/// A slice of a compiled policy's id pool.
struct Span: Sendable, Hashable {
    var start: Int32
    var count: Int32

    static let empty = Span(start: 0, count: 0)
}

/// The ids of one field of a compiled rule (its verbs, API groups, resources, ...).
///
/// A single id is kept in place; two or more are a slice of the policy's pool. Most rules name
/// one API group and often one resource, so most tests of a rule read no pool at all: one
/// dependent load fewer per rule (the pool is one more cache line away from the rule).
struct IdList: Sendable, Hashable {
    /// The id itself when ``count`` is 1; otherwise where the ids start in the pool.
    var head: Int32
    var count: Int32

    static let empty = IdList(head: 0, count: 0)

    /// Id `i` (below ``count``).
    @inline(__always)
    func id(_ i: Int, in pool: UnsafeBufferPointer<Int32>) -> Int32 {
        count == 1 ? head : pool[Int(head) + i]
    }

    /// Id `i` (below ``count``), from the compiler's pool.
    func id(_ i: Int, in pool: [Int32]) -> Int32 {
        pool.withUnsafeBufferPointer { id(i, in: $0) }
    }

    /// Every id, from the compiler's pool.
    func ids(in pool: [Int32]) -> [Int32] {
        (0..<Int(count)).map { id($0, in: pool) }
    }

    /// Whether `id` is one of the ids.
    @inline(__always)
    func contains(_ id: Int32, in pool: UnsafeBufferPointer<Int32>) -> Bool {
        if count == 1 { return head == id }
        var i = Int(head)
        let end = i + Int(count)
        while i < end {
            if pool[i] == id { return true }
            i += 1
        }
        return false
    }
}

/// A ``PolicyRule`` with every string interned: what the evaluator tests a request against.
///
/// `*` entries become flags; the remaining entries are symbol ids (``IdList``: one in place, more
/// in the policy's pool). A rule resource `*/sub` becomes an entry of ``starSubresources``
/// holding the id of `sub`.
/// Non-resource URL entries ending in `*` become ``urlPrefixes`` (the id of the entry without its
/// trailing `*`s).
struct CompiledRule: Sendable, Hashable {
    struct Flags: OptionSet, Sendable, Hashable {
        let rawValue: UInt8
        static let allVerbs = Flags(rawValue: 1)
        static let allGroups = Flags(rawValue: 2)
        static let allResources = Flags(rawValue: 4)
        static let allURLs = Flags(rawValue: 8)
        /// In a ``RuleHead`` only (``CompiledRule/head``): ``names`` is not empty (the rule is
        /// restricted to those resource names).
        static let hasNames = Flags(rawValue: 16)
        /// In a ``RuleHead`` only: ``starSubresources`` is not empty.
        static let hasStarSubresources = Flags(rawValue: 32)
        /// In a ``RuleHead`` only: the first rule of a role over ``CompiledPolicy/roleIndexThreshold``
        /// (its rules are found through the role's resource index, ``CompiledPolicy/RoleInfo``).
        static let firstOfIndexedRole = Flags(rawValue: 64)
        /// In a ``RuleHead`` only: the rule names exactly two resources, both in the head
        /// (``RuleHead/resources``' `head` and ``RuleHead/secondResource``), so that testing
        /// them reads no pool.
        static let resourcePair = Flags(rawValue: 128)
    }

    var flags: Flags = []
    /// One bit per verb of the policy's first 63 verbs (the verb table's ids), bit 63 for any
    /// later verb; all bits for `*`. A request whose verb bit is not here cannot match. The verb
    /// ids themselves (``RuleCompilerState/ruleVerbs``) are only read for a request verb without
    /// a bit of its own, so they live beside the rules, not in them: a rule is then 64 bytes, one
    /// cache line (with the ids in it, 72 bytes, most rules straddled two).
    var verbMask: UInt64 = 0
    var groups = IdList.empty
    var resources = IdList.empty
    var starSubresources = IdList.empty
    var names = IdList.empty
    var urls = IdList.empty
    var urlPrefixes = IdList.empty

    /// True when the rule can match some resource request at all (used by the role index).
    var isWildcardOnResources: Bool { flags.contains(.allResources) || starSubresources.count > 0 }

    /// What a test of this rule against a resource request reads first (outside any role).
    var head: RuleHead {
        var flags = self.flags
        if names.count > 0 { flags.insert(.hasNames) }
        if starSubresources.count > 0 { flags.insert(.hasStarSubresources) }
        return RuleHead(verbMask: verbMask, groups: groups, resources: resources, extra: -1, roleRuleCount: 0, flags: flags)
    }
}

/// The part of a ``CompiledRule`` that most tests of it need: its verbs, API groups and
/// resources, and flags saying whether the rest (resource names, `*/sub` entries) must be read
/// from the full rule. 32 bytes, two rules per cache line, so the rules of a role take about
/// half the lines they would as whole rules (64 bytes each), and the head table, half the size,
/// stays in cache longer beside the subject tables of a large policy.
///
/// The head of a role's first rule also says what the evaluator would otherwise read from
/// ``CompiledPolicy/RoleInfo`` first: how many rules the role has, and whether it is indexed.
/// A subject-index entry names its role's first rule, so testing a role starts with that rule,
/// one dependent load after the entry instead of two.
struct RuleHead: BitwiseCopyable {
    var verbMask: UInt64
    var groups: IdList
    /// As in the rule; with ``CompiledRule/Flags/resourcePair``, `head` is the first of the two
    /// resource ids (not a pool position) and ``secondResource`` the other.
    var resources: IdList
    /// With ``CompiledRule/Flags/firstOfIndexedRole``: the role (its ``CompiledPolicy/RoleInfo``
    /// has the rule count and the resource index). With ``CompiledRule/Flags/resourcePair``: the
    /// second resource id. Otherwise -1. (Never both: an indexed role's first rule keeps its
    /// resources in the pool.)
    var extra: Int32
    /// On a role's first rule: the role's rule count (0 when indexed: ``CompiledPolicy/RoleInfo`` has it).
    var roleRuleCount: UInt16
    var flags: CompiledRule.Flags

    /// The role of an indexed role's first rule.
    var indexedRole: Int32 { extra }
    /// The second resource of a ``CompiledRule/Flags/resourcePair`` head.
    var secondResource: Int32 { extra }

    /// Whether the head's resources name `id` (the rule has no resource wildcard flag).
    @inline(__always)
    func namesResource(_ id: Int32, in pool: UnsafeBufferPointer<Int32>) -> Bool {
        if flags.contains(.resourcePair) { return resources.head == id || secondResource == id }
        return resources.contains(id, in: pool)
    }
}

/// Compiles rules into a pool of ids.
struct RuleCompilerState {
    /// Subject names (users, groups, service-account user names, pattern prefixes).
    var symbols = SymbolTable()
    /// Request attributes (API groups, resources, subresources, names, URLs, namespaces): a
    /// separate, small table that stays in cache, probed several times per request.
    var attributeSymbols = SymbolTable()
    /// Verbs have their own small table, so that a verb id doubles as its bit in ``CompiledRule/verbMask``.
    var verbSymbols = SymbolTable()
    var pool: [Int32] = []
    var rules: [CompiledRule] = []
    /// Per rule, its verb ids in the *verb* table (not the main symbol table).
    var ruleVerbs: [IdList] = []

    private mutating func list(_ ids: [Int32]) -> IdList {
        switch ids.count {
        case 0: return .empty
        case 1: return IdList(head: ids[0], count: 1)
        default:
            let list = IdList(head: Int32(pool.count), count: Int32(ids.count))
            pool += ids
            return list
        }
    }

    /// The mask bit of a verb id: its own bit for the first 63 verbs, bit 63 for all others.
    @inline(__always)
    static func verbBit(_ id: Int32) -> UInt64 {
        id < 0 ? 1 << 63 : (id < 63 ? 1 << UInt64(id) : 1 << 63)
    }

    /// Compiles one rule and returns its index in ``rules``.
    mutating func compile(_ rule: PolicyRule) -> Int32 {
        var compiled = CompiledRule()
        var ids: [Int32] = []
        for verb in rule.verbs {
            if verb.utf8.elementsEqual("*".utf8) {
                compiled.flags.insert(.allVerbs)
                compiled.verbMask = ~0
            } else {
                let id = verbSymbols.intern(verb)
                ids.append(id)
                compiled.verbMask |= Self.verbBit(id)
            }
        }
        let verbs = list(ids)
        ids = []
        for group in rule.apiGroups {
            if group.utf8.elementsEqual("*".utf8) { compiled.flags.insert(.allGroups) } else { ids.append(attributeSymbols.intern(group)) }
        }
        compiled.groups = list(ids)
        ids = []
        var starSubs: [Int32] = []
        for resource in rule.resources {
            if resource.utf8.elementsEqual("*".utf8) {
                compiled.flags.insert(.allResources)
                continue
            }
            ids.append(attributeSymbols.intern(resource))
            if resource.utf8.starts(with: "*/".utf8) && resource.utf8.count > 2 {
                starSubs.append(attributeSymbols.intern(String(Substring(resource.utf8.dropFirst(2)))))
            }
        }
        compiled.resources = list(ids)
        compiled.starSubresources = list(starSubs)
        compiled.names = list(rule.resourceNames.map { attributeSymbols.intern($0) })
        ids = []
        var prefixes: [Int32] = []
        for url in rule.nonResourceURLs {
            if url.utf8.elementsEqual("*".utf8) {
                compiled.flags.insert(.allURLs)
                continue
            }
            ids.append(attributeSymbols.intern(url))
            if url.utf8.last == UInt8(ascii: "*") {
                var trimmed = Substring(url).utf8
                while trimmed.last == UInt8(ascii: "*") { trimmed = trimmed.dropLast() }
                prefixes.append(attributeSymbols.intern(String(Substring(trimmed))))
            }
        }
        compiled.urls = list(ids)
        compiled.urlPrefixes = list(prefixes)
        rules.append(compiled)
        ruleVerbs.append(verbs)
        return Int32(rules.count - 1)
    }
}
