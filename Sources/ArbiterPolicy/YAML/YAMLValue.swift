/// A parsed YAML (or JSON) value with the location of every node, for configuration files and
/// other documents that are not policies.
///
/// Parsing uses the same bounded parser as policies (size, depth and alias limits; duplicate
/// and merge keys refused). Plain scalars keep their text and a `plain` flag so that callers
/// can apply YAML 1.1 typing where they need it (see ``YAMLValue/string(_:)``).
public indirect enum YAMLValue: Sendable {
    case null(SourceLocation)
    case scalar(String, plain: Bool, SourceLocation)
    case mapping([Entry], SourceLocation)
    case sequence([YAMLValue], SourceLocation)

    public struct Entry: Sendable {
        public var key: String
        public var keyLocation: SourceLocation
        public var value: YAMLValue
    }

    public var location: SourceLocation {
        switch self {
        case .null(let l), .scalar(_, _, let l), .mapping(_, let l), .sequence(_, let l): return l
        }
    }

    /// The documents of a YAML stream (empty documents are `.null`).
    public static func parse(_ bytes: [UInt8], file: String, limits: YAMLLimits = YAMLLimits()) throws(PolicyError) -> [YAMLValue] {
        let tree = try YAMLTreeBuilder.parse(bytes, file: file, limits: limits)
        let reader = NodeReader(tree: tree, file: file)
        return try tree.documents.map { (root) throws(PolicyError) -> YAMLValue in
            guard let root else { return .null(SourceLocation(file: file, line: 1, column: 1)) }
            return try convert(root, reader)
        }
    }

    private static func convert(_ index: Int32, _ reader: NodeReader) throws(PolicyError) -> YAMLValue {
        let node = reader.tree[index]
        let location = reader.location(index)
        switch node.kind {
        case .scalar:
            if reader.isNull(index) { return .null(location) }
            return .scalar(reader.tree.scalar(node), plain: node.plain, location)
        case .sequence:
            return .sequence(try reader.tree.childIndices(node).map { (child) throws(PolicyError) in try convert(child, reader) }, location)
        case .mapping:
            var entries: [Entry] = []
            for entry in try reader.mapping(index, "a mapping") {
                entries.append(
                    Entry(
                        key: reader.tree.scalar(reader.tree[entry.keyNode]), keyLocation: reader.location(entry.keyNode),
                        value: try convert(entry.value, reader)))
            }
            return .mapping(entries, location)
        }
    }

    // MARK: - Typed access

    /// A string; `nil` for null. Plain scalars that YAML reads as booleans or numbers are errors
    /// (quote them), as in policy files.
    public func string(_ what: String) throws(PolicyError) -> String? {
        switch self {
        case .null: return nil
        case .scalar(let text, let plain, let location):
            if plain, let type = NodeReader.nonStringType(text), type != "null" {
                throw PolicyError(.wrongType, "\(what) must be a string, found \(type) `\(text)`; quote it", at: location)
            }
            return text
        default:
            throw PolicyError(.wrongType, "\(what) must be a string", at: location)
        }
    }

    /// A list of strings; null is empty.
    public func stringList(_ what: String) throws(PolicyError) -> [String] {
        switch self {
        case .null: return []
        case .sequence(let items, _):
            var result: [String] = []
            for item in items {
                guard let value = try item.string("an entry of \(what)") else {
                    throw PolicyError(.wrongType, "an entry of \(what) must be a string, found null", at: item.location)
                }
                result.append(value)
            }
            return result
        default:
            throw PolicyError(.wrongType, "\(what) must be a list of strings", at: location)
        }
    }

    /// A non-negative integer.
    public func integer(_ what: String) throws(PolicyError) -> Int? {
        switch self {
        case .null: return nil
        case .scalar(let text, let plain, let location):
            guard plain, let value = Int(text), value >= 0 else {
                throw PolicyError(.wrongType, "\(what) must be a non-negative integer, found `\(text)`", at: location)
            }
            return value
        default:
            throw PolicyError(.wrongType, "\(what) must be an integer", at: location)
        }
    }

    /// A boolean: plain `true` or `false` only (not YAML 1.1's `yes`, `on`, ...).
    public func boolean(_ what: String) throws(PolicyError) -> Bool? {
        switch self {
        case .null: return nil
        case .scalar(let text, let plain, let location):
            guard plain, text == "true" || text == "false" else {
                throw PolicyError(.wrongType, "\(what) must be `true` or `false`, found `\(text)`", at: location)
            }
            return text == "true"
        default:
            throw PolicyError(.wrongType, "\(what) must be `true` or `false`", at: location)
        }
    }

    /// A mapping's entries; null is empty. Unknown keys are the caller's to refuse.
    public func entries(_ what: String) throws(PolicyError) -> [Entry] {
        switch self {
        case .null: return []
        case .mapping(let entries, _): return entries
        default: throw PolicyError(.wrongType, "\(what) must be a mapping", at: location)
        }
    }
}
