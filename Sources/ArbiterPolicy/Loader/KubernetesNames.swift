/// The part of Kubernetes' name rules that keeps every binding's reason string
/// (`RoleBinding "name/namespace"`, `ServiceAccount "name/namespace"`) naming one object only.
///
/// Kubernetes requires object and `roleRef` names to be path segments (`ValidateRBACName`: not
/// `.` or `..`, no `/` or `%`), namespaces to be DNS-1123 labels and service-account subject names
/// DNS-1123 subdomains; it does not validate a service-account subject's namespace, and neither
/// does the loader. The loader applies the path-segment rule to the other four: with it,
/// `RoleBinding "a/b"` in `c` and `RoleBinding "a"` in `b/c` can no longer share a reason. It does not apply the
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

    /// A DNS-1123 label (`ValidateNamespaceName`): at most 63 lower-case letters, digits and `-`,
    /// a letter or digit at each end. Used where Kubernetes' exact rule decides what a name means
    /// (a service-account user name splits only with a valid namespace and name).
    static func isDNSLabel(_ text: Substring) -> Bool {
        text.utf8.count <= 63 && hasLabelShape(text)
    }

    /// A DNS-1123 subdomain (`ValidateServiceAccountName`): at most 253 bytes of labels joined by
    /// `.`; its parts have no length of their own, as in `IsDNS1123Subdomain`.
    static func isDNSSubdomain(_ text: Substring) -> Bool {
        text.utf8.count <= 253 && text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(hasLabelShape)
    }

    private static func hasLabelShape(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        func alphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard let first = bytes.first, let last = bytes.last, alphanumeric(first), alphanumeric(last) else {
            return false
        }
        return bytes.allSatisfy { alphanumeric($0) || $0 == UInt8(ascii: "-") }
    }
}
