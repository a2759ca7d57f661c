/// Loads policy sources (YAML or JSON text with a file name) into a ``PolicySet``.
///
/// Pure: takes bytes and a name, never a path; ``PolicySourceReader`` does the file system. JSON
/// is parsed by the same YAML parser (JSON is YAML's flow style), with the same limits and the
/// same duplicate-key rule.
public enum PolicyLoader {
    /// The outcome of loading: whatever could be read, and every error found.
    public struct Result: Sendable {
        public var set: PolicySet
        public var errors: [PolicyError]
        /// A content hash of every source read (16 hex digits), so that replicas serving the
        /// same policy report the same revision whatever the paths they read it from.
        public var revision: String

        public init(set: PolicySet = PolicySet(), errors: [PolicyError] = [], revision: String = "") {
            self.set = set
            self.errors = errors
            self.revision = revision
        }
    }

    /// 16 lower-case hex digits.
    static func hex(_ value: UInt64) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }

    /// FNV-1a over the bytes: a revision, not a security property.
    static func contentHash(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hex(hash)
    }

    /// Loads one source.
    public static func load(_ bytes: [UInt8], file: String, limits: YAMLLimits = .init()) -> Result {
        var result = decode(bytes, file: file, limits: limits)
        result.revision = contentHash(bytes)
        return result
    }

    private static func decode(_ bytes: [UInt8], file: String, limits: YAMLLimits) -> Result {
        let tree: YAMLTree
        do {
            tree = try YAMLTreeBuilder.parse(bytes, file: file, limits: limits)
        } catch {
            var set = PolicySet()
            set.sourceCount = 1
            return Result(set: set, errors: [error])
        }
        var decoder = PolicyDecoder(tree: tree, file: file)
        decoder.decodeAll()
        decoder.set.sourceCount = 1
        return Result(set: decoder.set, errors: decoder.errors)
    }

    /// Loads one source given as a string.
    public static func load(_ text: String, file: String, limits: YAMLLimits = .init()) -> Result {
        load(Array(text.utf8), file: file, limits: limits)
    }

    /// Merges the results of several sources and checks what only the whole set can show:
    /// duplicate objects (same kind, namespace and name), reported at the second occurrence.
    public static func combine(_ results: [Result]) -> Result {
        var combined = Result()
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for result in results {
            combined.set.merge(result.set)
            combined.errors += result.errors
            for byte in result.revision.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        }
        combined.revision = results.count == 1 ? results[0].revision : Self.hex(hash)
        combined.errors += duplicateErrors(in: combined.set)
        return combined
    }

    static func duplicateErrors(in set: PolicySet) -> [PolicyError] {
        var errors: [PolicyError] = []
        var seen: [ObjectKey: SourceLocation?] = [:]
        func check(_ kind: String, _ namespace: String, _ name: String, _ location: SourceLocation?) {
            let key = ObjectKey(kind: kind, namespace: ByteString(namespace), name: ByteString(name))
            if let first = seen[key] {
                let described = namespace.isEmpty ? "`\(name)`" : "`\(namespace)/\(name)`"
                let previous = first.map { " (first defined at \($0))" } ?? ""
                errors.append(PolicyError(.duplicateObject, "duplicate \(kind) \(described)\(previous)", at: location))
            } else {
                seen[key] = location
            }
        }
        for role in set.roles { check(role.kind.rawValue, role.namespace, role.name, role.location) }
        for binding in set.bindings { check(binding.kind.rawValue, binding.namespace, binding.name, binding.location) }
        for policy in set.accessPolicies { check("AccessPolicy", "", policy.name, policy.location) }
        return errors
    }

    private struct ObjectKey: Hashable {
        var kind: String
        var namespace: ByteString
        var name: ByteString
    }
}
