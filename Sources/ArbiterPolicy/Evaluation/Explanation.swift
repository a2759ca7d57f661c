/// Why a request got its decision: what decided it, or — for no opinion and deny — which
/// bindings and policies name this subject and how their nearest rules differ from the request.
///
/// Explaining is a slow path (it walks the model, not the indexes); it is for operators, not for
/// the request path.
public struct Explanation: Sendable {
    public var request: AccessRequest
    public var result: AuthorizationResult
    /// Bindings that name the requester (in any namespace), nearest first within each.
    public var candidates: [Candidate]
    /// AccessPolicies whose subjects name the requester.
    public var accessPolicies: [PolicyCandidate]

    /// A binding naming the requester, and the rules of its role closest to the request.
    public struct Candidate: Sendable {
        public var binding: Binding
        public var subject: Subject
        /// Why the binding as a whole cannot apply (another namespace, missing role), if so.
        public var scopeProblem: String?
        public var nearestRules: [RuleDifference]
    }

    /// An AccessPolicy naming the requester.
    public struct PolicyCandidate: Sendable {
        public var policy: AccessPolicy
        /// Why the policy does not apply as a whole (excepted, namespace), if so.
        public var scopeProblem: String?
        public var nearestRules: [RuleDifference]
    }

    /// A rule and what differs between it and the request (empty: it matches).
    public struct RuleDifference: Sendable {
        public var index: Int
        public var rule: PolicyRule
        public var differences: [String]
    }
}

extension CompiledPolicy {
    /// Explains the decision for `request`.
    public func explain(_ request: AccessRequest, defaultDecision: Decision = .noOpinion) -> Explanation {
        let result = authorize(request, defaultDecision: defaultDecision)
        var namespace = ""
        if case .resource(let r) = request.attributes { namespace = r.namespace }
        var candidates: [Explanation.Candidate] = []
        for binding in bindings {
            guard let subject = binding.subjects.first(where: { Self.applies($0, to: request, bindingNamespace: binding.namespace) })
            else { continue }
            var scopeProblem: String? = nil
            if binding.kind == .roleBinding {
                if request.nonResourcePath != nil {
                    scopeProblem = "a RoleBinding never grants non-resource URLs"
                } else if namespace.isEmpty {
                    scopeProblem = "a RoleBinding (in `\(binding.namespace)`) never applies to a cluster-wide request"
                } else if !namespace.bytesEqual(binding.namespace) {
                    scopeProblem = "the RoleBinding is in namespace `\(binding.namespace)`, the request in `\(namespace)`"
                }
            }
            let role = roles.first { role in
                role.kind == binding.roleRef.kind && role.name.bytesEqual(binding.roleRef.name)
                    && (role.kind == .clusterRole || role.namespace.bytesEqual(binding.namespace))
            }
            guard let role else {
                candidates.append(
                    .init(
                        binding: binding, subject: subject,
                        scopeProblem: "\(binding.roleRef.kind.rawValue) `\(binding.roleRef.name)` does not exist",
                        nearestRules: []))
                continue
            }
            candidates.append(
                .init(
                    binding: binding, subject: subject, scopeProblem: scopeProblem,
                    nearestRules: Self.nearest(role.rules, request, forDeny: false)))
        }
        var policies: [Explanation.PolicyCandidate] = []
        for policy in accessPolicies where policy.subjects.contains(where: { $0.matches(user: request.user, groups: request.groups) }) {
            var scopeProblem: String? = nil
            if let excepted = policy.except.first(where: { $0.matches(user: request.user, groups: request.groups) }) {
                scopeProblem = "the requester is excepted (\(Self.describe(excepted)))"
            } else if let namespaces = policy.namespaces {
                if request.nonResourcePath != nil {
                    scopeProblem = "a policy with `namespaces` never applies to non-resource URLs"
                } else if !namespaces.contains(where: { Pattern.matches($0, namespace) }) {
                    scopeProblem =
                        namespace.isEmpty
                        ? "the request is cluster-wide (namespace \"\") and `namespaces` \(namespaces) does not name the cluster scope (add \"\")"
                        : "namespace `\(namespace)` is not in \(namespaces)"
                }
            }
            policies.append(
                .init(
                    policy: policy, scopeProblem: scopeProblem,
                    nearestRules: Self.nearest(policy.rules, request, forDeny: policy.effect == .deny)))
        }
        return Explanation(request: request, result: result, candidates: candidates, accessPolicies: policies)
    }

    /// The rules closest to the request (fewest differences), at most three.
    static func nearest(_ rules: [PolicyRule], _ request: AccessRequest, forDeny: Bool) -> [Explanation.RuleDifference] {
        let differences = rules.enumerated().map {
            Explanation.RuleDifference(
                index: $0.offset, rule: $0.element, differences: Self.differences($0.element, request, forDeny: forDeny))
        }
        return Array(differences.sorted { ($0.differences.count, $0.index) < ($1.differences.count, $1.index) }.prefix(3))
    }

