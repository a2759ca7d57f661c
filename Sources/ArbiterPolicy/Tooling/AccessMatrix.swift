/// `access`: what one identity may do, resource by verb (like rakkess), from `authorize`.
public struct AccessMatrix: Sendable {
    public enum Cell: String, Sendable, Hashable {
        case allowed = "yes"
        case notAllowed = "no"
        /// Explicitly denied by a Deny AccessPolicy.
        case denied = "DENY"
    }

    public struct Row: Sendable {
        /// `resource[/subresource]`.
        public var resource: String
        public var group: String
        /// One cell per ``AccessMatrix/verbs`` entry.
        public var cells: [Cell]

        /// `resource[.group]`, kubectl's spelling.
        public var name: String { group.isEmpty ? resource : resource + "." + group }
    }

    public struct URLRow: Sendable {
        /// As written in rules (`/healthz`, `/api/*`).
        public var url: String
        /// The path evaluated (a `*` entry is probed with a path below its prefix).
        public var path: String
        public var cells: [Cell]
    }

    public static let verbs = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]
    public static let urlVerbs = ["get", "post", "put", "delete"]

    /// Resources always shown, besides those the policy names.
    public static let common: [(String, String)] = [
        ("", "pods"), ("", "pods/exec"), ("", "pods/log"), ("", "services"), ("", "configmaps"), ("", "secrets"),
        ("", "serviceaccounts"), ("", "namespaces"), ("", "nodes"), ("", "persistentvolumeclaims"), ("", "events"),
        ("apps", "deployments"), ("apps", "daemonsets"), ("apps", "statefulsets"), ("batch", "jobs"),
        ("batch", "cronjobs"), ("networking.k8s.io", "ingresses"), ("rbac.authorization.k8s.io", "roles"),
        ("rbac.authorization.k8s.io", "rolebindings"), ("rbac.authorization.k8s.io", "clusterroles"),
        ("rbac.authorization.k8s.io", "clusterrolebindings"),
    ]

    public var user: String
    public var groups: [String]
    public var namespace: String
    public var rows: [Row] = []
    public var urls: [URLRow] = []
}

extension CompiledPolicy {
    /// Every `(group, resource)` and non-resource URL named in the policy's rules (wildcards left out;
    /// a `*` group contributes the core group), plus ``AccessMatrix/common``, sorted.
    public func namedResources() -> (resources: [(group: String, resource: String)], urls: [String]) {
        var resources = Set(AccessMatrix.common.map { [$0.0, $0.1] })
        var urls: Set<String> = []
        for rule in roles.flatMap(\.rules) + accessPolicies.flatMap(\.rules) {
            for url in rule.nonResourceURLs where url != "*" { urls.insert(url) }
            for resource in rule.resources where resource != "*" && !resource.hasPrefix("*/") && !resource.hasSuffix("/*") {
                for group in rule.apiGroups { resources.insert([group == "*" ? "" : group, resource]) }
            }
        }
        let sorted = resources.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) }
        return (sorted.map { ($0[0], $0[1]) }, urls.sorted())
    }

    /// The access matrix of `user` with `groups` in `namespace` (`""`: cluster-wide requests).
    public func accessMatrix(user: String, groups: [String], namespace: String) -> AccessMatrix {
        var matrix = AccessMatrix(user: user, groups: groups, namespace: namespace)
        let named = namedResources()
        func cell(_ request: AccessRequest) -> AccessMatrix.Cell {
            switch authorize(request).decision {
            case .allow: return .allowed
            case .deny: return .denied
            case .noOpinion: return .notAllowed
            }
        }
        for (group, resource) in named.resources {
            let parts = resource.split(separator: "/", maxSplits: 1).map(String.init)
            let cells = AccessMatrix.verbs.map { verb in
                cell(
                    AccessRequest(
                        user: user, groups: groups,
                        attributes: .resource(
                            .init(
                                namespace: namespace, verb: verb, group: group, resource: parts[0],
                                subresource: parts.count > 1 ? parts[1] : ""))))
            }
            matrix.rows.append(.init(resource: resource, group: group, cells: cells))
        }
        for url in named.urls {
            let path = url.hasSuffix("*") ? String(url.dropLast()) + (url.hasSuffix("/*") ? "probe" : "") : url
            let cells = AccessMatrix.urlVerbs.map { verb in
                cell(AccessRequest(user: user, groups: groups, attributes: .nonResource(.init(path: path, verb: verb))))
            }
            matrix.urls.append(.init(url: url, path: path, cells: cells))
        }
        return matrix
    }
}
