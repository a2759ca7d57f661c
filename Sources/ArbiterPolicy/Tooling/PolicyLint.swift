/// `lint`: risky grants, rules that can never match, broken references and shadowed AccessPolicies.
///
/// Role rules are checked as written (each finding points at the role); what bindings grant is
/// checked with the engine's own matching (``CompiledPolicy/whoCan(_:)``), so aggregation, wildcards
/// and scopes are exact.
public struct LintFinding: Sendable, Hashable {
    public enum Severity: String, Sendable, Hashable, Comparable, CaseIterable {
        case info, warning, critical

        var rank: Int {
            switch self {
            case .info: return 0
            case .warning: return 1
            case .critical: return 2
            }
        }

        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }

    public var severity: Severity
    /// Stable rule id (`wildcard-resources`, `secrets-cluster-read`, ...).
    public var rule: String
    /// `Kind/name` or `Kind/namespace/name`.
    public var object: String
    public var location: SourceLocation?
    public var message: String
}

public enum PolicyLint {
    /// Every rule id with its severity and a one-line description.
    public static let rules: [(id: String, severity: LintFinding.Severity, summary: String)] = [
        ("wildcard-resources", .critical, "a rule grants resources `*`"),
        ("wildcard-verbs", .critical, "a rule grants verbs `*` on a sensitive resource"),
        ("escalation-verbs", .critical, "escalate, bind or impersonate"),
        ("nodes-proxy", .critical, "nodes/proxy (kubelet API: exec in any pod of the node)"),
        ("pod-exec", .warning, "pods/exec, pods/attach or pods/portforward"),
        ("serviceaccount-token", .warning, "serviceaccounts/token create (mint tokens)"),
        ("csr-approval", .critical, "certificatesigningrequests/approval update or signers approve"),
        ("webhook-config-write", .critical, "writes to admission webhook configurations"),
        ("secrets-cluster-read", .critical, "get/list/watch secrets granted cluster-wide (a ClusterRoleBinding or an Allow AccessPolicy)"),
        ("kube-system-workload-create", .critical, "create on pods or workloads in kube-system (a binding or an Allow AccessPolicy)"),
        ("public-group-binding", .critical, "system:unauthenticated or system:authenticated bound beyond discovery/health"),
        ("never-matches", .warning, "a rule that can never match"),
        ("unknown-verb", .warning, "a verb Kubernetes never sends"),
        ("missing-role", .warning, "a binding refers to a role that does not exist"),
        ("shadowed-access-policy", .warning, "an AccessPolicy fully covered by a Deny AccessPolicy"),
    ]

    static func severity(_ id: String) -> LintFinding.Severity {
        rules.first { $0.id == id }?.severity ?? .warning
    }

    static let sensitiveResources: Set<String> = [
        "secrets", "pods", "pods/exec", "pods/attach", "pods/portforward", "pods/ephemeralcontainers", "nodes",
        "nodes/proxy", "serviceaccounts", "serviceaccounts/token", "roles", "clusterroles", "rolebindings",
        "clusterrolebindings", "mutatingwebhookconfigurations", "validatingwebhookconfigurations",
        "validatingadmissionpolicies", "validatingadmissionpolicybindings", "certificatesigningrequests",
        "certificatesigningrequests/approval", "signers", "customresourcedefinitions", "persistentvolumes",
        "configmaps", "deployments", "daemonsets", "statefulsets", "replicasets", "jobs", "cronjobs",
        "tokenreviews", "subjectaccessreviews", "users", "groups",
    ]

    static let knownVerbs: Set<String> = [
        "*", "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "escalate", "bind",
        "impersonate", "approve", "sign", "use", "proxy", "attest", "post", "put", "head", "options",
    ]

    static let discoveryURLs: Set<String> = [
        "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/healthz/*", "/livez", "/livez/*", "/readyz", "/readyz/*",
        "/version", "/version/", "/openapi", "/openapi/*", "/.well-known/openid-configuration", "/openid/v1/jwks",
    ]

    static let selfReviews: Set<String> = ["selfsubjectaccessreviews", "selfsubjectrulesreviews", "selfsubjectreviews"]

    /// What `rules` grant beyond discovery, health and self-reviews: what a public subject must not get.
    static func beyondDiscovery(_ rules: [PolicyRule]) -> [String] {
        var beyond: [String] = []
        for rule in rules {
            for url in rule.nonResourceURLs where !discoveryURLs.contains(url) { beyond.append(url) }
            let verbs = Set(rule.verbs)
            for resource in rule.resources
            where !(selfReviews.contains(resource) && verbs == ["create"]
                && rule.apiGroups.allSatisfy { $0 == "authorization.k8s.io" || $0 == "authentication.k8s.io" })
            {
                beyond.append(resource)
            }
            if rule.nonResourceURLs.isEmpty == false && !Set(rule.verbs).isSubset(of: ["get", "head"]) {
                beyond.append("\(rule.verbs) on \(rule.nonResourceURLs)")
            }
        }
        return beyond
    }

