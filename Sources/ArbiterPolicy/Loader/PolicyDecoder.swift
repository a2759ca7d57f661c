/// Turns the documents of one source into policy objects.
///
/// Recognises `rbac.authorization.k8s.io/v1` (and the identical `v1beta1`) Role, ClusterRole,
/// RoleBinding and ClusterRoleBinding, `kind: List` and the typed lists (`ClusterRoleList`, ...),
/// and Arbiter's `AccessPolicy`. Kinds of other API groups are skipped and counted; an unknown kind
/// in the RBAC group or in `arbiter.dev` is an error (a misspelt kind must not drop a policy).
/// Objects are validated the way the Kubernetes API validates them, so a file an API server would
/// refuse is refused here with its location, and decoded strictly, as `kubectl apply` does by
/// default: an unknown field anywhere but in `metadata` is an error (a misspelt `resourceNames`
/// must not widen a rule to every name). One bad object does not stop the others from being
/// read: every error is collected.
struct PolicyDecoder {
    static let rbacGroup = "rbac.authorization.k8s.io"
    static let arbiterAPIVersion = "arbiter.dev/v1alpha1"

    let reader: NodeReader
    var set = PolicySet()
    var errors: [PolicyError] = []

    init(tree: YAMLTree, file: String) {
        self.reader = NodeReader(tree: tree, file: file)
    }

    /// Objects read (a list's items, not the list), whatever their kind.
    private(set) var objectCount = 0

    mutating func decodeAll() {
        for root in reader.tree.documents {
            guard let root, !reader.isNull(root) else { continue }
            do throws(PolicyError) {
                try decodeObject(root, impliedKind: nil)
            } catch {
                errors.append(error)
            }
        }
    }

    // MARK: - Objects

    private mutating func decodeObject(_ index: Int32, impliedKind: (apiVersion: String, kind: String)?) throws(PolicyError) {
        let fields = try reader.mapping(index, "an object")
        var apiVersion: String? = nil
        var kind: String? = nil
        for field in fields {
            switch field.key {
            case "apiVersion": apiVersion = try reader.string(field.value, "`apiVersion`")
            case "kind": kind = try reader.string(field.value, "`kind`")
            default: break
            }
        }
        if apiVersion == nil && kind == nil, let impliedKind {
            apiVersion = impliedKind.apiVersion
            kind = impliedKind.kind
        }
        guard let apiVersion, !apiVersion.isEmpty else {
            throw PolicyError(.missingField, "object has no `apiVersion`", at: reader.location(index))
        }
        guard let kind, !kind.isEmpty else {
            throw PolicyError(.missingField, "object has no `kind`", at: reader.location(index))
        }
        let group = apiVersion.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        let isList = kind == "List" || (kind.hasSuffix("List") && (group == Self.rbacGroup || apiVersion == Self.arbiterAPIVersion))
        if !isList { objectCount += 1 }

        if isList {
            let itemKind = kind == "List" ? nil : (apiVersion, String(kind.dropLast(4)))
            for field in fields where field.key == "items" {
                for item in try reader.list(field.value, "`items`") {
                    do throws(PolicyError) {
                        try decodeObject(item, impliedKind: itemKind)
                    } catch {
                        errors.append(error)
                    }
                }
            }
            return
        }

        if group == Self.rbacGroup {
            let version = apiVersion.dropFirst(group.count + 1)
            guard version == "v1" || version == "v1beta1" else {
                throw PolicyError(
                    .unknownAPIVersion,
                    "unsupported apiVersion `\(apiVersion)`; write `rbac.authorization.k8s.io/v1`",
                    at: reader.location(index))
            }
            switch kind {
            // Each returns nil after recording every problem of its object (all of its rules,
            // subjects and fields, not only the first), so `validate` lists them in one run.
            case "Role": if let role = try decodeRole(fields, kind: .role, at: index) { set.roles.append(role) }
            case "ClusterRole": if let role = try decodeRole(fields, kind: .clusterRole, at: index) { set.roles.append(role) }
            case "RoleBinding":
                if let binding = try decodeBinding(fields, kind: .roleBinding, at: index) { set.bindings.append(binding) }
            case "ClusterRoleBinding":
                if let binding = try decodeBinding(fields, kind: .clusterRoleBinding, at: index) { set.bindings.append(binding) }
            default:
                throw PolicyError(
                    .invalidValue,
                    "unknown kind `\(kind)` in `\(apiVersion)`: write Role, ClusterRole, RoleBinding, ClusterRoleBinding or a list of them",
                    at: reader.location(index))
            }
            return
        }
        if group == "arbiter.dev" {
            switch kind {
            case "AccessPolicy", "PolicyTest", "ServerConfiguration":
                guard apiVersion == Self.arbiterAPIVersion else {
                    throw PolicyError(
                        .unknownAPIVersion, "unsupported apiVersion `\(apiVersion)`; write `\(Self.arbiterAPIVersion)`",
                        at: reader.location(index))
                }
                // Policy tests live next to policies (`arbiter test` reads them), and so may the
                // server's configuration file.
                if kind == "AccessPolicy", let policy = decodeAccessPolicy(fields, at: index) { set.accessPolicies.append(policy) }
            default:
                throw PolicyError(
                    .invalidValue, "unknown kind `\(kind)` in `\(apiVersion)`: write AccessPolicy (or PolicyTest)",
                    at: reader.location(index))
            }
            return
        }
        set.skipped["\(apiVersion)/\(kind)", default: 0] += 1
    }

