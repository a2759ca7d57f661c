internal import CYaml

/// Bounds on what one YAML or JSON source may cost to parse.
public struct YAMLLimits: Sendable, Hashable {
    /// Largest accepted source, in bytes.
    public var maxBytes: Int
    /// Most nodes (scalars and collections) one source may hold. Bytes alone do not bound memory:
    /// a file of tiny flow-style nodes (`[a,a,a,...`) costs some 60 bytes of tree per 2 bytes of
    /// text. The large benchmark policy (38 MB, 100,000 bindings) has 3.5 million.
    public var maxNodes: Int
    /// Most nodes that alias references may add when the tree is expanded ("billion laughs").
    public var maxAliasExpansion: Int
    /// Deepest nesting of collections.
    public var maxDepth: Int

    public init(maxBytes: Int = 64 << 20, maxNodes: Int = 8_000_000, maxAliasExpansion: Int = 100_000, maxDepth: Int = 64) {
        self.maxBytes = maxBytes
        self.maxNodes = maxNodes
        self.maxAliasExpansion = maxAliasExpansion
        self.maxDepth = maxDepth
    }
}

/// Builds a ``YAMLTree`` from libyaml's event stream.
///
/// libyaml (bundled with Yams) does the scanning; this builder keeps nothing but the flat arrays
/// of the tree, which is several times cheaper than composing `Yams.Node` values. It enforces the
/// limits as it goes: source size, nesting depth, alias expansion, duplicate mapping keys, YAML
/// merge keys (`<<`, which Kubernetes' decoder would expand and we refuse rather than ignore) and
/// explicit tags other than `!!str`, `!!seq` and `!!map` (`!!merge`, `!!binary`, ... change what a
/// node means to Kubernetes' decoder; we refuse them rather than read them differently).
struct YAMLTreeBuilder {
    let file: String
    let limits: YAMLLimits

    private var tree = YAMLTree()
    /// Expanded node count of every node (aliases count their target's full size).
    private var sizes: [Int] = []
    private var aliasExpansion = 0
    private var anchors: [String: Int32] = [:]
    /// Open collections: node index, where its children start in `pending`, its anchor.
    private var stack: [(node: Int32, pendingStart: Int, anchor: String?)] = []
    private var pending: [Int32] = []
    /// See ``parse(_:file:limits:recoveringDocuments:)``.
    private var recoveringDocuments = false
    /// The events of a document that had a problem are skipped up to its end.
    private var skippingDocument = false

    init(file: String, limits: YAMLLimits) {
        self.file = file
        self.limits = limits
    }