    /// What keeps `rule` from allowing `request` (or, `forDeny`, from denying it), field by field
    /// (RBAC's `RuleAllows`, spelt out, with the engine's one difference: a prefix URL entry grants
    /// only canonical paths, while a Deny's prefix applies to the raw path).
    public static func differences(_ rule: PolicyRule, _ request: AccessRequest, forDeny: Bool = false) -> [String] {
        var out: [String] = []
        func list(_ values: [String]) -> String { "[" + values.joined(separator: ", ") + "]" }
        if !rule.verbs.contains(where: { $0 == "*" || $0.bytesEqual(request.verb) }) {
            out.append("verb `\(request.verb)` is not in \(list(rule.verbs))")
        }
        switch request.attributes {
        case .resource(let r):
            if rule.resources.isEmpty {
                out.append("the rule is for non-resource URLs \(list(rule.nonResourceURLs))")
                return out
            }
            if !rule.apiGroups.contains(where: { $0 == "*" || $0.bytesEqual(r.group) }) {
                out.append("API group `\(r.group.isEmpty ? "\"\"" : r.group)` is not in \(list(rule.apiGroups.map { $0.isEmpty ? "\"\"" : $0 }))")
            }
            let combined = r.subresource.isEmpty ? r.resource : r.resource + "/" + r.subresource
            let resourceOK = rule.resources.contains { entry in
                entry == "*" || entry.bytesEqual(combined)
                    || (!r.subresource.isEmpty && entry.bytesEqual("*/" + r.subresource))
            }
            if !resourceOK {
                var text = "resource `\(combined)` is not in \(list(rule.resources))"
                if !r.subresource.isEmpty && rule.resources.contains(where: { $0.bytesEqual(r.resource) }) {
                    text += " (`\(r.resource)` does not cover its subresource `\(r.subresource)`)"
                }
                out.append(text)
            }
            if !rule.resourceNames.isEmpty && !rule.resourceNames.contains(where: { $0.bytesEqual(r.name) }) {
                out.append(
                    r.name.isEmpty
                        ? "the rule is limited to names \(list(rule.resourceNames)) and the request has no name (\(r.verb) of a collection)"
                        : "name `\(r.name)` is not in \(list(rule.resourceNames))")
            }
        case .nonResource(let n):
            if rule.nonResourceURLs.isEmpty {
                out.append("the rule is for resources, not non-resource URLs")
                return out
            }
            // Bytes, not Characters: `"/x\u{600}*"` ends in `*` although its last Character does not.
            let star = UInt8(ascii: "*")
            var prefixOnlyOnRawPath = false
            let ok = rule.nonResourceURLs.contains { entry in
                if entry.bytesEqual("*") || entry.bytesEqual(n.path) { return true }
                guard entry.utf8.last == star else { return false }
                let prefix = entry.utf8.reversed().drop { $0 == star }.reversed()
                guard n.path.utf8.starts(with: prefix) else { return false }
                if forDeny || NonResourcePath.isCanonical(n.path) { return true }
                prefixOnlyOnRawPath = true
                return false
            }
            if !ok {
                out.append(
                    prefixOnlyOnRawPath
                        ? "path `\(n.path)` is not canonical (`..`, `//`, `%`, NUL ...): a prefix in \(list(rule.nonResourceURLs)) grants only canonical paths"
                        : "path `\(n.path)` does not match \(list(rule.nonResourceURLs))")
            }
        }
        return out
    }

    /// A human-readable description of what decided a request.
    public func describe(_ source: DecisionSource) -> String {
        switch source {
        case .binding(let match):
            let binding = bindings[match.binding]
            let location = binding.location.map { " (\($0))" } ?? ""
            let scope = binding.kind == .roleBinding ? " in namespace `\(binding.namespace)`" : ""
            return "\(binding.kind.rawValue) `\(binding.name)`\(scope)\(location) binds \(binding.roleRef.kind.rawValue) `\(binding.roleRef.name)`, rule \(match.rule), to \(Self.describe(binding.subjects[match.subject], bindingNamespace: binding.namespace))"
        case .accessPolicy(let index, let rule):
            let policy = accessPolicies[index]
            let location = policy.location.map { " (\($0))" } ?? ""
            return "AccessPolicy `\(policy.name)`\(location), effect \(policy.effect.rawValue), rule \(rule)"
        case .defaultDecision:
            return "nothing matched; the configured default decision applied"
        }
    }

    /// The effective rules of a role, by kind, namespace and name.
    public func rules(ofRole kind: Role.Kind, namespace: String, name: String) -> [PolicyRule]? {
        roles.first { $0.kind == kind && $0.name.bytesEqual(name) && (kind == .clusterRole || $0.namespace.bytesEqual(namespace)) }?.rules
    }
}

extension PolicyRule: CustomStringConvertible {
    /// A compact, kubectl-like rendering: `verbs=[get list] apiGroups=[""] resources=[pods]`.
    public var description: String {
        func list(_ values: [String]) -> String { "[" + values.map { $0.isEmpty ? "\"\"" : $0 }.joined(separator: " ") + "]" }
        var parts = ["verbs=\(list(verbs))"]
        if !nonResourceURLs.isEmpty {
            parts.append("nonResourceURLs=\(list(nonResourceURLs))")
        } else {
            parts.append("apiGroups=\(list(apiGroups))")
            parts.append("resources=\(list(resources))")
            if !resourceNames.isEmpty { parts.append("resourceNames=\(list(resourceNames))") }
        }
        return parts.joined(separator: " ")
    }
}
