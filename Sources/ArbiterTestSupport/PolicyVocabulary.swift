/// The strings generated policies and requests are drawn from: small pools dense with the RBAC
/// traps (case variants, `*` in every position, empty strings, subresources, URL prefixes and
/// path tricks, service-account names, canonically-equivalent but byte-different pairs).
public enum PolicyVocabulary {
    /// Canonically equivalent under Swift's `==`, different as bytes (Kubernetes compares bytes).
    /// (The Kelvin sign decomposes to capital `K`.)
    public static let equivalentPairs: [(String, String)] = [
        ("K", "\u{212A}"), ("Kube-admin", "\u{212A}ube-admin"), ("é", "e\u{301}"), ("josé", "jose\u{301}"),
    ]
    /// Equal only after compatibility normalisation and case folding (the security checklist's
    /// `kube-admin`); a naive "normalise and lower-case" matcher would confuse them.
    public static let lookalikePairs: [(String, String)] = [("kube-admin", "\u{212A}ube-admin")]

    public static let verbs = [
        "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "impersonate", "bind",
        "GET", "Get", "*", "", "post", "put", "g\u{212A}t",
    ]
    public static let apiGroups = ["", "*", "apps", "Apps", "rbac.authorization.k8s.io", "batch", "é", "e\u{301}"]
    public static let resources = ["pods", "Pods", "deployments", "secrets", "nodes", "namespaces", "K", "\u{212A}"]
    public static let subresources = ["log", "scale", "exec", "status", "*", "Log"]
    /// Rule entries beyond `resource` and `resource/sub`.
    public static let resourcePatterns = ["*", "*/scale", "*/log", "*/*", "pods/*", "*/", "**", "pods/log/x"]
    public static let resourceNames = [
        "a", "b", "*", "", "kube-admin", "Kube-admin", "\u{212A}ube-admin", "josé", "jose\u{301}", "a*", "team-a",
    ]
    public static let ruleURLs = [
        "/healthz", "/healthz/*", "/healthz*", "/healthz/", "/api", "/api/*", "/apis/*", "/*", "*", "**",
        "/healthz/**", "/metrics", "/custom*", "/a*b", "/", "/josé", "/jose\u{301}*", "", "/version/",
        // U+0600 is a grapheme "prepend" character: `"/\u{600}*"` is one Character shorter than it
        // looks, so a `hasSuffix("*")` on Characters misses its trailing `*`.
        "/\u{600}*",
    ]
    public static let paths = [
        "/healthz", "/healthz/", "/healthz/etcd", "/healthz/../api", "//healthz/x", "/healthz/%2e%2e/api",
        "/healthz/\u{0}", "/healthz\u{0}/x", "/api", "/apis", "/apis/", "/customresource", "/metrics", "/a*b",
        "/axb", "*", "", "/", "/josé", "/jose\u{301}", "/jose\u{301}/x", "/version", "/HEALTHZ", "/api/v1",
    ]
    public static let namespaces = [
        "ns1", "ns2", "team-a", "kube-system", "K", "\u{212A}", "josé", "jose\u{301}", "\u{600}ns",
    ]
    /// Namespaces that break naive `ns:name` keys; Kubernetes would refuse them, our loader does
    /// not (it refuses `/` and `%`, as Kubernetes does, so `a/b` is not here).
    public static let awkwardNamespaces = ["a", "a:b"]
    public static let serviceAccountNames = ["sa1", "sa2", "default", "josé", "jose\u{301}", "b:c", "c"]
    public static let users = [
        "alice", "bob", "kube-admin", "Kube-admin", "\u{212A}ube-admin", "josé", "jose\u{301}", "K", "\u{212A}", "Alice",
        "system:anonymous", "system:node:n1", "system:serviceaccount:ns1:sa1", "system:serviceaccount:ns1",
        "system:serviceaccount::sa1", "system:serviceaccount:a:b:c", "*", "\u{600}admin",
    ]
    public static let groups = [
        "devs", "ops", "system:authenticated", "system:unauthenticated", "system:serviceaccounts",
        "system:serviceaccounts:ns1", "system:masters", "K", "\u{212A}", "josé", "jose\u{301}", "*", "Devs",
    ]
    public static let roleNames = ["view", "edit", "admin", "r1", "r2", "K", "\u{212A}", "josé", "jose\u{301}", "b:c", "c"]
    public static let bindingNames = ["b1", "b2", "b3", "K", "\u{212A}", "é", "e\u{301}", "z"]
    /// Extra names for large sets (``PolicyGenerator/Options/maxBindings`` over 10).
    public static let numberedNames = (10..<40).map { "n\($0)" }
    public static let policyNames = ["p1", "p2", "p3", "K", "\u{212A}", "é", "e\u{301}", "break-glass"]
    public static let labelKeys = ["aggregate-to-admin", "aggregate-to-edit", "aggregate-to-view", "tier", "é"]
    public static let labelValues = ["true", "false", "K", "\u{212A}", "é", "e\u{301}", ""]
}
