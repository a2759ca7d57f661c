/// Typed, located access to the nodes of a ``YAMLTree``, with Kubernetes' decoding rules.
///
/// Plain scalars resolve as sigs.k8s.io/yaml (YAML 1.1) resolves them: `null`, `~` and the empty
/// scalar are null; `true`, `yes`, `on`, ... are booleans; numbers are numbers. A string field
/// given a boolean or a number is an error (kubectl refuses it too), so `verbs: [get, on]` fails
/// loudly instead of silently meaning something else.
struct NodeReader {
    let tree: YAMLTree
    let file: String

    func location(_ index: Int32) -> SourceLocation {
        let node = tree[index]
        return SourceLocation(file: file, line: Int(node.line), column: Int(node.column))
    }

    func isNull(_ index: Int32) -> Bool {
        let node = tree[index]
        return node.kind == .scalar && node.plain && Self.isNullLiteral(tree.scalar(node))
    }

    static func isNullLiteral(_ text: String) -> Bool {
        text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
    }

    /// What a plain scalar resolves to, for error messages; `nil` for a string.
    static func nonStringType(_ text: String) -> String? {
        if isNullLiteral(text) { return "null" }
        switch text {
        case "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False",
            "FALSE", "on", "On", "ON", "off", "Off", "OFF":
            return "a boolean"
        default:
            break
        }
        if looksNumeric(text) { return "a number" }
        return nil
    }

    private static func looksNumeric(_ text: String) -> Bool {
        let lower = text.lowercased()
        if [".inf", "+.inf", "-.inf", ".nan"].contains(lower) { return true }
        var bytes = Array(text.utf8)
        if let first = bytes.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") { bytes.removeFirst() }
        guard let first = bytes.first else { return false }
        if bytes.count > 2, first == UInt8(ascii: "0"), bytes[1] == UInt8(ascii: "x") || bytes[1] == UInt8(ascii: "b") {
            return bytes.dropFirst(2).allSatisfy { isHex($0) || $0 == UInt8(ascii: "_") }
        }
        var digits = 0
        var sawDot = false
        var sawExponent = false
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                digits += 1
            } else if c == UInt8(ascii: "_") && !sawExponent {
            } else if c == UInt8(ascii: ".") && !sawDot && !sawExponent {
                sawDot = true
            } else if (c == UInt8(ascii: "e") || c == UInt8(ascii: "E")) && digits > 0 && !sawExponent {
                sawExponent = true
                if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "+") || bytes[i + 1] == UInt8(ascii: "-") { i += 1 }
                guard i + 1 < bytes.count else { return false }
            } else {
                return false
            }
            i += 1
        }
        return digits > 0
    }

    private static func isHex(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f"))
            || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "F"))
    }

    private func describe(_ index: Int32) -> String {
        let node = tree[index]
        switch node.kind {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar:
            let text = tree.scalar(node)
            if node.plain, let type = Self.nonStringType(text) { return "\(type) `\(text)`" }
            return "the string `\(text)`"
        }
    }

    /// The pairs of a mapping node (`null` is an empty mapping). Keys must be strings; they are
    /// returned only when ASCII, since every field name we know is ASCII (so `switch` on them is
    /// byte-exact); other keys come back as `nil` and count as unknown fields.
    func mapping(_ index: Int32, _ what: @autoclosure () -> String) throws(PolicyError) -> [(key: String?, keyNode: Int32, value: Int32)] {
        if isNull(index) { return [] }
        let node = tree[index]
        guard node.kind == .mapping else {
            throw PolicyError(.wrongType, "\(what()) must be a mapping, found \(describe(index))", at: location(index))
        }
        var result: [(key: String?, keyNode: Int32, value: Int32)] = []
        result.reserveCapacity(Int(node.count) / 2)
        let entries = tree.childIndices(node)
        var i = entries.startIndex
        while i < entries.endIndex {
            let keyNode = entries[i]
            let key = tree[keyNode]
            guard key.kind == .scalar else {
                throw PolicyError(.wrongType, "mapping keys in \(what()) must be strings", at: location(keyNode))
            }
            let text = tree.scalar(key)
            result.append((text.utf8.allSatisfy { $0 < 0x80 } ? text : nil, keyNode, entries[i + 1]))
            i += 2
        }
        return result
    }

    /// A string field; `nil` when null.
    func string(_ index: Int32, _ what: @autoclosure () -> String) throws(PolicyError) -> String? {
        let node = tree[index]
        guard node.kind == .scalar else {
            throw PolicyError(.wrongType, "\(what()) must be a string, found \(describe(index))", at: location(index))
        }
        let text = tree.scalar(node)
        if node.plain, let type = Self.nonStringType(text) {
            if type == "null" { return nil }
            throw PolicyError(
                .wrongType, "\(what()) must be a string, found \(type) `\(text)`; quote it", at: location(index))
        }
        return text
    }

    /// A list of strings; null is the empty list.
    func stringList(_ index: Int32, _ what: @autoclosure () -> String) throws(PolicyError) -> [String] {
        if isNull(index) { return [] }
        let node = tree[index]
        guard node.kind == .sequence else {
            throw PolicyError(.wrongType, "\(what()) must be a list of strings, found \(describe(index))", at: location(index))
        }
        var result: [String] = []
        result.reserveCapacity(Int(node.count))
        for child in tree.childIndices(node) {
            guard let value = try string(child, "an entry of \(what())") else {
                throw PolicyError(.wrongType, "an entry of \(what()) must be a string, found null", at: location(child))
            }
            result.append(value)
        }
        return result
    }

    /// The entries of a list; null is the empty list.
    func list(_ index: Int32, _ what: @autoclosure () -> String) throws(PolicyError) -> [Int32] {
        if isNull(index) { return [] }
        let node = tree[index]
        guard node.kind == .sequence else {
            throw PolicyError(.wrongType, "\(what()) must be a list, found \(describe(index))", at: location(index))
        }
        return Array(tree.childIndices(node))
    }

    /// A map of strings to strings (labels); null is empty.
    func stringMap(_ index: Int32, _ what: @autoclosure () -> String) throws(PolicyError) -> [String: String] {
        var result: [String: String] = [:]
        for entry in try mapping(index, what()) {
            let key = tree.scalar(tree[entry.keyNode])
            result[key] = try string(entry.value, "the value of `\(key)` in \(what())") ?? ""
        }
        return result
    }
}