    static func objectName(_ kind: String, _ namespace: String, _ name: String) -> String {
        namespace.isEmpty ? "\(kind)/\(name)" : "\(kind)/\(namespace)/\(name)"
    }

    /// Lints a loaded policy set (as written, for locations) and its compiled form (for exact grants).
    public static func lint(_ set: PolicySet) -> [LintFinding] {
        let compiled = PolicyCompiler.compile(set)
        var findings: [LintFinding] = []
        func add(_ rule: String, _ object: String, _ location: SourceLocation?, _ message: String) {
            findings.append(.init(severity: severity(rule), rule: rule, object: object, location: location, message: message))
        }

        // Rules as written: every Role's, and every Allow AccessPolicy's (which grants as a role does).
        func lintRule(_ rule: PolicyRule, _ at: String, _ object: String, _ location: SourceLocation?) {
            let verbs = Set(rule.verbs)
            let anyVerb = verbs.contains("*")
            let groups = rule.apiGroups
            func has(_ resource: String, groups wanted: [String]) -> Bool {
                let groupOK = groups.contains("*") || groups.contains { wanted.contains($0) }
                guard groupOK else { return false }
                if rule.resources.contains("*") || rule.resources.contains(resource) { return true }
                if let slash = resource.firstIndex(of: "/") {
                    return rule.resources.contains("*" + resource[slash...])
                }
                return false
            }
            func grants(_ resource: String, _ group: String, _ wanted: Set<String>) -> Bool {
                has(resource, groups: [group]) && (anyVerb || !verbs.isDisjoint(with: wanted))
            }
            if !rule.resources.isEmpty && rule.resources.contains("*") {
                add("wildcard-resources", object, location, "\(at) grants resources `*` (verbs \(rule.verbs))")
            } else if anyVerb {
                let sensitive = rule.resources.filter { sensitiveResources.contains($0) || $0.hasPrefix("*/") }
                if !sensitive.isEmpty {
                    add("wildcard-verbs", object, location, "\(at) grants verbs `*` on \(sensitive.joined(separator: ", "))")
                }
            }
            let escalation = ["escalate", "bind", "impersonate"].filter { verbs.contains($0) }
            if !escalation.isEmpty {
                add("escalation-verbs", object, location, "\(at) grants \(escalation.joined(separator: ", ")) on \(rule.resources)")
            }
            if has("nodes/proxy", groups: [""]) && !rule.resources.contains("*") {
                add("nodes-proxy", object, location, "\(at) grants \(rule.verbs) on nodes/proxy")
            }
            let exec = ["pods/exec", "pods/attach", "pods/portforward"].filter { has($0, groups: [""]) }
            if !exec.isEmpty && !rule.resources.contains("*") {
                add("pod-exec", object, location, "\(at) grants \(rule.verbs) on \(exec.joined(separator: ", "))")
            }
            if grants("serviceaccounts/token", "", ["create"]) && !rule.resources.contains("*") {
                add("serviceaccount-token", object, location, "\(at) grants create on serviceaccounts/token")
            }
            if !rule.resources.contains("*")
                && (grants("certificatesigningrequests/approval", "certificates.k8s.io", ["update", "patch"])
                    || grants("signers", "certificates.k8s.io", ["approve"]))
            {
                add("csr-approval", object, location, "\(at) can approve certificate signing requests")
            }
            let webhooks = ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"].filter {
                grants($0, "admissionregistration.k8s.io", ["create", "update", "patch", "delete", "deletecollection"])
            }
            if !webhooks.isEmpty && !rule.resources.contains("*") {
                add("webhook-config-write", object, location, "\(at) can write \(webhooks.joined(separator: ", "))")
            }
            // Rules that can never match.
            // A create or deletecollection of a whole resource names no object; a named
            // subresource's create does (`serviceaccounts/token`, `pods/exec`), and list/watch can
            // (a `metadata.name` field selector).
            if !rule.resourceNames.isEmpty && !anyVerb && verbs.isSubset(of: ["create", "deletecollection"])
                && !rule.resources.contains(where: { $0.contains("/") })
            {
                add(
                    "never-matches", object, location,
                    "\(at) restricts resourceNames but its verbs \(rule.verbs) never carry a name")
            }
            for resource in rule.resources where resource.count > 2 && resource.hasSuffix("/*") {
                add(
                    "never-matches", object, location,
                    "\(at) resource `\(resource)` never matches (RBAC has no subresource wildcard; use `*/sub` or list them)")
            }
            if rule.verbs.isEmpty || (rule.resources.isEmpty && rule.nonResourceURLs.isEmpty)
                || (!rule.resources.isEmpty && rule.apiGroups.isEmpty)
            {
                add("never-matches", object, location, "\(at) has no verbs, no apiGroups or nothing to apply to")
            }
            for verb in rule.verbs where !knownVerbs.contains(verb) {
                add("unknown-verb", object, location, "\(at) verb `\(verb)` is never requested, so it never matches")
            }
        }
        for role in set.roles {
            let object = objectName(role.kind.rawValue, role.namespace, role.name)
            for (index, rule) in role.rules.enumerated() { lintRule(rule, "rule \(index)", object, role.location) }
        }
        for policy in set.accessPolicies where policy.effect == .allow {
            let object = objectName("AccessPolicy", "", policy.name)
            for (index, rule) in policy.rules.enumerated() { lintRule(rule, "rule \(index)", object, policy.location) }
        }

