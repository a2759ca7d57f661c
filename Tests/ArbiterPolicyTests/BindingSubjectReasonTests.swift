import ArbiterPolicy
import ArbiterTestSupport
import Testing

/// Which subject of an allowing binding the reason names: Kubernetes reports the binding's first
/// subject (in the binding's order) that applies to the requester, whichever subject's index
/// entry found the binding. The compiled entries carry their subject's position; these tests
/// pin the cases where an earlier subject also applies, a subject repeats, and a binding is too
/// long for the position to be stored.
struct BindingSubjectReasonTests {
    static func policy(subjects: [String]) -> String {
        """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: pod-reader}
        rules:
        - {apiGroups: [""], resources: [pods], verbs: [get]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: readers}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-reader}
        subjects:
        \(subjects.map { "- " + $0 }.joined(separator: "\n"))
        """
    }

    static func user(_ name: String) -> String { "{kind: User, apiGroup: rbac.authorization.k8s.io, name: \"\(name)\"}" }
    static func group(_ name: String) -> String { "{kind: Group, apiGroup: rbac.authorization.k8s.io, name: \"\(name)\"}" }

    static let mixed = policy(subjects: [group("g"), user("u"), group("h"), user("u")])

    @Test(arguments: [
        // (user, groups, reported subject position, reported subject)
        ("u", ["h", "g"], 0, #"Group "g""#),
        ("u", ["h"], 1, #"User "u""#),
        ("u", [], 1, #"User "u""#),
        ("x", ["h"], 2, #"Group "h""#),
        ("x", ["h", "g"], 0, #"Group "g""#),
    ])
    func reasonNamesTheFirstApplyingSubject(user: String, groups: [String], position: Int, subject: String) throws {
        let compiled = try compilePolicy(Self.mixed)
        let request = AccessRequest.resource("get", "pods", namespace: "ns", user: user, groups: groups)
        let result = compiled.authorize(request)
        #expect(result.decision == .allow)
        #expect(result.reason == #"RBAC: allowed by ClusterRoleBinding "readers" of ClusterRole "pod-reader" to "# + subject)
        #expect(result.source == .binding(BindingMatch(binding: 0, subject: position, rule: 0)))
        let reference = ReferenceEvaluator(try loadPolicySet(Self.mixed)).authorize(request)
        #expect(result.reason.bytesEqual(reference.reason))
    }

    /// Past 65,535 subjects the position is not stored; the evaluator then looks at every
    /// subject of the binding, and still reports the first that applies.
    @Test func subjectsBeyondTheStoredPositionAreFound() throws {
        let count = 65_540
        let subjects = (0..<count).map { Self.user("user-\($0)") } + [Self.group("late")]
        let compiled = try compilePolicy(Self.policy(subjects: subjects))
        let last = compiled.authorize(.resource("get", "pods", user: "user-\(count - 1)"))
        #expect(last.reason.hasSuffix(#"to User "user-\#(count - 1)""#))
        #expect(last.source == .binding(BindingMatch(binding: 0, subject: count - 1, rule: 0)))
        // Found through the late group, reported as the earlier user subject that also applies.
        let early = compiled.authorize(.resource("get", "pods", user: "user-65535", groups: ["late"]))
        #expect(early.reason.hasSuffix(#"to User "user-65535""#))
        #expect(early.source == .binding(BindingMatch(binding: 0, subject: 65_535, rule: 0)))
        let group = compiled.authorize(.resource("get", "pods", user: "user-70000", groups: ["late"]))
        #expect(group.reason.hasSuffix(#"to Group "late""#))
        #expect(group.source == .binding(BindingMatch(binding: 0, subject: count, rule: 0)))
    }

    /// Results are values: a copy keeps its reason and source after the original changes.
    @Test func resultsCopyAndChangeAsValues() throws {
        let compiled = try compilePolicy(Self.mixed)
        var allow = compiled.authorize(.resource("get", "pods", user: "u"))
        let copy = allow
        allow.evaluationError = "note"
        #expect(allow.reason == copy.reason)
        #expect(allow.source == copy.source)
        #expect(allow.evaluationError == "note" && copy.evaluationError == nil)
        allow.source = nil
        #expect(allow.source == nil && copy.source != nil)
        #expect(allow.reason == copy.reason)

        var none = compiled.authorize(.resource("get", "pods", user: "nobody"))
        #expect(none == AuthorizationResult(decision: .noOpinion))
        #expect(none.reason.isEmpty && none.evaluationError == nil && none.source == nil)
        none.reason = "why"
        #expect(none.reason == "why" && none.decision == .noOpinion)
        let denied = AuthorizationResult(decision: .deny, reason: "r", evaluationError: "e", source: .defaultDecision)
        let deniedCopy = denied
        #expect(deniedCopy.reason == "r" && deniedCopy.evaluationError == "e" && deniedCopy.source == .defaultDecision)
    }
}