    /// The error for a field the object's schema does not have.
    func unknownField(_ keyNode: Int32, in what: String) -> PolicyError {
        PolicyError(
            .invalidValue, "unknown field `\(reader.tree.scalar(reader.tree[keyNode]))` in \(what)",
            at: reader.location(keyNode))
    }

    // MARK: - Metadata

    struct Metadata {
        var name = ""
        var namespace = ""
        var labels: [String: String] = [:]
    }

    /// Reads `metadata` into `metadata` (what was read stays there when a problem is thrown: a
    /// later problem of the object can still name it).
    private func decodeMetadata(
        _ fields: [(key: String?, keyNode: Int32, value: Int32)], kind: String, at index: Int32, namespaced: Bool?,
        into metadata: inout Metadata
    ) throws(PolicyError) {
        for field in fields where field.key == "metadata" {
            for entry in try reader.mapping(field.value, "`metadata`") {
                switch entry.key {
                case "name": metadata.name = try reader.string(entry.value, "`metadata.name`") ?? ""
                case "namespace": metadata.namespace = try reader.string(entry.value, "`metadata.namespace`") ?? ""
                case "labels": metadata.labels = try reader.stringMap(entry.value, "`metadata.labels`")
                default: break
                }
            }
        }
        guard !metadata.name.isEmpty else {
            throw PolicyError(.missingField, "\(kind) has no `metadata.name`", at: reader.location(index))
        }
        if let problem = KubernetesNames.pathSegmentProblem(metadata.name) {
            throw PolicyError(.invalidValue, "\(kind) name `\(metadata.name)`: \(problem)", at: reader.location(index))
        }
        if !metadata.namespace.isEmpty, let problem = KubernetesNames.pathSegmentProblem(metadata.namespace) {
            throw PolicyError(
                .invalidValue, "\(kind) `\(metadata.name)` namespace `\(metadata.namespace)`: \(problem)",
                at: reader.location(index))
        }
        switch namespaced {
        case true? where metadata.namespace.isEmpty:
            throw PolicyError(
                .missingField,
                "\(kind) `\(metadata.name)` has no `metadata.namespace` (a \(kind) is namespaced)",
                at: reader.location(index))
        case false?:
            metadata.namespace = ""  // cluster-scoped: the API server ignores a namespace
        case nil where !metadata.namespace.isEmpty:
            throw PolicyError(
                .invalidValue, "\(kind) `\(metadata.name)` is cluster-scoped; remove `metadata.namespace`",
                at: reader.location(index))
        default:
            break
        }
    }

    // MARK: - Roles

