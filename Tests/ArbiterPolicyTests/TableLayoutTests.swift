@testable import ArbiterPolicy
import ArbiterTestSupport
import Testing

/// The sizes the evaluator's cache behaviour rests on: a slot or entry that grows past them
/// costs a second cache line per read on large policies (docs/engine-notes.md), with every result
/// unchanged, so no other test would notice.
struct TableLayoutTests {
    @Test func rulesAndIndexEntriesKeepTheirSizes() {
        // A rule is one line: with the arena's line-aligned tables, rule i never straddles two.
        #expect(MemoryLayout<CompiledRule>.stride == TableArena.lineBytes)
        // What a rule test reads first: two rule heads per line.
        #expect(MemoryLayout<RuleHead>.stride == 32)
        #expect(MemoryLayout<IdList>.stride == 8)
        #expect(MemoryLayout<CompiledPolicy.BindingEntry>.stride == 24)
        // A subject-index slot keeps a list's only entry with its key: two slots per line.
        #expect(MemoryLayout<SubjectIndex.Slot>.stride == 32)
        #expect(MemoryLayout<SubjectIndex.Slot>.offset(of: \.entry) == SubjectIndex.entryOffset)
        #expect(MemoryLayout<KeyedLists<Int32>.Slot>.stride == 16)
        #expect(MemoryLayout<FrozenSymbolTable<SubjectScopes>.Slot>.stride == TableArena.lineBytes)
        #expect(MemoryLayout<FrozenSymbolTable<NoPayload>.Slot>.stride == 32)
    }
}

/// A rule naming exactly two resources keeps both ids in its head (``CompiledRule/Flags/resourcePair``),
/// except the first rule of an indexed role, whose head's spare word names the role. Decisions
/// must not change either way: each request is also put to the reference evaluator.
struct ResourcePairTests {
    static func policy(fillerRules: Int) -> String {
        let filler = (0..<fillerRules).map { #"  - {apiGroups: [""], resources: [filler\#($0)], verbs: [get]}"# }
        return """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: pair}
            rules:
              - {apiGroups: ["", apps], resources: [pods, services], verbs: [get, list]}
              - {apiGroups: [apps], resources: [deployments/scale, "*/status"], verbs: [update]}
              - {apiGroups: [""], resources: [secrets, configmaps], resourceNames: [one, two], verbs: [get]}
            \(filler.joined(separator: "\n"))
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: pair}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pair}
            subjects: [{kind: User, name: jane}]

            """
    }

    /// 0 filler rules: a plain role; 9: an indexed one (over ``CompiledPolicy/roleIndexThreshold``).
    @Test(arguments: [0, 9])
    func pairsInTheHeadDecideAsTheReference(fillerRules: Int) throws {
        let yaml = Self.policy(fillerRules: fillerRules)
        let policy = try compilePolicy(yaml)
        let reference = ReferenceEvaluator(try loadPolicySet(yaml))
        let indexed = fillerRules + 3 > CompiledPolicy.roleIndexThreshold
        // Rules 0 to 2 of the role name two resources each.
        for ruleID in 0..<3 {
            let head = policy.ruleHeads[ruleID]
            let isFirstOfIndexed = indexed && ruleID == 0
            #expect(head.flags.contains(.resourcePair) == !isFirstOfIndexed, "rule \(ruleID)")
            #expect(head.flags.contains(.firstOfIndexedRole) == isFirstOfIndexed, "rule \(ruleID)")
        }
        var requests: [AccessRequest] = []
        for resource in ["pods", "services", "configmaps", "secrets", "deployments", "nodes", "filler0"] {
            for subresource in ["", "log", "scale", "status"] {
                for verb in ["get", "list", "update", "delete"] {
                    for name in ["", "one", "three"] {
                        requests.append(.resource(verb, resource, subresource: subresource, name: name, user: "jane"))
                        requests.append(.resource(verb, resource, subresource: subresource, group: "apps", name: name, user: "jane"))
                    }
                }
            }
        }
        var allowed = 0
        for request in requests {
            let result = policy.authorize(request)
            let expected = reference.authorize(request)
            #expect(result.decision == expected.decision, "\(request)")
            #expect(result.reason.bytesEqual(expected.reason), "\(request)")
            if result.decision == .allow { allowed += 1 }
        }
        // Both ids of each pair allow, and nothing else does.
        #expect(policy.authorize(.resource("list", "services", user: "jane")).decision == .allow)
        #expect(policy.authorize(.resource("get", "pods", user: "jane")).decision == .allow)
        #expect(policy.authorize(.resource("update", "deployments", subresource: "scale", group: "apps", user: "jane")).decision == .allow)
        #expect(policy.authorize(.resource("update", "replicasets", subresource: "status", group: "apps", user: "jane")).decision == .allow)
        #expect(policy.authorize(.resource("get", "configmaps", name: "two", user: "jane")).decision == .allow)
        #expect(policy.authorize(.resource("get", "configmaps", name: "three", user: "jane")).decision == .noOpinion)
        #expect(policy.authorize(.resource("get", "nodes", user: "jane")).decision == .noOpinion)
        #expect(allowed > 0 && allowed < requests.count)
    }
}
