/// `who-can`: every subject a compiled policy allows (or denies) one request, computed with the
/// engine's own rule matching.
///
/// The request's identity is ignored: each binding whose role has a rule that matches the request's
/// attributes contributes its subjects (RoleBindings only in the request's namespace); every
/// `Allow` AccessPolicy with a matching rule contributes its subject patterns; every `Deny`
/// AccessPolicy with a matching rule is listed with its subjects and exceptions, and the allowed
/// subjects it denies (as the only identity) are marked denied.
public struct WhoCanResult: Sendable {
    /// What allows a subject.
    public enum Grant: Sendable, Hashable, CustomStringConvertible {
        /// Binding (index into ``CompiledPolicy/bindings``), its role and the matching rule position.
        case binding(kind: Binding.Kind, name: String, namespace: String, roleKind: Role.Kind, role: String, rule: Int)
        /// An `Allow` AccessPolicy and the matching rule position.
        case accessPolicy(name: String, rule: Int)

        public var description: String {
            switch self {
            case .binding(let kind, let name, let namespace, let roleKind, let role, let rule):
                let bindingName = namespace.isEmpty ? name : namespace + "/" + name
                return "\(kind.rawValue) \(bindingName) -> \(roleKind.rawValue) \(role) rule \(rule)"
            case .accessPolicy(let name, let rule):
                return "AccessPolicy \(name) (Allow) rule \(rule)"
            }
        }
    }

    /// A subject named exactly (a binding subject, or a non-pattern AccessPolicy subject).
    public struct Entry: Sendable {
        public var kind: Subject.Kind
        /// User or group name; for a service account its name.
        public var name: String
        /// Service accounts: the namespace (defaulted from a RoleBinding).
        public var namespace: String
        public var grants: [Grant]
        /// `Deny` AccessPolicies that deny this subject (as the only identity), by name. For a group:
        /// its members are denied unless an exception names them.
        public var deniedBy: [String]
        /// Exceptions of those Deny policies that can exempt members of a denied group.
        public var exceptions: [SubjectPattern]

        /// The user name (service accounts: `system:serviceaccount:ns:name`) or group name.
        public var identity: String {
            kind == .serviceAccount ? ServiceAccountName.userName(namespace: namespace, name: name) : name
        }

        public var isDenied: Bool { !deniedBy.isEmpty }
    }

    /// A subject of an `Allow` AccessPolicy that is a pattern (`team-*`) or comes with exceptions.
    public struct PatternEntry: Sendable {
        public var pattern: SubjectPattern
        public var policy: String
        public var rule: Int
        /// The Allow policy's exceptions.
        public var except: [SubjectPattern]
    }

    /// A `Deny` AccessPolicy with a rule matching the request.
    public struct DenyEntry: Sendable {
        public var policy: String
        public var rule: Int
        public var subjects: [SubjectPattern]
        public var except: [SubjectPattern]
    }

    public var request: AccessRequest
    /// Exactly named subjects that are allowed, sorted by kind and identity; denied ones carry ``Entry/deniedBy``.
    public var subjects: [Entry] = []
    public var patterns: [PatternEntry] = []
    public var denies: [DenyEntry] = []
    /// Bindings to roles that do not exist, which could have applied (Kubernetes reports them as errors).
    public var missingRoles: [String] = []

    /// Allowed and not denied.
    public var allowedSubjects: [Entry] { subjects.filter { !$0.isDenied } }
    /// Allowed by RBAC or an Allow policy, but denied by a Deny policy.
    public var deniedSubjects: [Entry] { subjects.filter(\.isDenied) }

    /// Whether this answer says a requester with this identity is allowed: no listed Deny applies
    /// to it, and some listed subject or pattern does. Mirrors the engine's precedence.
    public func admits(user: String, groups: [String]) -> Bool {
        for deny in denies
        where deny.subjects.contains(where: { $0.matches(user: user, groups: groups) })
            && !deny.except.contains(where: { $0.matches(user: user, groups: groups) })
        {
            return false
        }
        for entry in subjects {
            switch entry.kind {
            case .group: if groups.contains(where: { $0.bytesEqual(entry.name) }) { return true }
            case .user, .serviceAccount: if entry.identity.bytesEqual(user) { return true }
            }
        }
        for entry in patterns
        where entry.pattern.matches(user: user, groups: groups)
            && !entry.except.contains(where: { $0.matches(user: user, groups: groups) })
        {
            return true
        }
        return false
    }
}