    private mutating func decodeRole(
        _ fields: [(key: String?, keyNode: Int32, value: Int32)], kind: Role.Kind, at index: Int32
    ) throws(PolicyError) -> Role? {
        // A metadata problem is recorded and the fields are still read: every problem at once.
        var metadata = Metadata()
        var problems = Self.failure { () throws(PolicyError) in
            try decodeMetadata(fields, kind: kind.rawValue, at: index, namespaced: kind == .role, into: &metadata)
        }
        var role = Role(
            kind: kind, name: metadata.name, namespace: metadata.namespace, labels: metadata.labels, rules: [],
            location: reader.location(index))
        for field in fields {
            // Assigned, then added: the field's own closure adds its items' problems meanwhile.
            let fieldProblems = Self.failure { () throws(PolicyError) in
                switch field.key {
                case "rules":
                    for ruleNode in try reader.list(field.value, "`rules`") {
                        let decoded = decodeRule(ruleNode, allowNonResource: kind == .clusterRole)
                        if let rule = decoded.rule { role.rules.append(rule) }
                        problems += decoded.problems
                    }
                case "aggregationRule" where kind == .clusterRole:
                    if !reader.isNull(field.value) {
                        role.aggregationRule = try decodeAggregationRule(field.value)
                    }
                case "apiVersion", "kind", "metadata":
                    break
                default:
                    throw unknownField(field.keyNode, in: "a \(kind.rawValue)")
                }
            }
            problems += fieldProblems
        }
        errors.append(contentsOf: problems)
        return problems.isEmpty ? role : nil
    }

    /// `body`'s error, if it throws one (as a list of zero or one): lets a decoder record every
    /// problem of an object, rule by rule and field by field, and go on.
    static func failure(_ body: () throws(PolicyError) -> Void) -> [PolicyError] {
        do {
            try body()
            return []
        } catch {
            return [error]
        }
    }

    /// A rule, or every problem of it: each of its fields' own (a wrong type, an unknown field),
    /// then, when the fields read, the first of the rule's shape (no verbs, no resources, ...).
    func decodeRule(_ index: Int32, allowNonResource: Bool) -> (rule: PolicyRule?, problems: [PolicyError]) {
        var rule = PolicyRule(verbs: [])
        var problems: [PolicyError] = []
        // Assigned, then added: the closure adds each field's problems meanwhile.
        let mappingProblems = Self.failure { () throws(PolicyError) in
            for field in try reader.mapping(index, "a rule") {
                problems += Self.failure { () throws(PolicyError) in
                    switch field.key {
                    case "verbs": rule.verbs = try reader.stringList(field.value, "`verbs`")
                    case "apiGroups": rule.apiGroups = try reader.stringList(field.value, "`apiGroups`")
                    case "resources": rule.resources = try reader.stringList(field.value, "`resources`")
                    case "resourceNames": rule.resourceNames = try reader.stringList(field.value, "`resourceNames`")
                    case "nonResourceURLs": rule.nonResourceURLs = try reader.stringList(field.value, "`nonResourceURLs`")
                    default:
                        throw unknownField(
                            field.keyNode, in: "a rule (its fields: apiGroups, resources, resourceNames, nonResourceURLs, verbs)")
                    }
                }
            }
        }
        problems += mappingProblems
        if !problems.isEmpty { return (nil, problems) }
        do throws(PolicyError) {
            return (try checkRuleShape(rule, at: index, allowNonResource: allowNonResource), [])
        } catch {
            return (nil, [error])
        }
    }

    /// The checks of a rule whose fields all read: what RBAC requires of its shape.
    private func checkRuleShape(_ rule: PolicyRule, at index: Int32, allowNonResource: Bool) throws(PolicyError) -> PolicyRule {
        let at = reader.location(index)
        if rule.verbs.isEmpty {
            throw PolicyError(.missingField, "rule has no `verbs`", at: at)
        }
        if !rule.nonResourceURLs.isEmpty {
            if !allowNonResource {
                throw PolicyError(.invalidValue, "namespaced rules cannot apply to `nonResourceURLs`", at: at)
            }
            if !rule.apiGroups.isEmpty || !rule.resources.isEmpty || !rule.resourceNames.isEmpty {
                throw PolicyError(
                    .invalidValue, "a rule cannot apply to both resources and `nonResourceURLs`; split it", at: at)
            }
            return rule
        }
        if rule.apiGroups.isEmpty {
            throw PolicyError(.missingField, "rule has no `apiGroups` (the core group is written `\"\"`)", at: at)
        }
        if rule.resources.isEmpty {
            throw PolicyError(.missingField, "rule has no `resources`", at: at)
        }
        return rule
    }

