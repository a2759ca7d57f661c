/// A slice of a compiled policy's id pool.
struct Span: Sendable, Hashable {
    var start: Int32
    var count: Int32

    static let empty = Span(start: 0, count: 0)
}

/// A ``PolicyRule`` with every string interned: what the evaluator tests a request against.
///
/// `*` entries become flags; the remaining entries are symbol ids in the policy's pool. A rule
/// resource `*/sub` becomes an entry of ``starSubresources`` holding the id of `sub`.
/// Non-resource URL entries ending in `*` become ``urlPrefixes`` (the id of the entry without its
/// trailing `*`s).
struct CompiledRule: Sendable, Hashable {
    struct Flags: OptionSet, Sendable, Hashable {
        let rawValue: UInt8
        static let allVerbs = Flags(rawValue: 1)
        static let allGroups = Flags(rawValue: 2)
        static let allResources = Flags(rawValue: 4)
        static let allURLs = Flags(rawValue: 8)
    }

    var flags: Flags = []
    var verbs = Span.empty
    var groups = Span.empty
    var resources = Span.empty
    var starSubresources = Span.empty
    var names = Span.empty
    var urls = Span.empty
    var urlPrefixes = Span.empty

    /// True when the rule can match some resource request at all (used by the role index).
    var isWildcardOnResources: Bool { flags.contains(.allResources) || starSubresources.count > 0 }
}

/// Compiles rules into a pool of ids.
struct RuleCompilerState {
    var symbols = SymbolTable()
    var pool: [Int32] = []
    var rules: [CompiledRule] = []

    private mutating func span(_ ids: [Int32]) -> Span {
        guard !ids.isEmpty else { return .empty }
        let span = Span(start: Int32(pool.count), count: Int32(ids.count))
        pool += ids
        return span
    }

    /// Compiles one rule and returns its index in ``rules``.
    mutating func compile(_ rule: PolicyRule) -> Int32 {
        var compiled = CompiledRule()
        var ids: [Int32] = []
        for verb in rule.verbs {
            if verb == "*" && verb.utf8.count == 1 { compiled.flags.insert(.allVerbs) } else { ids.append(symbols.intern(verb)) }
        }
        compiled.verbs = span(ids)
        ids = []
        for group in rule.apiGroups {
            if group.utf8.elementsEqual("*".utf8) { compiled.flags.insert(.allGroups) } else { ids.append(symbols.intern(group)) }
        }
        compiled.groups = span(ids)
        ids = []
        var starSubs: [Int32] = []
        for resource in rule.resources {
            if resource.utf8.elementsEqual("*".utf8) {
                compiled.flags.insert(.allResources)
                continue
            }
            ids.append(symbols.intern(resource))
            if resource.utf8.starts(with: "*/".utf8) && resource.utf8.count > 2 {
                starSubs.append(symbols.intern(String(Substring(resource.utf8.dropFirst(2)))))
            }
        }
        compiled.resources = span(ids)
        compiled.starSubresources = span(starSubs)
        compiled.names = span(rule.resourceNames.map { symbols.intern($0) })
        ids = []
        var prefixes: [Int32] = []
        for url in rule.nonResourceURLs {
            if url.utf8.elementsEqual("*".utf8) {
                compiled.flags.insert(.allURLs)
                continue
            }
            ids.append(symbols.intern(url))
            if url.utf8.last == UInt8(ascii: "*") {
                var trimmed = Substring(url).utf8
                while trimmed.last == UInt8(ascii: "*") { trimmed = trimmed.dropLast() }
                prefixes.append(symbols.intern(String(Substring(trimmed))))
            }
        }
        compiled.urls = span(ids)
        compiled.urlPrefixes = span(prefixes)
        rules.append(compiled)
        return Int32(rules.count - 1)
    }
}
