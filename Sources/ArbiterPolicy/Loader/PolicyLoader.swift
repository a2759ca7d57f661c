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
            let text = file.utf8.count >= 5 && file.lowercased().hasSuffix(".json") ? JSONSurrogates.forYAML(bytes) : bytes
            tree = try YAMLTreeBuilder.parse(text, file: file, limits: limits, recoveringDocuments: true)
        } catch {
            var set = PolicySet()
            set.sourceCount = 1
            return Result(set: set, errors: [error])
        }
        var decoder = PolicyDecoder(tree: tree, file: file)
        decoder.decodeAll()
        decoder.set.sourceCount = 1
        // A file with no object at all (empty, comments only, `---` alone, a List without
        // items) is what a truncated copy looks like: refused, as `kubectl apply` refuses it,
        // so that emptying one file of several (a Deny among them) cannot pass as a
        // successful reload.
        if decoder.objectCount == 0 && decoder.errors.isEmpty && tree.documentErrors.isEmpty {
            return Result(
                set: decoder.set,
                errors: [
                    PolicyError(
                        .missingField, "the file has no objects (an empty or truncated file?); a policy file holds at least one",
                        at: SourceLocation(file: file, line: 1, column: 1))
                ])
        }
        guard !tree.documentErrors.isEmpty else { return Result(set: decoder.set, errors: decoder.errors) }
        // A dropped document's problem among the others' in file order (a stable sort: the
        // decoder's own order stays within a line).
        let errors = (tree.documentErrors + decoder.errors + (tree.fatalError.map { [$0] } ?? [])).enumerated().sorted { a, b in
            let (la, lb) = (a.element.location?.line ?? 0, b.element.location?.line ?? 0)
            return la != lb ? la < lb : a.offset < b.offset
        }.map(\.element)
        return Result(set: decoder.set, errors: errors)
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

/// JSON writes a character outside the Basic Multilingual Plane as a UTF-16 surrogate pair
/// (`"\ud83d\ude00"`, what Python's `json.dump` writes by default); YAML, whose parser reads
/// `.json` files too, refuses surrogate escapes. Go's decoder, which Kubernetes uses, accepts the
/// pair and reads a lone surrogate as U+FFFD.
enum JSONSurrogates {
    /// `bytes` with every surrogate pair inside a string rewritten as YAML's `\UXXXXXXXX`, the two
    /// bytes saved put after the string's closing quote as spaces (so every token after the
    /// string keeps its column), and every lone surrogate as `\uFFFD`. The length never changes;
    /// bytes without `\uD` are returned as they are.
    static func forYAML(_ bytes: [UInt8]) -> [UInt8] {
        let backslash = UInt8(ascii: "\\"), quote = UInt8(ascii: "\""), u = UInt8(ascii: "u")
        guard bytes.indices.contains(where: { i in
            bytes[i] == backslash && i + 2 < bytes.count && bytes[i + 1] == u && (bytes[i + 2] | 0x20) == UInt8(ascii: "d")
        }) else { return bytes }
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for byte in bytes[at..<(at + 4)] {
                guard let digit = hexDigit(byte) else { return nil }
                value = value << 4 | digit
            }
            return value
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var inString = false
        var pending = 0
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            guard inString else {
                if byte == quote { inString = true }
                out.append(byte)
                i += 1
                continue
            }
            if byte == quote {
                out.append(byte)
                out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: pending))
                pending = 0
                inString = false
                i += 1
                continue
            }
            guard byte == backslash, i + 1 < bytes.count else {
                out.append(byte)
                i += 1
                continue
            }
            if bytes[i + 1] == u, let unit = hex4(i + 2), (0xD800...0xDFFF).contains(unit) {
                if unit <= 0xDBFF, i + 12 <= bytes.count, bytes[i + 6] == backslash, bytes[i + 7] == u,
                    let low = hex4(i + 8), (0xDC00...0xDFFF).contains(low)
                {
                    let scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    let digits = String(scalar, radix: 16)
                    out += Array("\\U".utf8) + Array(repeating: UInt8(ascii: "0"), count: 8 - digits.utf8.count) + Array(digits.utf8)
                    pending += 2
                    i += 12
                } else {
                    out += Array("\\uFFFD".utf8)
                    i += 6
                }
                continue
            }
            // Any other escape: both bytes as they are (an escaped quote does not end the string).
            out.append(byte)
            out.append(bytes[i + 1])
            i += 2
        }
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: pending))
        return out
    }

    private static func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }
}
