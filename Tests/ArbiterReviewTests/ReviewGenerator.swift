/// A small deterministic generator (SplitMix64), so every run sees the same inputs.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

/// Writes random SubjectAccessReview JSON text: random field presence and order, `null`s,
/// whitespace, escapes, non-ASCII, nested unknown fields, v1 and v1beta1.
///
/// Keys within one object are always distinct byte strings, and map keys (`extra`) are never
/// merely canonically equivalent, so that Foundation (which keys dictionaries by `String ==`)
/// sees the same map.
struct ReviewGenerator {
    var random: SeededGenerator

    init(seed: UInt64) {
        random = SeededGenerator(seed: seed)
    }

    // MARK: - Building blocks

    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }

    mutating func pick<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &random)] }

    mutating func whitespace() -> String {
        chance(80) ? "" : pick([" ", "\n", "\t", "\r\n", "  "])
    }

    /// Characters a string may contain, including ones that must or may be escaped.
    private static let characters: [String] = [
        "a", "b", "z", "A", "Z", "0", "9", ":", "/", "-", ".", "_", " ", "*", "=", "~",
        "\"", "\\", "\n", "\t", "\u{1}", "\u{1F}", "\u{7F}",
        "é", "e\u{301}", "ß", "中", "文", "\u{212A}", "K", "😀", "\u{10FFFF}", "\u{FFFF}", "\u{2028}", "\u{0}",
    ]

    /// Map-key characters: no pairs that are canonically equivalent but byte-different.
    private static let keyCharacters: [String] = [
        "a", "b", "z", "A", "0", "9", ":", "/", "-", ".", "\"", "\\", "\n", "é", "中", "😀",
    ]

    /// Random text from `alphabet`.
    mutating func text(from alphabet: [String]? = nil, maxLength: Int = 12) -> String {
        let alphabet = alphabet ?? Self.characters
        var text = ""
        for _ in 0..<Int.random(in: 0...maxLength, using: &random) { text += pick(alphabet) }
        return text
    }

    /// `text` as a JSON string literal, each character raw or escaped at random.
    mutating func literal(_ text: String) -> String {
        var out = "\""
        for character in text { out += encode(String(character)) }
        return out + "\""
    }

    /// A JSON string literal for random text.
    mutating func stringLiteral(from alphabet: [String]? = nil, maxLength: Int = 12) -> String {
        let text = text(from: alphabet, maxLength: maxLength)
        return literal(text)
    }

    /// One character as JSON string content.
    private mutating func encode(_ character: String) -> String {
        var out = ""
        for scalar in character.unicodeScalars {
            let value = scalar.value
            let mustEscape = value < 0x20 || scalar == "\"" || scalar == "\\"
            if !mustEscape && chance(75) {
                out.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\"" where chance(70): out += "\\\""
            case "\\" where chance(70): out += "\\\\"
            case "\n" where chance(70): out += "\\n"
            case "\t" where chance(70): out += "\\t"
            case "/" where chance(50): out += "\\/"
            default:
                if value >= 0x10000 {
                    let offset = value - 0x10000
                    out += unicodeEscape(0xD800 + (offset >> 10)) + unicodeEscape(0xDC00 + (offset & 0x3FF))
                } else {
                    out += unicodeEscape(value)
                }
            }
        }
        return out
    }

    private mutating func unicodeEscape(_ unit: UInt32) -> String {
        var hex = String(unit, radix: 16, uppercase: chance(50))
        while hex.count < 4 { hex = "0" + hex }
        return "\\u" + hex
    }

    /// Any JSON value, for unknown fields.
    mutating func anyValue(depth: Int = 0) -> String {
        let kind = depth >= 4 ? Int.random(in: 0..<5, using: &random) : Int.random(in: 0..<7, using: &random)
        switch kind {
        case 0: return stringLiteral()
        case 1:
            return pick(["0", "-0", "1", "-12", "3.25", "1e10", "2E-3", "-0.5e+2", "123456789012345678901234567890"])
        case 2: return pick(["true", "false"])
        case 3: return "null"
        case 4: return "\"\""
        case 5:
            var items: [String] = []
            for _ in 0..<Int.random(in: 0...3, using: &random) {
                items.append(whitespace() + anyValue(depth: depth + 1) + whitespace())
            }
            return "[" + items.joined(separator: ",") + "]"
        default:
            var members: [String] = []
            for index in 0..<Int.random(in: 0...3, using: &random) {
                let suffix = pick(["", "x", "é", "\\n"])
                members.append(
                    "\"u\(index)\(suffix)\"" + whitespace() + ":" + whitespace() + anyValue(depth: depth + 1)
                )
            }
            return object(members)
        }
    }

    /// An object from member texts, in random order, sometimes with unknown members.
    mutating func object(_ members: [String], unknown: Int = 0) -> String {
        var all = members
        for index in 0..<unknown where chance(30) {
            all.append("\"x-unknown-\(index)\":" + anyValue())
        }
        all.shuffle(using: &random)
        var text = "{" + whitespace()
        for (index, member) in all.enumerated() {
            text += (index > 0 ? "," + whitespace() : "") + member + whitespace()
        }
        return text + "}"
    }

    /// `"key":value` with probability `percent`, else nothing (or `null` sometimes).
    mutating func member(_ key: String, percent: Int = 60, _ value: (inout ReviewGenerator) -> String) -> [String] {
        guard chance(percent) else { return [] }
        let text = chance(8) ? "null" : value(&self)
        return ["\"\(key)\"" + whitespace() + ":" + whitespace() + text]
    }

    mutating func stringArray(maxCount: Int = 4, keys: Bool = false) -> String {
        let count = Int.random(in: 0...maxCount, using: &random)
        var items: [String] = []
        for _ in 0..<count { items.append(stringLiteral(from: keys ? Self.keyCharacters : nil)) }
        return "[" + items.joined(separator: ",") + "]"
    }

    // MARK: - Reviews

    mutating func requirement() -> String {
        var members = member("key", percent: 90) { g in g.stringLiteral() }
        members += member("operator", percent: 90) { g in
            g.pick(["\"In\"", "\"NotIn\"", "\"Exists\"", "\"DoesNotExist\""])
        }
        members += member("values") { g in g.stringArray() }
        return object(members, unknown: 1)
    }

    mutating func selector() -> String {
        var members = member("rawSelector", percent: 30) { g in g.stringLiteral() }
        members += member("requirements") { g in
            var items: [String] = []
            for _ in 0..<Int.random(in: 0...2, using: &g.random) { items.append(g.requirement()) }
            return "[" + items.joined(separator: ",") + "]"
        }
        return object(members, unknown: 1)
    }

    mutating func resourceAttributes() -> String {
        var members: [String] = []
        for key in ["namespace", "verb", "group", "version", "resource", "subresource", "name"] {
            members += member(key) { g in
                g.chance(50) ? g.pick(["\"get\"", "\"pods\"", "\"apps\"", "\"v1\"", "\"\""]) : g.stringLiteral()
            }
        }
        members += member("fieldSelector", percent: 20) { g in g.selector() }
        members += member("labelSelector", percent: 20) { g in g.selector() }
        return object(members, unknown: 2)
    }

    mutating func extra() -> String {
        let count = Int.random(in: 0...3, using: &random)
        var members: [String] = []
        var keys = Set<[UInt8]>()
        for _ in 0..<count {
            let key = text(from: Self.keyCharacters, maxLength: 6)
            guard keys.insert(Array(key.utf8)).inserted else { continue }
            members.append(literal(key) + ":" + (chance(10) ? "null" : stringArray(keys: true)))
        }
        return object(members)
    }

    mutating func spec(groupsKey: String) -> String {
        var members: [String] = []
        members += member("resourceAttributes", percent: 70) { g in g.resourceAttributes() }
        members += member("nonResourceAttributes", percent: 30) { g in
            var inner = g.member("path") { g in g.pick(["\"/healthz\"", "\"/apis/*\""]) }
            inner += g.member("verb") { _ in "\"get\"" }
            return g.object(inner, unknown: 1)
        }
        members += member("user", percent: 80) { g in
            g.chance(50)
                ? g.pick(["\"jane\"", "\"system:serviceaccount:ns:sa\"", "\"K\"", "\"\\u212A\""]) : g.stringLiteral()
        }
        switch groupsKey {
        case "both":
            members += member("groups") { g in g.stringArray() }
            members += member("group") { g in g.stringArray() }
        default:
            members += member(groupsKey, percent: 80) { g in g.stringArray() }
        }
        members += member("extra", percent: 40) { g in g.extra() }
        members += member("uid", percent: 40) { g in g.stringLiteral() }
        return object(members, unknown: 2)
    }

    /// A whole review as JSON text.
    mutating func review() -> String {
        let apiVersion = pick([
            "authorization.k8s.io/v1", "authorization.k8s.io/v1", "authorization.k8s.io/v1beta1",
            "authorization.k8s.io/v1beta1", "authorization.k8s.io/v2", "",
        ])
        let groupsKey: String
        switch Int.random(in: 0..<10, using: &random) {
        case 0..<4: groupsKey = apiVersion.hasSuffix("v1beta1") ? "group" : "groups"
        case 4..<7: groupsKey = "both"
        default: groupsKey = pick(["group", "groups"])
        }
        var members: [String] = []
        members += member("apiVersion", percent: 90) { _ in "\"" + apiVersion + "\"" }
        members += member("kind", percent: 90) { g in
            g.pick(["\"SubjectAccessReview\"", "\"SubjectAccessReview\"", "\"SelfSubjectAccessReview\"", "\"Other\""])
        }
        members += member("metadata", percent: 50) { g in
            var inner = g.member("creationTimestamp", percent: 70) { _ in "null" }
            inner += g.member("name", percent: 20) { g in g.stringLiteral() }
            inner += g.member("namespace", percent: 20) { g in g.stringLiteral() }
            return g.object(inner, unknown: 2)
        }
        members += member("spec", percent: 95) { g in g.spec(groupsKey: groupsKey) }
        members += member("status", percent: 60) { g in
            var inner = g.member("allowed") { g in g.pick(["true", "false"]) }
            inner += g.member("denied", percent: 20) { g in g.pick(["true", "false"]) }
            inner += g.member("reason", percent: 20) { g in g.stringLiteral() }
            inner += g.member("evaluationError", percent: 10) { g in g.stringLiteral() }
            return g.object(inner, unknown: 1)
        }
        return whitespace() + object(members, unknown: 2) + whitespace()
    }

    // MARK: - Mutations

    /// Interesting bytes to insert: JSON punctuation, digits, letters of literals, invalid UTF-8.
    private static let interestingBytes: [UInt8] =
        Array("{}[],:\"\\/0123456789-+.eEtrufalsn \t\nuD".utf8) + [
            0x00, 0x01, 0x1F, 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xC3, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF,
        ]

    /// `bytes` with one to three random edits (delete, insert, replace, truncate, duplicate a slice).
    mutating func mutate(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<Int.random(in: 1...3, using: &random) where !bytes.isEmpty {
            let position = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<6, using: &random) {
            case 0: bytes.remove(at: position)
            case 1: bytes.insert(pick(Self.interestingBytes), at: position)
            case 2: bytes[position] = pick(Self.interestingBytes)
            case 3: bytes.removeSubrange(position...)
            case 4:
                let end = min(bytes.count, position + Int.random(in: 1...20, using: &random))
                let slice = Array(bytes[position..<end])
                bytes.insert(contentsOf: slice, at: Int.random(in: 0...bytes.count, using: &random))
            default: bytes[position] = UInt8.random(in: 0...255, using: &random)
            }
        }
        return bytes
    }
}
