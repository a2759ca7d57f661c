@testable import ArbiterPolicy
import ArbiterTestSupport
import Testing

/// The subject scopes (INVARIANT subject-scopes): the evaluator skips the subject-index probes of
/// names without a binding in the request's scope. Namespaces share the 63 scope bits, user and
/// group names share symbols, and AccessPolicies name subjects without bindings: none of that
/// may change a decision or a reason.
struct SubjectScopeTests {
    /// 130 namespaces (more than twice the 63 bits, so many share one), and bindings in a few.
    static let yaml: String = {
        var documents: [String] = []
        for n in 0..<130 {
            documents.append("apiVersion: v1\nkind: Namespace\nmetadata: {name: ns-\(n)}")
        }
        for (role, resource, verb) in [("pod-reader", "pods", "get"), ("secret-lister", "secrets", "list")] {
            documents.append(
                """
                apiVersion: rbac.authorization.k8s.io/v1
                kind: ClusterRole
                metadata: {name: \(role)}
                rules:
                - {apiGroups: [""], resources: [\(resource)], verbs: [\(verb)]}
                """)
        }
        for (name, namespace, kind, subject) in [
            ("jane-pods", "ns-5", "User", "jane"), ("dev-pods", "ns-70", "Group", "dev"),
            ("sa-pods", "ns-100", "ServiceAccount", "robot"),
        ] {
            let namespaceField = kind == "ServiceAccount" ? "" : ", apiGroup: rbac.authorization.k8s.io"
            documents.append(
                """
                apiVersion: rbac.authorization.k8s.io/v1
                kind: RoleBinding
                metadata: {name: \(name), namespace: \(namespace)}
                roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-reader}
                subjects: [{kind: \(kind), name: \(subject)\(namespaceField)}]
                """)
        }
        // The user `dev` (not the group) may list secrets everywhere.
        documents.append(
            """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: dev-user-secrets}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-lister}
            subjects: [{kind: User, name: dev, apiGroup: rbac.authorization.k8s.io}]
            """)
        return documents.joined(separator: "\n---\n")
    }()

    static let requesters: [(user: String, groups: [String])] = [
        ("jane", []), ("jane", ["dev"]), ("dev", []), ("someone", ["dev"]),
        ("system:serviceaccount:ns-100:robot", ["system:serviceaccounts"]), ("nobody", ["nobody"]),
    ]

    @Test func everyNamespaceDecidesAsTheReference() throws {
        let compiled = try compilePolicy(Self.yaml)
        let reference = ReferenceEvaluator(try loadPolicySet(Self.yaml))
        var allows = 0
        for namespace in (0..<130).map({ "ns-\($0)" }) + ["", "ns-unknown"] {
            for requester in Self.requesters {
                for (verb, resource) in [("get", "pods"), ("list", "secrets")] {
                    let request = AccessRequest.resource(
                        verb, resource, namespace: namespace, user: requester.user, groups: requester.groups)
                    let expected = reference.authorize(request)
                    let result = compiled.authorize(request)
                    #expect(result.decision == expected.decision, "\(requester) \(verb) \(resource) in \(namespace)")
                    #expect(result.reason.bytesEqual(expected.reason), "\(requester) \(verb) \(resource) in \(namespace)")
                    if result.decision == .allow { allows += 1 }
                }
            }
        }
        // jane in ns-5 (twice), the dev group in ns-70 (twice), the service account in ns-100, and
        // the user dev listing secrets in all 132 scopes.
        #expect(allows == 2 + 2 + 1 + 132)
    }

    @Test func scopeBitsRecordWhereEachNameHasBindings() throws {
        let compiled = try compilePolicy(Self.yaml)
        func scopes(_ name: String) -> SubjectScopes { compiled.symbols.entry(name).payload }
        func bit(_ namespace: String) -> UInt64 { SubjectScopes.namespaceBit(compiled.attributeSymbols.lookup(namespace)) }
        #expect(scopes("jane").user == bit("ns-5"))
        #expect(scopes("jane").group == 0)
        #expect(scopes("dev").group == bit("ns-70"))
        #expect(scopes("dev").user == SubjectScopes.clusterBit)
        #expect(scopes("system:serviceaccount:ns-100:robot").user == bit("ns-100"))
        #expect(compiled.symbols.entry("nobody").id == SymbolTable.missing)
    }

    /// A name the policy knows only from an AccessPolicy has no binding scope, and must still be
    /// matched (the general path keeps every known name).
    @Test func accessPolicySubjectsWithoutBindingsStillMatch() throws {
        let yaml =
            Self.yaml + """

            ---
            apiVersion: arbiter.dev/v1alpha1
            kind: AccessPolicy
            metadata: {name: deny-auditor}
            spec:
              effect: Deny
              subjects: [{kind: User, name: auditor}]
              rules:
              - {apiGroups: [""], resources: [pods], verbs: [get]}
            """
        let compiled = try compilePolicy(yaml)
        let denied = compiled.authorize(.resource("get", "pods", namespace: "ns-5", user: "auditor", groups: ["dev"]))
        #expect(denied.decision == .deny)
        let allowed = compiled.authorize(.resource("get", "pods", namespace: "ns-70", user: "jane", groups: ["dev"]))
        #expect(allowed.decision == .allow)
        #expect(allowed.reason.bytesEqual(#"RBAC: allowed by RoleBinding "dev-pods/ns-70" of ClusterRole "pod-reader" to Group "dev""#))
    }
}

/// The tables' memory: aligned, disjoint, and in 2 MiB chunks once a policy is large.
struct TableArenaTests {
    @Test func allocationsAreAlignedAndDisjoint() {
        let arena = TableArena(expectedBytes: 10_000)
        let bytes = arena.allocate(UInt8.self, count: 3)
        let words = arena.allocate(UInt64.self, count: 5)
        let empty = arena.allocate(UInt32.self, count: 0)
        let big = arena.allocate(UInt64.self, count: 300_000)  // 2.4 MB: a chunk of its own
        #expect(Int(bitPattern: words) % MemoryLayout<UInt64>.alignment == 0)
        #expect(Int(bitPattern: empty) % MemoryLayout<UInt32>.alignment == 0)
        #expect(Int(bitPattern: big) % TableArena.chunkBytes == 0)
        #expect(UnsafeRawPointer(words) >= UnsafeRawPointer(bytes + 3))
        big.initialize(repeating: 7, count: 300_000)
        words.initialize(repeating: 1, count: 5)
        bytes.initialize(repeating: 2, count: 3)
        #expect(big[299_999] == 7 && words[4] == 1 && bytes[2] == 2)
        #expect(arena.mappedBytes >= 2 * TableArena.chunkBytes)
    }

    @Test func aLargePolicyGetsHugePageChunks() throws {
        let small = try compilePolicy(SubjectScopeTests.yaml)
        #expect(small.arena.mappedBytes < TableArena.chunkBytes)
        var documents: [String] = []
        for n in 0..<20_000 {
            documents.append(
                """
                apiVersion: rbac.authorization.k8s.io/v1
                kind: ClusterRoleBinding
                metadata: {name: b-\(n)}
                roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
                subjects: [{kind: User, name: user-\(n)@corp.example.com, apiGroup: rbac.authorization.k8s.io}]
                """)
        }
        let large = try compilePolicy(documents.joined(separator: "\n---\n"))
        #expect(large.arena.mappedBytes >= TableArena.chunkBytes)
        #expect(large.arena.mappedBytes % TableArena.chunkBytes == 0)
    }
}
