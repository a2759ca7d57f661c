/// The part of Kubernetes' name rules that keeps every binding's reason string
/// (`RoleBinding "name/namespace"`, `ServiceAccount "name/namespace"`) naming one object only.
///
/// Kubernetes requires object and `roleRef` names to be path segments (`ValidateRBACName`: not
/// `.` or `..`, no `/` or `%`), namespaces to be DNS-1123 labels and service-account names DNS-1123
/// subdomains. The loader applies the path-segment rule to all four: with it, `RoleBinding "a/b"`
/// in `c` and `RoleBinding "a"` in `b/c` can no longer share a reason. It does not apply the
/// stricter DNS rules: an object the API server would refuse for them (an upper-case namespace)
/// can only fail to match, never match more, and the byte-exactness tests rely on such names.
enum KubernetesNames {
    /// Why `name` is not a valid path segment, or `nil`.
    static func pathSegmentProblem(_ name: String) -> String? {
        if name == "." || name == ".." { return "may not be `.` or `..`" }
        if name.utf8.contains(UInt8(ascii: "/")) || name.utf8.contains(UInt8(ascii: "%")) {
            return "may not contain `/` or `%`"
        }
        return nil
    }
}
