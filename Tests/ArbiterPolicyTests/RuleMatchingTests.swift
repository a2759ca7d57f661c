import ArbiterPolicy
import ArbiterTestSupport
import Testing

/// The RBAC matching traps of section 5 of the semantics notes, one table row each.
/// Every row runs through the compiled engine and the reference evaluator.
struct RuleMatchingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var description: String
        var rule: String
        var request: AccessRequest
        var allowed: Bool
        var testDescription: String { description }
    }

    static func policy(rule: String) -> String {
        """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: r}
        rules:
        - \(rule)
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: b}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
        subjects:
        - {kind: User, apiGroup: rbac.authorization.k8s.io, name: jane}
        """
    }

    static let pods = "{apiGroups: [\"\"], resources: [pods], verbs: [get]}"

    static let cases: [Case] = [
        Case(description: "exact verb, group and resource", rule: pods, request: .resource("get", "pods", user: "jane"), allowed: true),
        Case(description: "verbs are case-sensitive", rule: pods, request: .resource("GET", "pods", user: "jane"), allowed: false),
        Case(description: "resources are case-sensitive", rule: pods, request: .resource("get", "Pods", user: "jane"), allowed: false),
        Case(description: "core group must be \"\"", rule: pods, request: .resource("get", "pods", group: "apps", user: "jane"), allowed: false),
        Case(description: "pods does not cover pods/log", rule: pods, request: .resource("get", "pods", subresource: "log", user: "jane"), allowed: false),
        Case(description: "* covers every subresource", rule: "{apiGroups: [\"\"], resources: [\"*\"], verbs: [get]}",
             request: .resource("get", "pods", subresource: "log", user: "jane"), allowed: true),
        Case(description: "*/scale covers deployments/scale", rule: "{apiGroups: [\"*\"], resources: [\"*/scale\"], verbs: [get]}",
             request: .resource("get", "deployments", subresource: "scale", group: "apps", user: "jane"), allowed: true),
        Case(description: "*/scale does not cover a request without subresource", rule: "{apiGroups: [\"*\"], resources: [\"*/scale\"], verbs: [get]}",
             request: .resource("get", "deployments", group: "apps", user: "jane"), allowed: false),
        Case(description: "*/scale does not cover */status", rule: "{apiGroups: [\"*\"], resources: [\"*/scale\"], verbs: [get]}",
             request: .resource("get", "deployments", subresource: "status", group: "apps", user: "jane"), allowed: false),
        Case(description: "pods/* is not a wildcard", rule: "{apiGroups: [\"\"], resources: [\"pods/*\"], verbs: [get]}",
             request: .resource("get", "pods", subresource: "log", user: "jane"), allowed: false),
        Case(description: "pods/* matches a literal pods/* request", rule: "{apiGroups: [\"\"], resources: [\"pods/*\"], verbs: [get]}",
             request: .resource("get", "pods", subresource: "*", user: "jane"), allowed: true),
        Case(description: "pods/log rule covers pods/log", rule: "{apiGroups: [\"\"], resources: [pods/log], verbs: [get]}",
             request: .resource("get", "pods", subresource: "log", user: "jane"), allowed: true),
        Case(description: "request verb * is literal", rule: pods, request: .resource("*", "pods", user: "jane"), allowed: false),
        Case(description: "rule verb * covers anything", rule: "{apiGroups: [\"\"], resources: [pods], verbs: [\"*\"]}",
             request: .resource("escalate", "pods", user: "jane"), allowed: true),
        Case(description: "resourceNames match the exact name", rule: "{apiGroups: [\"\"], resources: [pods], verbs: [get], resourceNames: [web]}",
             request: .resource("get", "pods", name: "web", user: "jane"), allowed: true),
        Case(description: "resourceNames defeat list (empty name)", rule: "{apiGroups: [\"\"], resources: [pods], verbs: [list], resourceNames: [web]}",
             request: .resource("list", "pods", user: "jane"), allowed: false),
        Case(description: "resourceNames defeat create", rule: "{apiGroups: [\"\"], resources: [pods], verbs: [create], resourceNames: [web]}",
             request: .resource("create", "pods", user: "jane"), allowed: false),
        Case(description: "* in resourceNames is literal", rule: "{apiGroups: [\"\"], resources: [pods], verbs: [get], resourceNames: [\"*\"]}",
             request: .resource("get", "pods", name: "web", user: "jane"), allowed: false),
        Case(description: "names compare byte-exactly", rule: "{apiGroups: [\"\"], resources: [pods], verbs: [get], resourceNames: [\"caf\\u00e9\"]}",
             request: .resource("get", "pods", name: "cafe\u{301}", user: "jane"), allowed: false),
        Case(description: "empty resourceNames match the empty name", rule: pods, request: .resource("get", "pods", name: "", user: "jane"), allowed: true),
        Case(description: "version is ignored", rule: pods, request: AccessRequest(user: "jane", attributes: .resource(.init(verb: "get", version: "v9", resource: "pods"))), allowed: true),
        Case(description: "non-resource exact path", rule: "{nonResourceURLs: [/healthz], verbs: [get]}", request: .path("get", "/healthz", user: "jane"), allowed: true),
        Case(description: "/healthz does not grant /healthz/etcd", rule: "{nonResourceURLs: [/healthz], verbs: [get]}", request: .path("get", "/healthz/etcd", user: "jane"), allowed: false),
        Case(description: "/apis/* grants /apis/", rule: "{nonResourceURLs: [\"/apis/*\"], verbs: [get]}", request: .path("get", "/apis/", user: "jane"), allowed: true),
        Case(description: "/apis/* does not grant /apis", rule: "{nonResourceURLs: [\"/apis/*\"], verbs: [get]}", request: .path("get", "/apis", user: "jane"), allowed: false),
        Case(description: "prefix is raw, not segment-aware", rule: "{nonResourceURLs: [\"/custom*\"], verbs: [get]}", request: .path("get", "/customresource", user: "jane"), allowed: true),
        Case(description: "several trailing stars trimmed", rule: "{nonResourceURLs: [\"/x**\"], verbs: [get]}", request: .path("get", "/xy", user: "jane"), allowed: true),
        Case(description: "star inside a URL is literal", rule: "{nonResourceURLs: [\"/a/*/b\"], verbs: [get]}", request: .path("get", "/a/x/b", user: "jane"), allowed: false),
        Case(description: "/healthz/* never allows a traversal outside in bytes", rule: "{nonResourceURLs: [\"/healthz/*\"], verbs: [get]}", request: .path("get", "//healthz/x", user: "jane"), allowed: false),
        Case(description: "/healthz/* with encoded dots stays a prefix match", rule: "{nonResourceURLs: [\"/healthz/*\"], verbs: [get]}", request: .path("get", "/api/%2e%2e/healthz/", user: "jane"), allowed: false),
        Case(description: "* URL covers every path", rule: "{nonResourceURLs: [\"*\"], verbs: [get]}", request: .path("get", "/anything", user: "jane"), allowed: true),
        Case(description: "resource rules never match non-resource requests", rule: "{apiGroups: [\"*\"], resources: [\"*\"], verbs: [\"*\"]}", request: .path("get", "/healthz", user: "jane"), allowed: false),
        Case(description: "URL rules never match resource requests", rule: "{nonResourceURLs: [\"*\"], verbs: [\"*\"]}", request: .resource("get", "pods", user: "jane"), allowed: false),
        Case(description: "users compare byte-exactly (Kelvin sign)", rule: pods, request: .resource("get", "pods", user: "\u{212A}"), allowed: false),
        Case(description: "user * is not a wildcard", rule: pods, request: .resource("get", "pods", user: "*"), allowed: false),
    ]

    @Test(arguments: cases)
    func ruleMatches(_ row: Case) throws {
        let yaml = Self.policy(rule: row.rule)
        let compiled = try compilePolicy(yaml)
        let result = compiled.authorize(row.request)
        #expect((result.decision == .allow) == row.allowed, "\(row.description): \(result.reason)")
        let reference = ReferenceEvaluator(try loadPolicySet(yaml)).authorize(row.request)
        #expect(reference.decision == result.decision)
        #expect(reference.reason == result.reason)
        if row.allowed {
            #expect(result.reason == #"RBAC: allowed by ClusterRoleBinding "b" of ClusterRole "r" to User "jane""#)
        } else {
            #expect(result.reason == "")
        }
    }
}