        // Bindings: missing roles, and public groups.
        for (index, binding) in compiled.bindings.enumerated() {
            let object = objectName(binding.kind.rawValue, binding.namespace, binding.name)
            let role = compiled.bindingRoles[index]
            if role < 0 {
                add(
                    "missing-role", object, binding.location,
                    "roleRef \(binding.roleRef.kind.rawValue) `\(binding.roleRef.name)` does not exist")
                continue
            }
            let publicGroups = binding.subjects.filter {
                ($0.kind == .group && ($0.name == "system:unauthenticated" || $0.name == "system:authenticated"))
                    || ($0.kind == .user && $0.name == "system:anonymous")
            }.map(\.name)
            if !publicGroups.isEmpty {
                let beyond = beyondDiscovery(compiled.roles[Int(role)].rules)
                if !beyond.isEmpty {
                    add(
                        "public-group-binding", object, binding.location,
                        "binds \(publicGroups.joined(separator: ", ")) to \(binding.roleRef.name), which grants \(beyond.joined(separator: ", "))")
                }
            }
        }

        // Allow AccessPolicies for everyone, like bindings of the public groups.
        for policy in set.accessPolicies where policy.effect == .allow {
            let everyone = policy.subjects.filter {
                ($0.kind == .user && ($0.name == "*" || $0.name == "system:anonymous"))
                    || ($0.kind == .group
                        && ($0.name == "*" || $0.name == "system:authenticated" || $0.name == "system:unauthenticated"))
            }
            let beyond = beyondDiscovery(policy.rules)
            if !everyone.isEmpty && !beyond.isEmpty {
                add(
                    "public-group-binding", objectName("AccessPolicy", "", policy.name), policy.location,
                    "allows \(everyone.map { "\($0.kind) \($0.name)" }.joined(separator: ", ")) to reach \(beyond.joined(separator: ", "))")
            }
        }

        // What bindings and Allow AccessPolicies grant, with the engine's matching.
        var reported = Set<String>()
        /// Each binding or Allow AccessPolicy that grants `request` to someone: its object name,
        /// location and what grants it (the role, or the policy's rule).
        func grantors(_ request: AccessRequest) -> [(object: String, location: SourceLocation?, through: String, cluster: Bool)] {
            let result = compiled.whoCan(request)
            var out: [(object: String, location: SourceLocation?, through: String, cluster: Bool)] = []
            func addPolicy(_ name: String, _ rule: Int) {
                let location = compiled.accessPolicies.first { $0.name == name }?.location
                out.append((objectName("AccessPolicy", "", name), location, "its rule \(rule)", true))
            }
            for entry in result.subjects {
                for grant in entry.grants {
                    switch grant {
                    case .binding(let kind, let name, let namespace, _, let role, _):
                        let location = compiled.bindings.first { $0.kind == kind && $0.namespace == namespace && $0.name == name }?.location
                        out.append((objectName(kind.rawValue, namespace, name), location, role, kind == .clusterRoleBinding))
                    case .accessPolicy(let name, let rule):
                        addPolicy(name, rule)
                    }
                }
            }
            for pattern in result.patterns { addPolicy(pattern.policy, pattern.rule) }
            return out
        }
        for verb in ["get", "list", "watch"] {
            // A request without a namespace: only what applies cluster-wide matches it (an
            // AccessPolicy with `spec.namespaces` never does).
            for grantor in grantors(.init(user: "", attributes: .resource(.init(verb: verb, resource: "secrets"))))
            where grantor.cluster {
                guard reported.insert("secrets|" + grantor.object).inserted else { continue }
                add("secrets-cluster-read", grantor.object, grantor.location, "grants \(verb) secrets cluster-wide through \(grantor.through)")
            }
        }
        let workloads: [(String, String)] = [
            ("pods", ""), ("deployments", "apps"), ("daemonsets", "apps"), ("statefulsets", "apps"), ("replicasets", "apps"),
            ("jobs", "batch"), ("cronjobs", "batch"), ("replicationcontrollers", ""),
        ]
        for (resource, group) in workloads {
            for grantor in grantors(.init(
                user: "", attributes: .resource(.init(namespace: "kube-system", verb: "create", group: group, resource: resource))))
            {
                guard reported.insert("kube-system|" + grantor.object).inserted else { continue }
                add(
                    "kube-system-workload-create", grantor.object, grantor.location,
                    "grants create \(resource) in kube-system through \(grantor.through)")
            }
        }

