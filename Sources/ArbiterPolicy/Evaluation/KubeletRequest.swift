/// How a kubelet turns a request on its own HTTPS API into authorization checks
/// (`pkg/kubelet/server/auth.go`), so operators can see which permission a kubelet path needs.
///
/// Every check is on resource `nodes` (core group, version v1, no namespace) named after the
/// node, with the verb from the HTTP method and a subresource from the path. With fine-grained
/// kubelet authorization (`KubeletFineGrainedAuthz`, on by default since 1.33) some paths are
/// checked against their own subresource first and fall back to `nodes/proxy`; the request is
/// allowed if any check is allowed. `kubectl logs` goes to `/containerLogs/...`: `nodes/proxy`.
public enum KubeletRequest {
    /// The kubelet's verb for an HTTP method; other methods (HEAD, OPTIONS, ...) get `""`.
    public static func verb(forMethod method: String) -> String {
        switch method.uppercased() {
        case "POST": return "create"
        case "GET": return "get"
        case "PUT": return "update"
        case "PATCH": return "patch"
        case "DELETE": return "delete"
        default: return ""
        }
    }

    /// The subresources checked, in order, for a kubelet path.
    public static func subresources(forPath path: String, fineGrained: Bool) -> [String] {
        func isSubpath(_ prefix: String) -> Bool {
            var base = Substring(prefix)
            if base.hasSuffix("/") { base = base.dropLast() }
            guard path.hasPrefix(base) else { return false }
            return path.count == base.count || path[path.index(path.startIndex, offsetBy: base.count)] == "/"
        }
        if isSubpath("/stats") { return ["stats"] }
        if isSubpath("/metrics") { return ["metrics"] }
        if isSubpath("/logs") { return ["log"] }
        if isSubpath("/checkpoint") { return ["checkpoint"] }
        if fineGrained {
            if isSubpath("/pods") || isSubpath("/runningpods/") { return ["pods", "proxy"] }
            if isSubpath("/healthz") { return ["healthz", "proxy"] }
            if isSubpath("/configz") { return ["configz", "proxy"] }
            if isSubpath("/statusz") { return ["statusz", "proxy"] }
        }
        return ["proxy"]
    }

    /// The checks a kubelet makes for `method path` by `user` on node `node`.
    public static func checks(
        node: String, method: String, path: String, user: String, groups: [String], fineGrained: Bool
    ) -> [AccessRequest] {
        let verb = verb(forMethod: method)
        return subresources(forPath: path, fineGrained: fineGrained).map { subresource in
            AccessRequest(
                user: user, groups: groups,
                attributes: .resource(
                    ResourceAttributes(verb: verb, version: "v1", resource: "nodes", subresource: subresource, name: node)))
        }
    }
}