    /// Kubernetes refuses an `aggregationRule` without selectors (its rules would be cleared
    /// and nothing could fill them) and any selector its label-selector validation refuses.
    private func decodeAggregationRule(_ index: Int32) throws(PolicyError) -> AggregationRule {
        var selectors: [LabelSelector] = []
        for field in try reader.mapping(index, "`aggregationRule`") {
            guard field.key == "clusterRoleSelectors" else { throw unknownField(field.keyNode, in: "`aggregationRule`") }
            for selectorNode in try reader.list(field.value, "`clusterRoleSelectors`") {
                selectors.append(try decodeLabelSelector(selectorNode))
            }
        }
        if selectors.isEmpty {
            throw PolicyError(
                .missingField, "`aggregationRule` needs at least one selector in `clusterRoleSelectors`", at: reader.location(index))
        }
        return AggregationRule(clusterRoleSelectors: selectors)
    }

    private func decodeLabelSelector(_ index: Int32) throws(PolicyError) -> LabelSelector {
        var selector = LabelSelector()
        for field in try reader.mapping(index, "a label selector") {
            switch field.key {
            case "matchLabels":
                selector.matchLabels = try reader.stringMap(field.value, "`matchLabels`")
            case "matchExpressions":
                for expression in try reader.list(field.value, "`matchExpressions`") {
                    var key = ""
                    var op: String? = nil
                    var values: [String] = []
                    for entry in try reader.mapping(expression, "a match expression") {
                        switch entry.key {
                        case "key": key = try reader.string(entry.value, "`key`") ?? ""
                        case "operator": op = try reader.string(entry.value, "`operator`")
                        case "values": values = try reader.stringList(entry.value, "`values`")
                        default: throw unknownField(entry.keyNode, in: "a match expression")
                        }
                    }
                    guard let op, let parsed = LabelSelector.Requirement.Operator(rawValue: op) else {
                        throw PolicyError(
                            .invalidValue,
                            "match expression operator must be `In`, `NotIn`, `Exists` or `DoesNotExist`",
                            at: reader.location(expression))
                    }
                    if key.isEmpty {
                        throw PolicyError(.missingField, "match expression has no `key`", at: reader.location(expression))
                    }
                    // Kubernetes' label-selector validation: without it `NotIn` with no values
                    // would select every ClusterRole, and `Exists` with values would ignore them.
                    let needsValues = parsed == .in || parsed == .notIn
                    if needsValues && values.isEmpty {
                        throw PolicyError(
                            .missingField, "match expression `\(key)` \(op) needs `values` (at least one)",
                            at: reader.location(expression))
                    }
                    if !needsValues && !values.isEmpty {
                        throw PolicyError(
                            .invalidValue, "match expression `\(key)` \(op) takes no `values`", at: reader.location(expression))
                    }
                    selector.matchExpressions.append(.init(key: key, operator: parsed, values: values))
                }
            default:
                throw unknownField(field.keyNode, in: "a label selector")
            }
        }
        return selector
    }

    // MARK: - Bindings

    private mutating func decodeBinding(
        _ fields: [(key: String?, keyNode: Int32, value: Int32)], kind: Binding.Kind, at index: Int32
    ) throws(PolicyError) -> Binding? {
        var metadata = Metadata()
        var problems = Self.failure { () throws(PolicyError) in
            try decodeMetadata(fields, kind: kind.rawValue, at: index, namespaced: kind == .roleBinding, into: &metadata)
        }
        if !fields.contains(where: { $0.key == "roleRef" }) {
            let name = metadata.name.isEmpty ? "" : " `\(metadata.name)`"
            problems.append(PolicyError(.missingField, "\(kind.rawValue)\(name) has no `roleRef`", at: reader.location(index)))
        }
        var subjects: [Subject] = []
        var roleRef: RoleRef? = nil
        for field in fields {
            // Assigned, then added: the field's own closure adds its items' problems meanwhile.
            let fieldProblems = Self.failure { () throws(PolicyError) in
                switch field.key {
                case "subjects":
                    for subjectNode in try reader.list(field.value, "`subjects`") {
                        problems += Self.failure { () throws(PolicyError) in
                            subjects.append(try decodeSubject(subjectNode, clusterScoped: kind == .clusterRoleBinding))
                        }
                    }
                case "roleRef":
                    roleRef = try decodeRoleRef(field.value, bindingKind: kind)
                case "apiVersion", "kind", "metadata":
                    break
                default:
                    throw unknownField(field.keyNode, in: "a \(kind.rawValue)")
                }
            }
            problems += fieldProblems
        }
        errors.append(contentsOf: problems)
        guard problems.isEmpty, let roleRef else { return nil }
        return Binding(
            kind: kind, name: metadata.name, namespace: metadata.namespace, subjects: subjects, roleRef: roleRef,
            location: reader.location(index))
    }

