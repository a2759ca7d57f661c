/// kubectl's `auth can-i` argument syntax, offline.
///
/// `VERB RESOURCE[.GROUP][/NAME]` or `VERB /non/resource/path`. kubectl lower-cases the resource
/// argument and resolves it through the API server's discovery; Arbiter has no API server, so it
/// knows the built-in resources' groups, their singular forms and kubectl's short names, reads
/// `RESOURCE.VERSION.GROUP` when the middle part is a Kubernetes version, and otherwise takes
/// `name.group` literally (kubectl's own fallback, `schema.ParseGroupResource`: split at the first
/// `.`).
public enum KubectlArguments {
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Builds the request `kubectl auth can-i` would send.
    public static func request(
        verb: String, target: String, namespace: String, subresource: String, user: String, groups: [String]
    ) throws(ParseError) -> AccessRequest {
        guard !verb.isEmpty else { throw ParseError(description: "the verb is empty") }
        guard !target.isEmpty else { throw ParseError(description: "the resource is empty") }
        if target.hasPrefix("/") {
            guard subresource.isEmpty else {
                throw ParseError(description: "`--subresource` does not apply to a non-resource URL")
            }
            return AccessRequest(user: user, groups: groups, attributes: .nonResource(.init(path: target, verb: verb)))
        }
        var resourcePart = Substring(target)
        var name = ""
        if let slash = target.firstIndex(of: "/") {
            resourcePart = target[..<slash]
            name = String(target[target.index(after: slash)...])
            guard !name.isEmpty, !name.contains("/") else {
                throw ParseError(description: "`\(target)` is not RESOURCE or RESOURCE/NAME")
            }
        }
        guard !resourcePart.isEmpty else { throw ParseError(description: "`\(target)` has no resource") }
        let (resource, group) = resolve(resourcePart.lowercased())
        return AccessRequest(
            user: user, groups: groups,
            attributes: .resource(
                ResourceAttributes(
                    namespace: namespace, verb: verb, group: group, resource: resource, subresource: subresource,
                    name: name)))
    }

    /// Resource and group for a (lower-case) kubectl resource argument.
    public static func resolve(_ argument: String) -> (resource: String, group: String) {
        if let dot = argument.firstIndex(of: ".") {
            let name = String(argument[..<dot])
            var group = String(argument[argument.index(after: dot)...])
            // `deployments.v1.apps`: kubectl first tries RESOURCE.VERSION.GROUP.
            if let next = group.firstIndex(of: "."), isVersion(group[..<next]) {
                group = String(group[group.index(after: next)...])
            }
            // A known name in its own group (`deploy.apps`, `deployment.apps`) is the plural;
            // anything else is taken as written.
            if let known = shortNames[name] ?? pluralOf[name].map({ ($0, builtInGroups[$0] ?? "") }), known.group == group {
                return (known.resource, group)
            }
            return (name, group)
        }
        if let known = shortNames[argument] { return known }
        if let group = builtInGroups[argument] { return (argument, group) }
        if let plural = pluralOf[argument], let group = builtInGroups[plural] { return (plural, group) }
        return (argument, "")
    }

    /// What `kubectl auth can-i` would warn about: a verb it does not know (`GET`: verbs are
    /// compared as bytes, so it matches only rules that say `GET` or `*`), and a name that looks
    /// like a subresource.
    public static func warnings(for request: AccessRequest) -> [String] {
        var result: [String] = []
        let verb: String
        let known: Set<String>
        switch request.attributes {
        case .resource(let attributes): (verb, known) = (attributes.verb, resourceVerbs)
        case .nonResource(let attributes): (verb, known) = (attributes.verb, nonResourceVerbs)
        }
        if !known.contains(verb) {
            result.append("verb `\(verb)` is not a known verb (verbs are lower-case: get, list, create, ...)")
        }
        if let subresource = subresourceWarning(for: request) { result.append(subresource) }
        return result
    }

    /// kubectl's lists of known verbs (`auth can-i`), for resources and for non-resource URLs.
    static let resourceVerbs: Set<String> = [
        "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "use", "bind",
        "impersonate", "*", "approve", "sign", "escalate", "attest",
    ]
    static let nonResourceVerbs: Set<String> = ["get", "put", "post", "head", "options", "delete", "patch", "*"]

    /// A warning for `RESOURCE/NAME` whose NAME is a well-known subresource (`pods/exec`,
    /// `nodes/stats`): kubectl, and so Arbiter, read it as the object's name, which is rarely what
    /// was meant.
    static func subresourceWarning(for request: AccessRequest) -> String? {
        guard case .resource(let attributes) = request.attributes, attributes.subresource.isEmpty,
            wellKnownSubresources.contains(attributes.name)
        else { return nil }
        return "`\(attributes.resource)/\(attributes.name)` asks about the object named `\(attributes.name)`, as in kubectl; "
            + "for the subresource, give `\(attributes.resource) --subresource \(attributes.name)`"
    }

    static let wellKnownSubresources: Set<String> = [
        "log", "exec", "attach", "portforward", "proxy", "status", "scale", "binding", "eviction",
        "ephemeralcontainers", "resize", "token", "approval", "finalize", "stats", "metrics", "spec", "configz",
        "healthz", "checkpoint",
    ]

