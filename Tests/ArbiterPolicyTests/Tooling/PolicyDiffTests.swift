import ArbiterPolicy
import ArbiterTestSupport
import Testing

struct ToolingDiffTests {
    @Test func identicalPoliciesHaveNoDifferences() throws {
        let set = try ToolingFixtures.bootstrapSet()
        let diff = try PolicyDiff.compare(PolicyCompiler.compile(set), PolicyCompiler.compile(set))
        #expect(diff.isEmpty)
    }

    /// The request a concrete permission tuple stands for, as `subject` alone; nil when the tuple
    /// has a wildcard (it is compared as written, not expanded).
    static func request(_ p: PolicyDiff.Permission, _ subject: PolicyDiff.SubjectKey, namespace: String) -> AccessRequest? {
        let user: String
        var groups: [String] = []
        switch subject.kind {
        case .user: user = subject.name.string
        case .group:
            user = ToolingFixtures.probeUser
            groups = [subject.name.string]
        case .serviceAccount: user = ServiceAccountName.userName(namespace: subject.namespace.string, name: subject.name.string)
        }
        if p.isNonResource {
            if p.nonResourceURL.string.contains("*") || p.verb.string == "*" { return nil }
            return .path(p.verb.string, p.nonResourceURL.string, user: user, groups: groups)
        }
        if [p.verb, p.apiGroup, p.resource].contains(where: { $0.string.contains("*") }) { return nil }
        let parts = p.resource.string.split(separator: "/", maxSplits: 1).map(String.init)
        return .resource(
            p.verb.string, parts[0], subresource: parts.count > 1 ? parts[1] : "", group: p.apiGroup.string,
            namespace: namespace, name: p.resourceName.string, user: user, groups: groups)
    }

    /// Removing one binding loses exactly permissions of that binding's subjects, nothing is
    /// gained, every lost concrete permission was allowed before, and every concrete permission of
    /// the binding's role that the new policy no longer allows is listed as lost.
    @Test(arguments: [
        ("ClusterRoleBinding", "system:kube-controller-manager", ""),
        ("RoleBinding", "system:controller:bootstrap-signer", "kube-system"),
        ("ClusterRoleBinding", "system:kube-scheduler", ""),
    ])
    func removingOneBindingLosesExactlyItsSubjectsPermissions(kind: String, name: String, namespace: String) throws {
        let set = try ToolingFixtures.bootstrapSet()
        var reduced = set
        let index = try #require(
            set.bindings.firstIndex { $0.kind.rawValue == kind && $0.name == name && $0.namespace == namespace })
        let removed = reduced.bindings.remove(at: index)
        let old = PolicyCompiler.compile(set)
        let new = PolicyCompiler.compile(reduced)
        let diff = try PolicyDiff.compare(old, new)

