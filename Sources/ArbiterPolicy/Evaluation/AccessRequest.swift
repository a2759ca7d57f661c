/// The attributes of one authorization question, as the RBAC authorizer sees them.
///
/// This is Arbiter's counterpart of Kubernetes' `authorizer.Attributes`: who asks (``user`` and
/// ``groups``) and what for (``resource`` or ``nonResource``). The wire format (SubjectAccessReview)
/// maps onto it in `ArbiterReview`; the engine never sees JSON. Extra, UID, API version and
/// selectors do not influence RBAC, so they are not part of the request the engine evaluates.
///
/// All comparisons the engine makes on these strings are byte-exact (UTF-8), never Swift's
/// canonical-equivalence `==`.
public struct AccessRequest: Sendable, Hashable {
    /// The user name (`jane`, `system:serviceaccount:ns:name`, `system:node:n1`, ...).
    public var user: String
    /// The groups the authenticator put the user in. Never derived from ``user``.
    public var groups: [String]
    /// Exactly one of the two attribute kinds.
    public var attributes: Attributes

    public enum Attributes: Sendable, Hashable {
        case resource(ResourceAttributes)
        case nonResource(NonResourceAttributes)
    }

    public init(user: String, groups: [String] = [], attributes: Attributes) {
        self.user = user
        self.groups = groups
        self.attributes = attributes
    }

    /// The path of a non-resource request, `nil` for a resource request.
    public var nonResourcePath: String? {
        if case .nonResource(let n) = attributes { return n.path }
        return nil
    }

    /// The verb of either attribute kind.
    public var verb: String {
        switch attributes {
        case .resource(let r): return r.verb
        case .nonResource(let n): return n.verb
        }
    }
}

/// A request on an API resource (`spec.resourceAttributes`).
public struct ResourceAttributes: Sendable, Hashable {
    /// `""` means a cluster-scoped object or all namespaces; RoleBindings never apply to it.
    public var namespace: String
    public var verb: String
    /// The API group; `""` is the core group.
    public var group: String
    /// Ignored by RBAC; carried for logs and explanations.
    public var version: String
    public var resource: String
    public var subresource: String
    public var name: String

    public init(
        namespace: String = "", verb: String, group: String = "", version: String = "",
        resource: String, subresource: String = "", name: String = ""
    ) {
        self.namespace = namespace
        self.verb = verb
        self.group = group
        self.version = version
        self.resource = resource
        self.subresource = subresource
        self.name = name
    }
}

/// A request on a non-resource URL (`spec.nonResourceAttributes`).
public struct NonResourceAttributes: Sendable, Hashable {
    public var path: String
    /// The lower-case HTTP method (`get`, `post`, ...).
    public var verb: String

    public init(path: String, verb: String) {
        self.path = path
        self.verb = verb
    }
}
