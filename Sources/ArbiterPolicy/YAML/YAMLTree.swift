/// A parsed YAML (or JSON) stream, stored flat: every node of every document in one array.
///
/// Aliases are resolved to the anchored node's index, so the tree is a DAG and never copies a
/// subtree; ``YAMLTreeBuilder`` bounds the *expanded* size so that walking a "billion laughs"
/// document cannot explode. Mapping keys are checked for duplicates while building.
struct YAMLTree {
    enum Kind: UInt8 {
        case scalar
        case mapping
        case sequence
    }

    struct Node {
        var kind: Kind
        /// True for a plain (unquoted) scalar, which YAML resolves to null/bool/number.
        var plain: Bool
        var line: Int32
        var column: Int32
        /// Scalars: index into ``scalars``. Collections: start in ``children``.
        var start: Int32
        /// Collections: number of entries in ``children`` (2 per mapping pair).
        var count: Int32
    }

    var nodes: [Node] = []
    var children: [Int32] = []
    var scalars: [String] = []
    /// The root node of each document, in order; `nil` for an empty document.
    var documents: [Int32?] = []
    /// Line (1-based) of each document's start.
    var documentLines: [Int] = []
    /// Problems that dropped a document (its root is then `nil`), when the builder was asked to
    /// go on with the next documents.
    var documentErrors: [PolicyError] = []
    /// A problem that ended the file after ``documentErrors`` were found (only then: alone, it is
    /// thrown).
    var fatalError: PolicyError? = nil

    subscript(_ index: Int32) -> Node { nodes[Int(index)] }

    func scalar(_ node: Node) -> String { scalars[Int(node.start)] }

    /// The child indices of a collection node.
    func childIndices(_ node: Node) -> ArraySlice<Int32> {
        children[Int(node.start)..<Int(node.start + node.count)]
    }
}