        // AccessPolicies shadowed by a Deny.
        for policy in compiled.accessPolicies {
            for other in compiled.accessPolicies where other.effect == .deny && other.name != policy.name {
                // Of two Denies that cover each other, only one is redundant: the later name.
                if covers(other, policy), !(policy.effect == .deny && covers(policy, other) && policy.name < other.name) {
                    let object = objectName("AccessPolicy", "", policy.name)
                    let what = policy.effect == .deny ? "redundant: Deny" : "never takes effect: Allow"
                    add(
                        "shadowed-access-policy", object, policy.location,
                        "\(what) fully covered by Deny AccessPolicy `\(other.name)`")
                    break
                }
            }
        }

        findings.sort { a, b in
            let la = a.location.map { ($0.file, $0.line) } ?? ("", 0)
            let lb = b.location.map { ($0.file, $0.line) } ?? ("", 0)
            if la != lb { return la < lb }
            if a.rule != b.rule { return a.rule < b.rule }
            return a.message < b.message
        }
        return findings
    }

    // MARK: - Coverage (shadowing)

    /// Pattern `p` matches every value pattern `q` matches.
    static func patternCovers(_ p: String, _ q: String) -> Bool {
        if Pattern.isPattern(p) { return Pattern.literal(q).utf8.starts(with: Pattern.literal(p).utf8) }
        return !Pattern.isPattern(q) && p.bytesEqual(q)
    }

    static func subjectCovers(_ p: SubjectPattern, _ q: SubjectPattern) -> Bool {
        if p.kind == .user && Pattern.isPattern(p.name) && Pattern.literal(p.name).isEmpty && q.kind != .group {
            return true  // User "*" matches every user name, service accounts included
        }
        if p.kind == .user && q.kind == .serviceAccount {
            return patternCovers(p.name, ServiceAccountName.prefix + q.namespace + ":" + q.name)
                && !Pattern.isPattern(q.namespace)
        }
        guard p.kind == q.kind else { return false }
        return patternCovers(p.name, q.name) && (p.kind != .serviceAccount || patternCovers(p.namespace, q.namespace))
    }

    static func listCovers(_ p: [String], _ q: [String]) -> Bool {
        p.contains("*") || q.allSatisfy { item in p.contains { $0.bytesEqual(item) } }
    }

    static func ruleCovers(_ p: PolicyRule, _ q: PolicyRule) -> Bool {
        guard listCovers(p.verbs, q.verbs) else { return false }
        if !q.nonResourceURLs.isEmpty {
            guard q.nonResourceURLs.allSatisfy({ url in
                p.nonResourceURLs.contains { $0 == "*" || $0.bytesEqual(url) || (Pattern.isPattern($0) && patternCovers($0, url)) }
            }) else { return false }
        }
        if !q.resources.isEmpty {
            guard listCovers(p.apiGroups, q.apiGroups), listCovers(p.resources, q.resources) else { return false }
            if !p.resourceNames.isEmpty {
                guard !q.resourceNames.isEmpty, listCovers(p.resourceNames, q.resourceNames) else { return false }
            }
        }
        return true
    }

    /// Deny `p` applies to every request policy `q` applies to.
    static func covers(_ p: AccessPolicy, _ q: AccessPolicy) -> Bool {
        // p's exceptions must not exempt anyone q applies to: only when they are q's exceptions too.
        guard p.except.allSatisfy({ e in q.except.contains { subjectCovers($0, e) } }) else { return false }
        guard q.subjects.allSatisfy({ s in p.subjects.contains { subjectCovers($0, s) } }) else { return false }
        if let pn = p.namespaces {
            guard let qn = q.namespaces, qn.allSatisfy({ n in pn.contains { patternCovers($0, n) } }) else { return false }
        }
        return q.rules.allSatisfy { r in p.rules.contains { ruleCovers($0, r) } }
    }
}