extension CompiledPolicy {
    /// Who may make `request` (its `user` and `groups` are ignored). See ``WhoCanResult``.
    public func whoCan(_ request: AccessRequest) -> WhoCanResult {
        var result = WhoCanResult(request: request)
        let resolved = resolve(request)
        let path = request.nonResourcePath
        var requestNamespace: String? = nil
        if case .resource(let attributes) = request.attributes, !attributes.namespace.isEmpty {
            requestNamespace = attributes.namespace
        }

        // Per role: the first matching rule position (-1: none), computed once.
        var roleMatch = [Int32](repeating: -2, count: roles.count)
        var entries: [WhoCanKey: WhoCanResult.Entry] = [:]
        func add(_ kind: Subject.Kind, _ name: String, _ namespace: String, _ grant: WhoCanResult.Grant) {
            let key = WhoCanKey(kind: kind, name: ByteString(name), namespace: ByteString(namespace))
            entries[key, default: WhoCanResult.Entry(
                kind: kind, name: name, namespace: namespace, grants: [], deniedBy: [], exceptions: [])].grants.append(grant)
        }

        pool.withUnsafeBufferPointer { pool in
            for (index, binding) in bindings.enumerated() {
                if binding.kind == .roleBinding {
                    guard let requestNamespace, binding.namespace.bytesEqual(requestNamespace) else { continue }
                }
                let role = bindingRoles[index]
                if role < 0 {
                    let resource = binding.roleRef.kind == .clusterRole ? "clusterrole" : "role"
                    result.missingRoles.append(
                        "\(binding.kind.rawValue) \(binding.namespace.isEmpty ? "" : binding.namespace + "/")\(binding.name): "
                            + "\(resource) \(binding.roleRef.name) not found")
                    continue
                }
                if roleMatch[Int(role)] == -2 { roleMatch[Int(role)] = roleAllows(role, resolved, path, pool) }
                let position = roleMatch[Int(role)]
                if position < 0 { continue }
                let grant = WhoCanResult.Grant.binding(
                    kind: binding.kind, name: binding.name, namespace: binding.namespace, roleKind: binding.roleRef.kind,
                    role: binding.roleRef.name, rule: Int(position))
                for subject in binding.subjects {
                    switch subject.kind {
                    case .user, .group: add(subject.kind, subject.name, "", grant)
                    case .serviceAccount:
                        let namespace = subject.namespace.isEmpty ? binding.namespace : subject.namespace
                        if namespace.isEmpty { continue }  // never matches anyone
                        add(.serviceAccount, subject.name, namespace, grant)
                    }
                }
            }
        }

        for (index, policy) in accessPolicies.enumerated() {
            guard let rule = accessPolicyRuleMatching(index, request: request, resolved: resolved) else { continue }
            switch policy.effect {
            case .deny:
                result.denies.append(.init(policy: policy.name, rule: rule, subjects: policy.subjects, except: policy.except))
            case .allow:
                let grant = WhoCanResult.Grant.accessPolicy(name: policy.name, rule: rule)
                for subject in policy.subjects {
                    let exact =
                        !Pattern.isPattern(subject.name) && (subject.kind != .serviceAccount || !Pattern.isPattern(subject.namespace))
                    // With exceptions, a subject is kept as a pattern entry so its exceptions stay with it.
                    if exact && policy.except.isEmpty {
                        add(subject.kind, subject.name, subject.namespace, grant)
                    } else {
                        result.patterns.append(.init(pattern: subject, policy: policy.name, rule: rule, except: policy.except))
                    }
                }
            }
        }

        var list = Array(entries.values)
        for i in list.indices {
            for deny in result.denies {
                let identity = list[i].identity
                let denied: Bool
                switch list[i].kind {
                case .user, .serviceAccount:
                    denied =
                        deny.subjects.contains { $0.matches(user: identity, groups: []) }
                        && !deny.except.contains { $0.matches(user: identity, groups: []) }
                case .group:
                    // A group's members are denied by a Deny on the group, or on every user
                    // (`User "*"`); a narrower user pattern covers only some of them.
                    denied =
                        deny.subjects.contains {
                            ($0.kind == .group && Pattern.matches($0.name, identity)) || ($0.kind == .user && $0.name.bytesEqual("*"))
                        }
                        && !deny.except.contains { $0.kind == .group && Pattern.matches($0.name, identity) }
                    if denied { list[i].exceptions += deny.except.filter { $0.kind != .group } }
                }
                if denied { list[i].deniedBy.append(deny.policy) }
            }
        }
        list.sort { a, b in
            if a.kind != b.kind { return Self.kindOrder(a.kind) < Self.kindOrder(b.kind) }
            return ByteString(a.identity) < ByteString(b.identity)
        }
        result.subjects = list
        return result
    }

    /// The first rule position of an AccessPolicy that matches the request's attributes (namespace
    /// patterns included), ignoring its subjects; `nil` when none does.
    func accessPolicyRuleMatching(_ index: Int, request: AccessRequest, resolved: ResolvedRequest) -> Int? {
        let policy = accessPolicies[index]
        if let namespaces = policy.namespaces {
            guard case .resource(let attributes) = request.attributes,
                namespaces.contains(where: { Pattern.matches($0, attributes.namespace) })
            else { return nil }
        }
        let span = policyRules[index]
        return pool.withUnsafeBufferPointer { pool in
            for i in 0..<Int(span.count) {
                let ruleID = pool[Int(span.start) + i]
                if ruleAllows(ruleID, resolved, pool) { return i }
                if let path = request.nonResourcePath,
                    nonResourcePrefixAllows(ruleID, resolved, path, pool, forDeny: policy.effect == .deny)
                {
                    return i
                }
            }
            return nil
        }
    }

    static func kindOrder(_ kind: Subject.Kind) -> Int {
        switch kind {
        case .user: return 0
        case .group: return 1
        case .serviceAccount: return 2
        }
    }
}

struct WhoCanKey: Hashable {
    var kind: Subject.Kind
    var name: ByteString
    var namespace: ByteString
}