    private func decodeRoleRef(_ index: Int32, bindingKind: Binding.Kind) throws(PolicyError) -> RoleRef {
        var apiGroup = ""
        var kind = ""
        var name = ""
        for field in try reader.mapping(index, "`roleRef`") {
            switch field.key {
            case "apiGroup": apiGroup = try reader.string(field.value, "`roleRef.apiGroup`") ?? ""
            case "kind": kind = try reader.string(field.value, "`roleRef.kind`") ?? ""
            case "name": name = try reader.string(field.value, "`roleRef.name`") ?? ""
            default: throw unknownField(field.keyNode, in: "`roleRef`")
            }
        }
        let at = reader.location(index)
        if !apiGroup.isEmpty && apiGroup != Self.rbacGroup {
            throw PolicyError(.invalidValue, "`roleRef.apiGroup` must be `\(Self.rbacGroup)`", at: at)
        }
        guard !name.isEmpty else { throw PolicyError(.missingField, "`roleRef` has no `name`", at: at) }
        if let problem = KubernetesNames.pathSegmentProblem(name) {
            throw PolicyError(.invalidValue, "`roleRef.name` `\(name)`: \(problem)", at: at)
        }
        switch (bindingKind, kind) {
        case (_, "ClusterRole"):
            return RoleRef(apiGroup: apiGroup, kind: .clusterRole, name: name)
        case (.roleBinding, "Role"):
            return RoleRef(apiGroup: apiGroup, kind: .role, name: name)
        case (.clusterRoleBinding, _):
            throw PolicyError(.invalidValue, "a ClusterRoleBinding's `roleRef.kind` must be `ClusterRole`", at: at)
        default:
            throw PolicyError(.invalidValue, "`roleRef.kind` must be `Role` or `ClusterRole`", at: at)
        }
    }

    private func decodeSubject(_ index: Int32, clusterScoped: Bool) throws(PolicyError) -> Subject {
        var kind = ""
        var name = ""
        var namespace = ""
        var apiGroup = ""
        for field in try reader.mapping(index, "a subject") {
            switch field.key {
            case "kind": kind = try reader.string(field.value, "`kind`") ?? ""
            case "name": name = try reader.string(field.value, "`name`") ?? ""
            case "namespace": namespace = try reader.string(field.value, "`namespace`") ?? ""
            case "apiGroup": apiGroup = try reader.string(field.value, "`apiGroup`") ?? ""
            default: throw unknownField(field.keyNode, in: "a subject")
            }
        }
        let at = reader.location(index)
        guard !name.isEmpty else { throw PolicyError(.missingField, "subject has no `name`", at: at) }
        switch kind {
        case "User", "Group":
            if !apiGroup.isEmpty && apiGroup != Self.rbacGroup {
                throw PolicyError(.invalidValue, "a \(kind) subject's `apiGroup` must be `\(Self.rbacGroup)`", at: at)
            }
            return Subject(kind: kind == "User" ? .user : .group, name: name)
        case "ServiceAccount":
            if !apiGroup.isEmpty {
                throw PolicyError(.invalidValue, "a ServiceAccount subject's `apiGroup` must be empty", at: at)
            }
            if clusterScoped && namespace.isEmpty {
                throw PolicyError(
                    .missingField, "a ServiceAccount subject of a ClusterRoleBinding needs a `namespace`", at: at)
            }
            if let problem = KubernetesNames.pathSegmentProblem(name) {
                throw PolicyError(.invalidValue, "ServiceAccount subject name `\(name)`: \(problem)", at: at)
            }
            // The subject's namespace is not validated: Kubernetes accepts any (a namespace that
            // cannot exist only makes the subject match no real service account), and an export
            // of a cluster must load as it is.
            return Subject(kind: .serviceAccount, name: name, namespace: namespace)
        default:
            throw PolicyError(
                .invalidValue, "subject kind `\(kind)` is not `User`, `Group` or `ServiceAccount`", at: at)
        }
    }
}
