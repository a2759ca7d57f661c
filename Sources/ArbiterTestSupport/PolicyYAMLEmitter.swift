public import ArbiterPolicy

/// Writes policy model values as YAML the loader accepts, so generated policies can go through
/// the loader and round-trip tests can compare decisions.
///
/// The layout varies with the generator: block or flow collections, plain, single- or
/// double-quoted scalars, one document per object or `kind: List` and typed lists
/// (`ClusterRoleList` with items that carry no `apiVersion`/`kind`). Every layout decodes to the
/// same objects.
public struct PolicyYAMLEmitter {
    /// A YAML value before layout.
    indirect enum Value {
        case string(String)
        case map([(String, Value)])
        case list([Value])
    }

    public var rng: SplitMix64

    public init(seed: UInt64) { self.rng = SplitMix64(seed: seed) }

    // MARK: - Objects

    static let rbacAPIVersion = "rbac.authorization.k8s.io/v1"
    static let arbiterAPIVersion = "arbiter.dev/v1alpha1"

    static func strings(_ list: [String]) -> Value { .list(list.map { .string($0) }) }

    static func rule(_ rule: PolicyRule) -> Value {
        var fields: [(String, Value)] = []
        if !rule.apiGroups.isEmpty { fields.append(("apiGroups", strings(rule.apiGroups))) }
        if !rule.resources.isEmpty { fields.append(("resources", strings(rule.resources))) }
        if !rule.resourceNames.isEmpty { fields.append(("resourceNames", strings(rule.resourceNames))) }
        if !rule.nonResourceURLs.isEmpty { fields.append(("nonResourceURLs", strings(rule.nonResourceURLs))) }
        fields.append(("verbs", strings(rule.verbs)))
        return .map(fields)
    }

    static func labels(_ labels: [String: String]) -> Value {
        .map(labels.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { ($0.key, .string($0.value)) })
    }

    static func body(_ role: Role) -> [(String, Value)] {
        var metadata: [(String, Value)] = [("name", .string(role.name))]
        if role.kind == .role { metadata.append(("namespace", .string(role.namespace))) }
        if !role.labels.isEmpty { metadata.append(("labels", labels(role.labels))) }
        var fields: [(String, Value)] = [("metadata", .map(metadata))]
        if let aggregation = role.aggregationRule {
            let selectors = aggregation.clusterRoleSelectors.map { selector -> Value in
                var fields: [(String, Value)] = []
                if !selector.matchLabels.isEmpty { fields.append(("matchLabels", labels(selector.matchLabels))) }
                if !selector.matchExpressions.isEmpty {
                    fields.append(
                        (
                            "matchExpressions",
                            .list(
                                selector.matchExpressions.map { requirement in
                                    var entry: [(String, Value)] = [
                                        ("key", .string(requirement.key)), ("operator", .string(requirement.operator.rawValue)),
                                    ]
                                    if !requirement.values.isEmpty { entry.append(("values", strings(requirement.values))) }
                                    return .map(entry)
                                })
                        ))
                }
                return .map(fields)
            }
            fields.append(("aggregationRule", .map([("clusterRoleSelectors", .list(selectors))])))
        }
        fields.append(("rules", .list(role.rules.map(rule))))
        return fields
    }

    static func body(_ binding: Binding) -> [(String, Value)] {
        var metadata: [(String, Value)] = [("name", .string(binding.name))]
        if binding.kind == .roleBinding { metadata.append(("namespace", .string(binding.namespace))) }
        let subjects = binding.subjects.map { subject -> Value in
            var fields: [(String, Value)] = [("kind", .string(subject.kind.rawValue)), ("name", .string(subject.name))]
            if subject.kind == .serviceAccount {
                if !subject.namespace.isEmpty { fields.append(("namespace", .string(subject.namespace))) }
            } else {
                fields.append(("apiGroup", .string("rbac.authorization.k8s.io")))
            }
            return .map(fields)
        }
        var roleRef: [(String, Value)] = [("kind", .string(binding.roleRef.kind.rawValue)), ("name", .string(binding.roleRef.name))]
        if !binding.roleRef.apiGroup.isEmpty { roleRef.insert(("apiGroup", .string(binding.roleRef.apiGroup)), at: 0) }
        return [("metadata", .map(metadata)), ("subjects", .list(subjects)), ("roleRef", .map(roleRef))]
    }

