/// Finds `Deny` AccessPolicies that would lock the control plane out of its own cluster.
///
/// A deny that hits the scheduler, the controller-manager, a kubelet, kube-apiserver's client
/// identities, Arbiter's own callers or the health paths can stop a cluster in a way that is
/// hard to undo (the API server itself needs those answers). The guard evaluates a fixed set of
/// requests those identities cannot do without — the essentials of their bootstrap roles — and
/// reports every one a `Deny` policy would refuse. `arbiter validate` warns; `arbiter serve`
/// refuses such a policy unless told `--allow-lockout`.
public enum LockoutGuard {
    /// One request a control-plane identity cannot do without.
    public struct Probe: Sendable {
        public var identity: String
        public var request: AccessRequest
    }

    /// A probe that a deny policy refuses.
    public struct Finding: Sendable, CustomStringConvertible {
        public var probe: Probe
        public var policy: String
        public var location: SourceLocation?
        public var description: String {
            let at = location.map { "\($0): " } ?? ""
            return "\(at)AccessPolicy `\(policy)` denies \(probe.identity): \(Self.describe(probe.request))"
        }

        static func describe(_ request: AccessRequest) -> String {
            switch request.attributes {
            case .resource(let r):
                let resource = r.subresource.isEmpty ? r.resource : r.resource + "/" + r.subresource
                let group = r.group.isEmpty ? "" : "." + r.group
                let scope = r.namespace.isEmpty ? "cluster-wide" : "in `\(r.namespace)`"
                return "`\(r.verb)` \(resource)\(group) \(scope)"
            case .nonResource(let n):
                return "`\(n.verb)` \(n.path)"
            }
        }
    }

    static let authenticated = "system:authenticated"

    /// The essential requests of the control plane, plus `get` on the health paths and a review
    /// post for every extra identity (Arbiter's configured callers).
    public static func probes(extraIdentities: [(user: String, groups: [String])] = []) -> [Probe] {
        func r(_ who: String, _ user: String, _ groups: [String], _ verb: String, _ resource: String, sub: String = "", group: String = "", ns: String = "", name: String = "") -> Probe {
            Probe(
                identity: who,
                request: AccessRequest(
                    user: user, groups: groups,
                    attributes: .resource(.init(namespace: ns, verb: verb, group: group, resource: resource, subresource: sub, name: name))))
        }
        func u(_ who: String, _ user: String, _ groups: [String], _ path: String) -> Probe {
            Probe(identity: who, request: AccessRequest(user: user, groups: groups, attributes: .nonResource(.init(path: path, verb: "get"))))
        }
        let scheduler = ("kube-scheduler", "system:kube-scheduler", [authenticated])
        let manager = ("kube-controller-manager", "system:kube-controller-manager", [authenticated])
        let node = ("a kubelet", "system:node:node-1", ["system:nodes", authenticated])
        var probes: [Probe] = [
            r(scheduler.0, scheduler.1, scheduler.2, "create", "pods", sub: "binding", ns: "default", name: "p"),
            r(scheduler.0, scheduler.1, scheduler.2, "list", "pods"),
            r(scheduler.0, scheduler.1, scheduler.2, "watch", "nodes"),
            r(scheduler.0, scheduler.1, scheduler.2, "update", "leases", group: "coordination.k8s.io", ns: "kube-system", name: "kube-scheduler"),
            r(manager.0, manager.1, manager.2, "list", "secrets"),
            r(manager.0, manager.1, manager.2, "get", "secrets", ns: "kube-system", name: "s"),
            r(manager.0, manager.1, manager.2, "create", "serviceaccounts", sub: "token", ns: "kube-system", name: "sa"),
            r(manager.0, manager.1, manager.2, "update", "leases", group: "coordination.k8s.io", ns: "kube-system", name: "kube-controller-manager"),
            r(manager.0, manager.1, manager.2, "create", "pods", ns: "default"),
            r(node.0, node.1, node.2, "get", "nodes", name: "node-1"),
            r(node.0, node.1, node.2, "patch", "nodes", sub: "status", name: "node-1"),
            r(node.0, node.1, node.2, "list", "pods"),
            r(node.0, node.1, node.2, "update", "leases", group: "coordination.k8s.io", ns: "kube-node-lease", name: "node-1"),
            r(node.0, node.1, node.2, "create", "events", ns: "default"),
            r(node.0, node.1, node.2, "create", "certificatesigningrequests", group: "certificates.k8s.io"),
            r("kube-apiserver's kubelet client", "kube-apiserver-kubelet-client", ["kubeadm:cluster-admins", authenticated], "get", "nodes", sub: "proxy", name: "node-1"),
            r("kube-apiserver's kubelet client", "kube-apiserver-kubelet-client", ["kubeadm:cluster-admins", authenticated], "get", "nodes", sub: "log", name: "node-1"),
        ]
        for path in ["/healthz", "/livez", "/readyz"] {
            probes.append(u("anonymous health checks", "system:anonymous", ["system:unauthenticated"], path))
            probes.append(u("authenticated health checks", "health-checker", [authenticated], path))
        }
        for identity in extraIdentities {
            probes.append(
                r("Arbiter's caller `\(identity.user)`", identity.user, identity.groups + [authenticated], "create", "subjectaccessreviews", group: "authorization.k8s.io"))
            probes.append(u("Arbiter's caller `\(identity.user)`", identity.user, identity.groups + [authenticated], "/healthz"))
        }
        return probes
    }

    /// Every probe a `Deny` AccessPolicy refuses.
    public static func findings(in policy: CompiledPolicy, extraIdentities: [(user: String, groups: [String])] = []) -> [Finding] {
        guard policy.hasDenyPolicies else { return [] }
        return probes(extraIdentities: extraIdentities).compactMap { probe in
            let result = policy.authorize(probe.request)
            guard result.decision == .deny, case .accessPolicy(let index, _)? = result.source else { return nil }
            let denying = policy.accessPolicies[index]
            return Finding(probe: probe, policy: denying.name, location: denying.location)
        }
    }
}