    /// Parses `bytes` into a tree.
    ///
    /// - Parameter recoveringDocuments: when true, a problem confined to one document (a merge
    ///   key, a duplicate key, a refused tag, an unknown anchor) drops that document, is kept in
    ///   the tree's ``YAMLTree/documentErrors``, and the next documents are still read, so that
    ///   `validate` lists their problems too; otherwise it is thrown. A syntax error or a broken
    ///   limit (size, nodes, nesting, alias expansion) always ends the file.
    static func parse(
        _ bytes: [UInt8], file: String, limits: YAMLLimits = .init(), recoveringDocuments: Bool = false
    ) throws(PolicyError) -> YAMLTree {
        if bytes.count > limits.maxBytes {
            throw PolicyError(
                .fileTooLarge, "file is \(bytes.count) bytes, over the limit of \(limits.maxBytes)",
                at: SourceLocation(file: file, line: 1, column: 1))
        }
        var builder = YAMLTreeBuilder(file: file, limits: limits)
        builder.recoveringDocuments = recoveringDocuments
        // A UTF-8 byte-order mark, as editors on some systems write it: skipped, as Kubernetes'
        // decoders skip it.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            try builder.run(Array(bytes.dropFirst(3)))
        } else {
            try builder.run(bytes)
        }
        return builder.tree
    }

    private func location(_ mark: yaml_mark_t) -> SourceLocation {
        SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    private mutating func run(_ bytes: [UInt8]) throws(PolicyError) {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw PolicyError(.syntax, "cannot initialise the YAML parser")
        }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        var result: PolicyError? = nil
        bytes.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!
            yaml_parser_set_input_string(&parser, base, buffer.count)
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    result = syntaxError(parser, buffer)
                    return
                }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { return }
                if skippingDocument {
                    if event.type == YAML_DOCUMENT_END_EVENT { skippingDocument = false }
                    continue
                }
                do throws(PolicyError) {
                    try handle(&event)
                } catch {
                    guard recoveringDocuments, Self.isConfinedToItsDocument(error) else {
                        result = error
                        return
                    }
                    // The document is dropped and the reading goes on after its end. Its root
                    // is still empty (a root is attached only once complete, after the checks
                    // that throw); its open collections are forgotten.
                    tree.documentErrors.append(error)
                    stack.removeAll(keepingCapacity: true)
                    pending.removeAll(keepingCapacity: true)
                    skippingDocument = true
                }
            }
        }
        guard let result else { return }
        // In recovery mode a problem that ends the file is kept with the documents' problems
        // found before it (thrown alone, it would hide them); the documents read whole before it
        // stay in the tree, the one it interrupted has no root.
        if recoveringDocuments && !tree.documentErrors.isEmpty {
            tree.fatalError = result
            return
        }
        throw result
    }

    /// The problems ``handle(_:)`` finds within one document: a merge key, a duplicate key, a
    /// refused tag, an unknown anchor (anchors are per document). Limits are not among them.
    private static func isConfinedToItsDocument(_ error: PolicyError) -> Bool {
        error.code == .unsupportedYAML || error.code == .duplicateKey || error.code == .syntax
    }

    private func syntaxError(_ parser: yaml_parser_t, _ bytes: UnsafeBufferPointer<UInt8>) -> PolicyError {
        let problem = parser.problem.map { String(cString: $0) } ?? "malformed YAML"
        // The reader (invalid UTF-8, control characters) reports a byte offset, not a mark.
        if parser.error == YAML_READER_ERROR {
            let offset = min(Int(parser.problem_offset), bytes.count)
            var line = 1
            var lineStart = 0
            for index in 0..<offset where bytes[index] == UInt8(ascii: "\n") {
                line += 1
                lineStart = index + 1
            }
            return PolicyError(
                .syntax, problem, at: SourceLocation(file: file, line: line, column: offset - lineStart + 1))
        }
        // libyaml's scanner reads ahead through flow collections (`[[[[...`), so on very deep
        // input its own nesting limit (1000) can fire before our event-level check does.
        if problem.utf8.starts(with: "Maximum nesting level reached".utf8) {
            return PolicyError(
                .nestingLimit, "nesting deeper than \(limits.maxDepth) levels", at: location(parser.problem_mark))
        }
        var message = problem
        if let context = parser.context {
            message = "\(String(cString: context)): \(problem)"
        }
        return PolicyError(.syntax, message, at: location(parser.problem_mark))
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
    }

    private mutating func handle(_ event: inout yaml_event_t) throws(PolicyError) {
        let mark = event.start_mark
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            anchors.removeAll(keepingCapacity: true)
            tree.documents.append(nil)
            tree.documentLines.append(Int(mark.line) + 1)
        case YAML_DOCUMENT_END_EVENT:
            break
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let value = String(
                decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            var plain = scalar.style == YAML_PLAIN_SCALAR_STYLE
            if let tag = Self.string(scalar.tag) {
                try checkTag(tag, allowed: "tag:yaml.org,2002:str", at: mark)
                plain = false
            }
            try checkNodeCount(at: mark)
            let index = Int32(tree.nodes.count)
            tree.nodes.append(
                .init(
                    kind: .scalar, plain: plain, line: Int32(mark.line + 1), column: Int32(mark.column + 1),
                    start: Int32(tree.scalars.count), count: 0))
            tree.scalars.append(value)
            sizes.append(1)
            if let anchor = Self.string(scalar.anchor) { anchors[anchor] = index }
            try attach(index, mark: mark)
        case YAML_ALIAS_EVENT:
            let name = Self.string(event.data.alias.anchor) ?? ""
            guard let target = anchors[name] else {
                throw PolicyError(.syntax, "unknown anchor `\(name)`", at: location(mark))
            }
            aliasExpansion += sizes[Int(target)]
            if aliasExpansion > limits.maxAliasExpansion {
                throw PolicyError(
                    .aliasLimit,
                    "alias expansion exceeds \(limits.maxAliasExpansion) nodes (a YAML alias bomb?)",
                    at: location(mark))
            }
            try attach(target, mark: mark)
        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
            if stack.count >= limits.maxDepth {
                throw PolicyError(
                    .nestingLimit, "nesting deeper than \(limits.maxDepth) levels", at: location(mark))
            }
            let isMapping = event.type == YAML_MAPPING_START_EVENT
            let anchor =
                isMapping
                ? Self.string(event.data.mapping_start.anchor) : Self.string(event.data.sequence_start.anchor)
            if let tag = isMapping ? Self.string(event.data.mapping_start.tag) : Self.string(event.data.sequence_start.tag) {
                try checkTag(tag, allowed: isMapping ? "tag:yaml.org,2002:map" : "tag:yaml.org,2002:seq", at: mark)
            }
            try checkNodeCount(at: mark)
            let index = Int32(tree.nodes.count)
            tree.nodes.append(
                .init(
                    kind: isMapping ? .mapping : .sequence, plain: false, line: Int32(mark.line + 1),
                    column: Int32(mark.column + 1), start: 0, count: 0))
            sizes.append(1)
            stack.append((index, pending.count, anchor))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            let frame = stack.removeLast()
            let start = tree.children.count
            var size = 1
            for child in pending[frame.pendingStart...] { size += sizes[Int(child)] }
            tree.children.append(contentsOf: pending[frame.pendingStart...])
            pending.removeSubrange(frame.pendingStart...)
            tree.nodes[Int(frame.node)].start = Int32(start)
            tree.nodes[Int(frame.node)].count = Int32(tree.children.count - start)
            sizes[Int(frame.node)] = size
            if tree.nodes[Int(frame.node)].kind == .mapping {
                try checkKeys(of: frame.node)
            }
            if let anchor = frame.anchor { anchors[anchor] = frame.node }
            try attach(frame.node, mark: mark)
        default:
            break
        }
    }

    private func checkNodeCount(at mark: yaml_mark_t) throws(PolicyError) {
        if tree.nodes.count >= limits.maxNodes {
            throw PolicyError(
                .fileTooLarge, "more than \(limits.maxNodes) YAML nodes in one file; split it", at: location(mark))
        }
    }

    /// Refuses an explicit tag but the one that says what the node already is (`!!str` on a
    /// scalar, `!!map`, `!!seq`).
    private func checkTag(_ tag: String, allowed: String, at mark: yaml_mark_t) throws(PolicyError) {
        guard tag != allowed else { return }
        let shown = tag.hasPrefix("tag:yaml.org,2002:") ? "!!" + tag.dropFirst("tag:yaml.org,2002:".count) : tag
        throw PolicyError(
            .unsupportedYAML, "the YAML tag `\(shown)` is not supported; write the value without it", at: location(mark))
    }

    /// Adds a finished node to its parent collection, or makes it the document's root.
    private mutating func attach(_ node: Int32, mark: yaml_mark_t) throws(PolicyError) {
        if stack.isEmpty {
            tree.documents[tree.documents.count - 1] = node
        } else {
            pending.append(node)
        }
    }

    /// Rejects duplicate keys and merge keys in a finished mapping.
    private func checkKeys(of mapping: Int32) throws(PolicyError) {
        let node = tree[mapping]
        let entries = tree.childIndices(node)
        var seen = Set<ByteString>()
        seen.reserveCapacity(entries.count / 2)
        var i = entries.startIndex
        while i < entries.endIndex {
            let key = tree[entries[i]]
            if key.kind == .scalar {
                let text = tree.scalar(key)
                if key.plain && text == "<<" {
                    throw PolicyError(
                        .unsupportedYAML, "YAML merge keys (`<<`) are not supported; write the fields out",
                        at: SourceLocation(file: file, line: Int(key.line), column: Int(key.column)))
                }
                if !seen.insert(ByteString(text)).inserted {
                    throw PolicyError(
                        .duplicateKey, "duplicate key `\(text)`",
                        at: SourceLocation(file: file, line: Int(key.line), column: Int(key.column)))
                }
            }
            i += 2
        }
    }
}