    static func pattern(_ subject: SubjectPattern) -> Value {
        var fields: [(String, Value)] = [("kind", .string(subject.kind.rawValue)), ("name", .string(subject.name))]
        if subject.kind == .serviceAccount { fields.append(("namespace", .string(subject.namespace))) }
        return .map(fields)
    }

    static func body(_ policy: AccessPolicy) -> [(String, Value)] {
        var spec: [(String, Value)] = [
            ("effect", .string(policy.effect.rawValue)), ("subjects", .list(policy.subjects.map(pattern))),
        ]
        if !policy.except.isEmpty { spec.append(("except", .list(policy.except.map(pattern)))) }
        if let namespaces = policy.namespaces { spec.append(("namespaces", strings(namespaces))) }
        spec.append(("rules", .list(policy.rules.map(rule))))
        return [("metadata", .map([("name", .string(policy.name))])), ("spec", .map(spec))]
    }

    /// An object: its apiVersion, kind and the rest.
    struct Object {
        var apiVersion: String
        var kind: String
        var body: [(String, Value)]

        var full: Value { .map([("apiVersion", .string(apiVersion)), ("kind", .string(kind))] + body) }
    }

    static func objects(_ set: PolicySet) -> [Object] {
        set.roles.map { Object(apiVersion: rbacAPIVersion, kind: $0.kind.rawValue, body: body($0)) }
            + set.bindings.map { Object(apiVersion: rbacAPIVersion, kind: $0.kind.rawValue, body: body($0)) }
            + set.accessPolicies.map { Object(apiVersion: arbiterAPIVersion, kind: "AccessPolicy", body: body($0)) }
    }

    // MARK: - Files

    /// The set as one YAML stream, objects in random order and layouts.
    public mutating func emit(_ set: PolicySet) -> String {
        documents(rng.shuffled(Self.objects(set)))
    }

    /// The set split over `count` files (each a YAML stream), objects shuffled.
    public mutating func emitFiles(_ set: PolicySet, count: Int) -> [String] {
        var buckets = Array(repeating: [Object](), count: max(count, 1))
        for object in rng.shuffled(Self.objects(set)) { buckets[rng.below(buckets.count)].append(object) }
        return buckets.map { documents($0) }
    }

    private mutating func documents(_ objects: [Object]) -> String {
        var out = ""
        var i = 0
        while i < objects.count {
            let roll = rng.below(10)
            if roll < 2 {
                // A typed list of a run of objects of one kind; items without apiVersion/kind.
                var j = i + 1
                while j < objects.count && objects[j].kind == objects[i].kind && j - i < 3 { j += 1 }
                let items = objects[i..<j].map { Value.map($0.body) }
                out += document(
                    .map([
                        ("apiVersion", .string(objects[i].apiVersion)), ("kind", .string(objects[i].kind + "List")),
                        ("items", .list(items)),
                    ]))
                i = j
            } else if roll < 4 {
                let j = min(objects.count, i + rng.int(1...3))
                out += document(
                    .map([("apiVersion", .string("v1")), ("kind", .string("List")), ("items", .list(objects[i..<j].map(\.full)))]))
                i = j
            } else {
                out += document(objects[i].full)
                i += 1
            }
        }
        if objects.isEmpty || rng.chance(20) {
            out += document(.map([("apiVersion", .string("v1")), ("kind", .string("Namespace")), ("metadata", .map([("name", .string("x"))]))]))
        }
        return out
    }

    private mutating func document(_ value: Value) -> String {
        "---\n" + block(value, indent: 0)
    }

    // MARK: - Layout

    private static func pad(_ n: Int) -> String { String(repeating: " ", count: n) }

