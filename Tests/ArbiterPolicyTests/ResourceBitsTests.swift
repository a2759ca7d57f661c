@_spi(Statistics) import ArbiterPolicy
import ArbiterTestSupport
import Testing

/// The bits of the roles' resource filters: the resources named by the most roles get a bit of
/// their own (the filter is then exact for them), the others share one, and `*/sub` rules pass
/// only requests with that subresource. Filters never change a decision: every request here is
/// also decided by the reference evaluator.
struct ResourceBitsTests {
    /// 90 resources, more than there are bits. Role `role-i` names `res-i` and, for `i` below
    /// 30, also the first ten resources (which are then named by the most roles); `scaler` has
    /// `*/scale` and `statuses` `*/status` (any resource's subresource); `named-scale` names
    /// `things/scale` (so the policy knows that combination). Each role is bound to its own user
    /// and to the group `everyone`.
    static let yaml: String = {
        var documents: [String] = []
        func role(_ name: String, _ resources: [String]) {
            let list = resources.map { "\"\($0)\"" }.joined(separator: ", ")
            documents.append(
                """
                apiVersion: rbac.authorization.k8s.io/v1
                kind: ClusterRole
                metadata: {name: \(name)}
                rules:
                - {apiGroups: [""], resources: [\(list)], verbs: [get]}
                """)
            documents.append(
                """
                apiVersion: rbac.authorization.k8s.io/v1
                kind: ClusterRoleBinding
                metadata: {name: \(name)}
                roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: \(name)}
                subjects:
                - {kind: User, apiGroup: rbac.authorization.k8s.io, name: user-\(name)}
                - {kind: Group, apiGroup: rbac.authorization.k8s.io, name: everyone}
                """)
        }
        for i in 0..<90 {
            role("role-\(i)", ["res-\(i)"] + (i < 30 ? (0..<10).map { "res-\($0)" } : []))
        }
        role("scaler", ["*/scale"])
        role("named-scale", ["things/scale"])
        role("statuses", ["*/status"])
        return documents.joined(separator: "\n---\n")
    }()

    static func requests() -> [AccessRequest] {
        var requests: [AccessRequest] = []
        let resources = (0..<92).map { "res-\($0)" } + ["things", "widgets", "*"]
        for resource in resources {
            for subresource in ["", "scale", "status", "log"] {
                for verb in ["get", "list"] {
                    requests.append(.resource(verb, resource, subresource: subresource, user: "someone", groups: ["everyone"]))
                    requests.append(.resource(verb, resource, subresource: subresource, user: "user-role-40"))
                }
            }
        }
        return requests
    }

    @Test func decisionsAndReasonsAreThoseOfTheReference() throws {
        let compiled = try compilePolicy(Self.yaml)
        let reference = ReferenceEvaluator(try loadPolicySet(Self.yaml))
        var allows = 0
        for request in Self.requests() {
            let expected = reference.authorize(request)
            let result = compiled.authorize(request)
            #expect(result.decision == expected.decision, "\(request)")
            #expect(result.reason.bytesEqual(expected.reason), "\(request)")
            if result.decision == .allow { allows += 1 }
        }
        // get of every res-i, and of any resource's scale and status subresources.
        #expect(allows > 150)
    }

    @Test func resourcesNamedByTheMostRolesAreFilteredExactly() throws {
        let compiled = try compilePolicy(Self.yaml)
        func counts(_ resource: String) -> CandidateCounts {
            compiled.candidateCounts(.resource("get", resource, user: "someone", groups: ["everyone"]))
        }
        // res-3 is named by 30 roles (role-0 to role-29), the most: exactly those pass (not the
        // `*/sub` roles: the request has no subresource).
        #expect(counts("res-3").entries == 93)
        #expect(counts("res-3").filtered == 30)
        // Then, named by one role each and ranked by name: `*/scale`, `*/status`, res-10 to
        // res-59 get the remaining 52 bits of their own. res-50 passes only role-50.
        #expect(counts("res-50").filtered == 1)
        // res-60 to res-89 and things/scale share a bit: res-70 passes their 31 roles, and the
        // two `*/sub` roles (they have the shared bit, for combinations the policy never names).
        #expect(counts("res-70").filtered == 33)
    }

    @Test func starSubresourceRolesPassTheirSubresourceOnly() throws {
        let compiled = try compilePolicy(Self.yaml)
        func filtered(_ resource: String, _ subresource: String) -> Int {
            compiled.candidateCounts(.resource("get", resource, subresource: subresource, user: "someone", groups: ["everyone"])).filtered
        }
        // `*/status` (resource `*`, subresource `status`) has a bit of its own: only `statuses`
        // passes, not `scaler`.
        #expect(filtered("*", "status") == 1)
        // things/scale has the shared bit: the 33 roles of that bit pass, `statuses` among them.
        #expect(filtered("things", "scale") == 33)
        #expect(compiled.authorize(.resource("get", "things", subresource: "scale", user: "user-scaler")).decision == .allow)
        #expect(compiled.authorize(.resource("get", "things", subresource: "scale", user: "user-named-scale")).decision == .allow)
        // An unknown resource/scale still reaches `scaler` (the shared bit), and is allowed by it.
        #expect(compiled.authorize(.resource("get", "widgets", subresource: "scale", user: "user-scaler")).decision == .allow)
        #expect(compiled.authorize(.resource("get", "pods", subresource: "log", user: "user-scaler")).decision == .noOpinion)
        // The resource `*` with subresource `status` is `*/status` itself, named by `statuses`.
        #expect(compiled.authorize(.resource("get", "*", subresource: "status", user: "user-statuses")).decision == .allow)
        #expect(compiled.authorize(.resource("get", "res-7", subresource: "status", user: "user-statuses")).decision == .allow)
    }

    /// A request with an empty resource and subresource `scale` has the combined resource
    /// `/scale`, which `*/scale` matches (Kubernetes' `ResourceMatches`). When a role names
    /// `/scale` itself, the policy knows that string and gives it a filter bit: the `*/scale`
    /// role must have that bit too, or its filter would hide an allowing rule.
    @Test func starSubresourceRolesPassTheBareSubresource() throws {
        let yaml = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: star-scale}
            rules:
            - {apiGroups: ["*"], resources: ["*/scale"], verbs: [get]}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: bare-scale}
            rules:
            - {apiGroups: [""], resources: ["/scale"], verbs: [list]}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: star-scale}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: star-scale}
            subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: u}]
            """
        let compiled = try compilePolicy(yaml)
        let reference = ReferenceEvaluator(try loadPolicySet(yaml))
        let request = AccessRequest.resource("get", "", subresource: "scale", user: "u")
        #expect(reference.authorize(request).decision == .allow)
        let result = compiled.authorize(request)
        #expect(result.decision == .allow)
        #expect(result.reason.bytesEqual(reference.authorize(request).reason))
        #expect(compiled.authorize(.resource("get", "", subresource: "status", user: "u")).decision == .noOpinion)
    }
}