/// Verb ids from the 64th on share bit 63 of a rule's verb mask: for them the mask only says
/// "maybe" and the evaluator compares the rule's own verb ids (kept beside the rules).
struct LateVerbTests {
    /// 70 roles, role `r<i>` granting verb `v<i>` on pods (and for odd `i` also `w<i>`), each
    /// bound to user `u<i>`: 105 distinct verbs, so the 42 interned last have no bit of their own.
    static func policy() -> String {
        (0..<70).map { i in
            let verbs = i % 2 == 0 ? "[v\(i)]" : "[v\(i), w\(i)]"
            return """
                apiVersion: rbac.authorization.k8s.io/v1
                kind: ClusterRole
                metadata: {name: r\(i)}
                rules:
                - {apiGroups: [""], resources: [pods], verbs: \(verbs)}
                ---
                apiVersion: rbac.authorization.k8s.io/v1
                kind: ClusterRoleBinding
                metadata: {name: b\(i)}
                roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r\(i)}
                subjects:
                - {kind: User, apiGroup: rbac.authorization.k8s.io, name: u\(i)}
                """
        }.joined(separator: "\n---\n")
    }

    @Test func lateVerbsMatchOnlyTheirOwnRules() throws {
        let yaml = Self.policy()
        let compiled = try compilePolicy(yaml)
        let reference = ReferenceEvaluator(try loadPolicySet(yaml))
        var allowed = 0
        for user in [0, 1, 40, 62, 63, 64, 65, 66, 68, 69] {
            for verb in ["v0", "v1", "w1", "v40", "v62", "v63", "v64", "v65", "w65", "v66", "v68", "v69", "w69", "v70", "x"] {
                let request = AccessRequest.resource(verb, "pods", user: "u\(user)")
                let result = compiled.authorize(request)
                let want = verb == "v\(user)" || (user % 2 == 1 && verb == "w\(user)")
                #expect((result.decision == .allow) == want, "u\(user) \(verb): \(result.reason)")
                #expect(reference.authorize(request).decision == result.decision, "u\(user) \(verb)")
                if want { allowed += 1 }
            }
        }
        #expect(allowed == 13)
    }
}