    /// A mapping's entries at `indent`, each on its own line.
    private mutating func block(_ value: Value, indent: Int) -> String {
        guard case .map(let fields) = value else { return Self.pad(indent) + flow(value) + "\n" }
        var out = ""
        for (key, child) in fields { out += Self.pad(indent) + Self.key(key) + ":" + after(child, indent: indent + 2) }
        return out
    }

    /// What follows `key:` (or `-`): a scalar or flow collection on the same line, or a block.
    private mutating func after(_ value: Value, indent: Int) -> String {
        switch value {
        case .string: return " " + flow(value) + "\n"
        case .map(let fields):
            if fields.isEmpty || rng.chance(25) { return " " + flow(value) + "\n" }
            return "\n" + block(value, indent: indent)
        case .list(let items):
            if items.isEmpty || rng.chance(40) { return " " + flow(value) + "\n" }
            var out = "\n"
            for item in items {
                out += Self.pad(indent) + "-"
                if case .map(let fields) = item, !fields.isEmpty, rng.chance(80) {
                    // `- key: value` with the following keys aligned under the first.
                    var first = true
                    for (key, child) in fields {
                        out += (first ? " " : Self.pad(indent + 2)) + Self.key(key) + ":" + after(child, indent: indent + 4)
                        first = false
                    }
                } else {
                    out += " " + flow(item) + "\n"
                }
            }
            return out
        }
    }

    private mutating func flow(_ value: Value) -> String {
        switch value {
        case .string(let text): return scalar(text)
        case .list(let items): return "[" + items.map { flow($0) }.joined(separator: ", ") + "]"
        case .map(let fields): return "{" + fields.map { "\(Self.key($0.0)): \(flow($0.1))" }.joined(separator: ", ") + "}"
        }
    }

    // MARK: - Scalars

    /// A mapping key: plain when it is a simple ASCII word, else double-quoted.
    static func key(_ text: String) -> String {
        let simple = text.utf8.allSatisfy {
            ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z"))
                || $0 == UInt8(ascii: "-")
        }
        return simple && !text.isEmpty ? text : doubleQuoted(text)
    }

    static let reserved: Set<String> = [
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "List",
    ]

    /// Plain when unambiguous, otherwise single- or double-quoted.
    private mutating func scalar(_ text: String) -> String {
        let bytes = Array(text.utf8)
        let simple =
            !bytes.isEmpty && bytes.first! >= UInt8(ascii: "a") && bytes.first! <= UInt8(ascii: "z")
            && bytes.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
            && !Self.reserved.contains(text)
        if simple && rng.chance(70) { return text }
        let printable = text.unicodeScalars.allSatisfy { scalar in
            (scalar.value >= 0x20 && scalar.value < 0x7f) || (scalar.value >= 0xA0 && scalar.value < 0xD800 && scalar.value != 0x2028 && scalar.value != 0x2029)
                || (scalar.value >= 0xE000 && scalar.value <= 0xFFFD && scalar.value != 0xFEFF)
        }
        if printable && rng.chance(30) {
            var out = "'"
            for scalar in text.unicodeScalars {
                if scalar == "'" { out += "''" } else { out.unicodeScalars.append(scalar) }
            }
            return out + "'"
        }
        return Self.doubleQuoted(text)
    }

    /// A YAML double-quoted scalar; escapes everything outside printable ASCII and plain letters.
    public static func doubleQuoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                let v = scalar.value
                if (v >= 0x20 && v < 0x7f) || (v >= 0xA0 && v < 0xD800 && v != 0x2028 && v != 0x2029)
                    || (v >= 0xE000 && v <= 0xFFFD && v != 0xFEFF)
                {
                    out.unicodeScalars.append(scalar)
                } else if v <= 0xFF {
                    out += "\\x" + hex(v, 2)
                } else if v <= 0xFFFF {
                    out += "\\u" + hex(v, 4)
                } else {
                    out += "\\U" + hex(v, 8)
                }
            }
        }
        return out + "\""
    }

    private static func hex(_ value: UInt32, _ digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