        let subjects = Set(
            removed.subjects.map { s in
                PolicyDiff.SubjectKey(
                    kind: s.kind, name: ByteString(s.name),
                    namespace: ByteString(s.kind == .serviceAccount ? (s.namespace.isEmpty ? removed.namespace : s.namespace) : ""))
            })
        #expect(!diff.subjects.isEmpty)
        #expect(diff.accessPolicies.isEmpty)
        for change in diff.subjects {
            #expect(subjects.contains(change.subject), "\(change.subject)")
            #expect(change.gained.isEmpty)
            #expect(!change.lost.isEmpty)
            for permission in change.lost {
                let scope = permission.scope.string
                #expect(scope == removed.namespace)
                let probeNamespace = scope.isEmpty ? "some-namespace" : scope
                if let request = Self.request(permission, change.subject, namespace: probeNamespace) {
                    #expect(old.authorize(request).decision == .allow, "\(request)")
                }
            }
        }
        // Completeness: each concrete permission of the removed binding that is no longer allowed
        // is listed as lost for that subject.
        let role = try #require(old.roles.first {
                $0.kind == removed.roleRef.kind && $0.name == removed.roleRef.name
                    && (removed.roleRef.kind == .clusterRole || $0.namespace == removed.namespace)
            })
        var checked = 0
        for subject in subjects {
            let lost = Set(diff.subjects.first { $0.subject == subject }?.lost ?? [])
            for rule in role.rules where removed.kind == .clusterRoleBinding || rule.nonResourceURLs.isEmpty {
                for verb in rule.verbs {
                    let names = rule.resourceNames.isEmpty ? [""] : rule.resourceNames
                    var tuples: [PolicyDiff.Permission] = rule.nonResourceURLs.map {
                        .init(
                            scope: ByteString(removed.namespace), verb: ByteString(verb), apiGroup: ByteString(""),
                            resource: ByteString(""), resourceName: ByteString(""), nonResourceURL: ByteString($0))
                    }
                    for group in rule.apiGroups {
                        for resource in rule.resources {
                            for name in names {
                                tuples.append(
                                    .init(
                                        scope: ByteString(removed.namespace), verb: ByteString(verb), apiGroup: ByteString(group),
                                        resource: ByteString(resource), resourceName: ByteString(name), nonResourceURL: ByteString("")))
                            }
                        }
                    }
                    for tuple in tuples {
                        let namespace = removed.namespace.isEmpty ? "some-namespace" : removed.namespace
                        guard let request = Self.request(tuple, subject, namespace: namespace) else { continue }
                        checked += 1
                        if new.authorize(request).decision != .allow {
                            #expect(lost.contains(tuple), "\(subject) \(tuple)")
                        }
                    }
                }
            }
        }
        #expect(checked > 0)
    }

    @Test func reportsAccessPolicyChanges() throws {
        let base = """
            apiVersion: arbiter.dev/v1alpha1
            kind: AccessPolicy
            metadata: {name: keep}
            spec:
              effect: Deny
              subjects: [{kind: Group, name: g}]
              rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
            ---
            apiVersion: arbiter.dev/v1alpha1
            kind: AccessPolicy
            metadata: {name: change}
            spec:
              effect: Deny
              subjects: [{kind: Group, name: g}]
              rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
            """
        let changed = """
            apiVersion: arbiter.dev/v1alpha1
            kind: AccessPolicy
            metadata: {name: keep}
            spec:
              effect: Deny
              subjects: [{kind: Group, name: g}]
              rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
            ---
            apiVersion: arbiter.dev/v1alpha1
            kind: AccessPolicy
            metadata: {name: change}
            spec:
              effect: Deny
              subjects: [{kind: Group, name: g}]
              except: [{kind: User, name: admin}]
              rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
            ---
            apiVersion: arbiter.dev/v1alpha1
            kind: AccessPolicy
            metadata: {name: new}
            spec:
              effect: Allow
              subjects: [{kind: User, name: x}]
              rules: [{apiGroups: [""], resources: [pods], verbs: [list]}]
            """
        let diff = try PolicyDiff.compare(try compilePolicy(base), try compilePolicy(changed))
        #expect(diff.subjects.isEmpty)
        #expect(diff.accessPolicies.map(\.name) == ["change", "new"])
        #expect(diff.accessPolicies.map(\.kind) == [.changed, .added])
    }

    /// `["secrets,configmaps"]` (one odd resource) and `["secrets","configmaps"]` differ.
    @Test func listItemsAreComparedOneByOne() throws {
        func policy(_ resources: String) -> String {
            """
            apiVersion: arbiter.dev/v1alpha1
            kind: AccessPolicy
            metadata: {name: p}
            spec:
              effect: Deny
              subjects: [{kind: User, name: x}]
              rules: [{apiGroups: [""], resources: \(resources), verbs: [get]}]
            """
        }
        let diff = try PolicyDiff.compare(
            try compilePolicy(policy(#"["secrets,configmaps"]"#)), try compilePolicy(policy(#"["secrets","configmaps"]"#)))
        #expect(diff.accessPolicies.map(\.kind) == [.changed])
    }

    /// A rule that expands past the bound is refused before it takes the memory.
    @Test func anExplosiveExpansionIsRefused() throws {
        let verbs = (0..<8).map { "v\($0)" }.joined(separator: ", ")
        let resources = (0..<50).map { "r\($0)" }.joined(separator: ", ")
        let names = (0..<25).map { "n\($0)" }.joined(separator: ", ")
        let policy = try compilePolicy(
            """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: big}
            rules: [{apiGroups: [a, b, c, d, e, f, g, h, i, j], resources: [\(resources)], resourceNames: [\(names)], verbs: [\(verbs)]}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: big}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: big}
            subjects: [{kind: User, name: x}]
            """)
        let empty = PolicyCompiler.compile(PolicySet())
        #expect(throws: PolicyDiff.TooLarge.self) { try PolicyDiff.compare(empty, policy, tupleLimit: 50_000) }
        #expect(try PolicyDiff.compare(empty, policy, tupleLimit: 200_000).subjects.map(\.gained.count) == [100_000])
        // Nothing changed: nothing is expanded, whatever the policy's size.
        #expect(try PolicyDiff.compare(policy, policy, tupleLimit: 1).isEmpty)
    }

    /// Role contents are compared as bytes, as the engine compares names: a rule rewritten from
    /// NFC `café` to NFD `café` (equal as Swift strings) changes what it allows, and the diff
    /// must say so.
    @Test func roleContentsAreComparedAsBytes() throws {
        func policy(_ name: String) throws -> CompiledPolicy {
            try compilePolicy(
                """
                apiVersion: rbac.authorization.k8s.io/v1
                kind: ClusterRole
                metadata: {name: r}
                rules: [{apiGroups: [""], resources: [configmaps], resourceNames: ["\(name)"], verbs: [get]}]
                ---
                apiVersion: rbac.authorization.k8s.io/v1
                kind: ClusterRoleBinding
                metadata: {name: b}
                roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
                subjects: [{kind: User, name: alice}]
                """)
        }
        let diff = try PolicyDiff.compare(policy("caf\u{E9}"), policy("cafe\u{301}"))
        #expect(diff.subjects.map(\.subject.description) == ["User alice"])
        #expect(diff.subjects.first?.gained.count == 1 && diff.subjects.first?.lost.count == 1)
    }

    /// The diff expands only the subjects whose grants changed; its result must be what comparing
    /// every subject's whole expansion gives. Generated policies, each changed in one to three
    /// ways (a binding or a subject removed, a binding added or copied under another name, a
    /// role's rules replaced, a role renamed with its references).
    @Test func equalsTheComparisonOfWholeExpansions() throws {
        var changedSubjects = 0
        for seed in 0..<300 as Range<UInt64> {
            var generator = PolicyGenerator(seed: seed)
            let old = generator.policySet()
            var new = old
            generator.reserveNames(of: old)
            var rng = SplitMix64(seed: seed &* 7919 &+ 17)
            for _ in 0..<rng.int(1...3) {
                switch rng.below(6) {
                case 0 where !new.bindings.isEmpty:
                    new.bindings.remove(at: rng.below(new.bindings.count))
                case 1 where !new.bindings.isEmpty:
                    let i = rng.below(new.bindings.count)
                    if !new.bindings[i].subjects.isEmpty { new.bindings[i].subjects.remove(at: rng.below(new.bindings[i].subjects.count)) }
                case 2:
                    if let binding = generator.binding(kind: rng.chance(50) ? .clusterRoleBinding : .roleBinding, roles: new.roles) {
                        new.bindings.append(binding)
                    }
                case 3 where !new.bindings.isEmpty:
                    var copy = new.bindings[rng.below(new.bindings.count)]
                    copy.name += "-copy"
                    if !new.bindings.contains(where: { $0.kind == copy.kind && $0.namespace == copy.namespace && $0.name == copy.name }) {
                        new.bindings.append(copy)
                    }
                case 4 where !new.roles.isEmpty:
                    let i = rng.below(new.roles.count)
                    new.roles[i].rules = (0..<rng.int(1...2)).map { _ in generator.rule(nonResource: rng.chance(20)) }
                case 5 where !new.roles.isEmpty:
                    let i = rng.below(new.roles.count)
                    let before = new.roles[i]
                    let renamed = before.name + "-renamed"
                    new.roles[i].name = renamed
                    for j in new.bindings.indices
                    where new.bindings[j].roleRef.name == before.name && new.bindings[j].roleRef.kind == before.kind
                        && (before.kind == .clusterRole || new.bindings[j].namespace == before.namespace)
                    {
                        new.bindings[j].roleRef.name = renamed
                    }
                default:
                    break
                }
            }
            let a = PolicyCompiler.compile(old)
            let b = PolicyCompiler.compile(new)
            let diff = try PolicyDiff.compare(a, b)
            let before = try a.permissionTuples()
            let after = try b.permissionTuples()
            var expected: [String] = []
            for subject in Set(before.keys).union(after.keys).sorted() {
                let gained = (after[subject] ?? []).subtracting(before[subject] ?? []).sorted()
                let lost = (before[subject] ?? []).subtracting(after[subject] ?? []).sorted()
                if !gained.isEmpty || !lost.isEmpty { expected.append("\(subject) +\(gained) -\(lost)") }
            }
            let got = diff.subjects.map { "\($0.subject) +\($0.gained) -\($0.lost)" }
            #expect(got == expected, "seed \(seed)")
            changedSubjects += expected.count
        }
        // The mutations must have changed something often enough for the comparison to mean anything.
        #expect(changedSubjects > 300, "\(changedSubjects)")
    }
}
