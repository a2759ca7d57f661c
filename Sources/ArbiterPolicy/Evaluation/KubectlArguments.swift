/// kubectl's `auth can-i` argument syntax, offline.
///
/// `VERB RESOURCE[.GROUP][/NAME]` or `VERB /non/resource/path`. kubectl resolves resource names
/// through the API server's discovery; Arbiter has no API server, so it knows the built-in
/// resources' groups and kubectl's short names, and otherwise takes `name.group` literally
/// (kubectl's own fallback, `schema.ParseGroupResource`: split at the first `.`).
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
        let (resource, group) = resolve(String(resourcePart))
        return AccessRequest(
            user: user, groups: groups,
            attributes: .resource(
                ResourceAttributes(
                    namespace: namespace, verb: verb, group: group, resource: resource, subresource: subresource,
                    name: name)))
    }

    /// Resource and group for a kubectl resource argument.
    public static func resolve(_ argument: String) -> (resource: String, group: String) {
        if let dot = argument.firstIndex(of: ".") {
            let resource = String(argument[..<dot])
            return (shortNames[resource]?.resource ?? resource, String(argument[argument.index(after: dot)...]))
        }
        if let known = shortNames[argument] { return known }
        if let group = builtInGroups[argument] { return (argument, group) }
        if argument.hasSuffix("s") == false, let group = builtInGroups[argument + "s"] { return (argument + "s", group) }
        return (argument, "")
    }

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