    /// True for a Kubernetes API version: `v1`, `v2beta1`, `v1alpha3`.
    static func isVersion(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "v") else { return false }
        var index = 1
        func digits() -> Bool {
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index > start && bytes[start] != UInt8(ascii: "0")
        }
        guard digits() else { return false }
        if index == bytes.count { return true }
        for stage in ["alpha", "beta"] where bytes[index...].starts(with: stage.utf8) {
            index += stage.utf8.count
            return digits() && index == bytes.count
        }
        return false
    }

    /// The groups kube-apiserver gives an impersonated user (`kubectl --as USER [--as-group G]...`),
    /// as its impersonation filter does: a service account's own groups when no group is given,
    /// then `system:authenticated` for every user but `system:anonymous` (which gets
    /// `system:unauthenticated`) unless one of the two is already there.
    public static func impersonatedGroups(user: String, groups: [String]) -> [String] {
        var result = groups
        let serviceAccountPrefix = "system:serviceaccount:"
        if result.isEmpty, user.hasPrefix(serviceAccountPrefix) {
            let parts = user.dropFirst(serviceAccountPrefix.count).split(separator: ":", omittingEmptySubsequences: false)
            // `serviceaccount.SplitUsername`: a DNS-label namespace and a DNS-subdomain name, or
            // the name is a plain user's.
            if parts.count == 2, KubernetesNames.isDNSLabel(parts[0]), KubernetesNames.isDNSSubdomain(parts[1]) {
                result = ["system:serviceaccounts", "system:serviceaccounts:\(parts[0])"]
            }
        }
        if user == "system:anonymous" {
            if !result.contains("system:unauthenticated") { result.append("system:unauthenticated") }
        } else if !result.contains("system:authenticated"), !result.contains("system:unauthenticated") {
            result.append("system:authenticated")
        }
        return result
    }

    /// The plural of each built-in resource's singular name (`ingress` → `ingresses`,
    /// `networkpolicy` → `networkpolicies`), as discovery reports them.
    static let pluralOf: [String: String] = {
        var table: [String: String] = [:]
        for plural in builtInGroups.keys {
            let singular: String
            if plural == "endpoints" {
                singular = plural
            } else if plural.hasSuffix("ies") {
                singular = plural.dropLast(3) + "y"
            } else if plural.hasSuffix("sses") || plural.hasSuffix("ches") || plural.hasSuffix("uses") {
                singular = String(plural.dropLast(2))
            } else {
                singular = String(plural.dropLast())
            }
            if singular != plural { table[singular] = plural }
        }
        return table
    }()

    /// kubectl's short names of built-in resources.
    static let shortNames: [String: (resource: String, group: String)] = [
        "po": ("pods", ""), "svc": ("services", ""), "cm": ("configmaps", ""), "ns": ("namespaces", ""),
        "no": ("nodes", ""), "sa": ("serviceaccounts", ""), "ep": ("endpoints", ""), "ev": ("events", ""),
        "pv": ("persistentvolumes", ""), "pvc": ("persistentvolumeclaims", ""), "rc": ("replicationcontrollers", ""),
        "quota": ("resourcequotas", ""), "limits": ("limitranges", ""), "deploy": ("deployments", "apps"),
        "rs": ("replicasets", "apps"), "ds": ("daemonsets", "apps"), "sts": ("statefulsets", "apps"),
        "cj": ("cronjobs", "batch"), "ing": ("ingresses", "networking.k8s.io"),
        "netpol": ("networkpolicies", "networking.k8s.io"), "hpa": ("horizontalpodautoscalers", "autoscaling"),
        "pdb": ("poddisruptionbudgets", "policy"), "sc": ("storageclasses", "storage.k8s.io"),
        "csr": ("certificatesigningrequests", "certificates.k8s.io"), "crd": ("customresourcedefinitions", "apiextensions.k8s.io"),
        "pc": ("priorityclasses", "scheduling.k8s.io"),
    ]

    /// Groups of built-in resources (the core group is `""`).
    static let builtInGroups: [String: String] = [
        "pods": "", "services": "", "configmaps": "", "secrets": "", "namespaces": "", "nodes": "",
        "serviceaccounts": "", "endpoints": "", "events": "", "persistentvolumes": "", "persistentvolumeclaims": "",
        "replicationcontrollers": "", "resourcequotas": "", "limitranges": "", "podtemplates": "",
        "bindings": "", "componentstatuses": "",
        "deployments": "apps", "replicasets": "apps", "daemonsets": "apps", "statefulsets": "apps",
        "controllerrevisions": "apps", "jobs": "batch", "cronjobs": "batch",
        "ingresses": "networking.k8s.io", "ingressclasses": "networking.k8s.io", "networkpolicies": "networking.k8s.io",
        "roles": "rbac.authorization.k8s.io", "rolebindings": "rbac.authorization.k8s.io",
        "clusterroles": "rbac.authorization.k8s.io", "clusterrolebindings": "rbac.authorization.k8s.io",
        "horizontalpodautoscalers": "autoscaling", "poddisruptionbudgets": "policy",
        "storageclasses": "storage.k8s.io", "volumeattachments": "storage.k8s.io", "csidrivers": "storage.k8s.io",
        "csinodes": "storage.k8s.io", "certificatesigningrequests": "certificates.k8s.io",
        "leases": "coordination.k8s.io", "customresourcedefinitions": "apiextensions.k8s.io",
        "priorityclasses": "scheduling.k8s.io", "runtimeclasses": "node.k8s.io",
        "validatingwebhookconfigurations": "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations": "admissionregistration.k8s.io",
        "tokenreviews": "authentication.k8s.io", "subjectaccessreviews": "authorization.k8s.io",
        "selfsubjectaccessreviews": "authorization.k8s.io", "localsubjectaccessreviews": "authorization.k8s.io",
        "selfsubjectrulesreviews": "authorization.k8s.io", "endpointslices": "discovery.k8s.io",
        "flowschemas": "flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations": "flowcontrol.apiserver.k8s.io",
        "apiservices": "apiregistration.k8s.io",
    ]
}
