import ArbiterPolicy
import Foundation
import Testing

@testable import ArbiterWebhook

/// The policy store never publishes a broken or empty policy, and keeps the one in force.
@Suite struct PolicyStoreTests {
    static let role = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: reader}
        rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: readers}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
        subjects: [{kind: User, name: jane}]

        """

    /// Writes `text` to a fresh file and returns its path.
    static func file(_ text: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("policy-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("policy.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(arguments: [
        ("empty file", ""),
        ("whitespace and comments", "\n  \n# nothing here\n---\n"),
        ("only other kinds", "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}\n"),
    ])
    func anEmptyPolicyIsRefusedAndTheOldOneKept(_ name: String, _ text: String) throws {
        let store = PolicyStore()
        let good = try Self.file(Self.role)
        let first = try store.reload(paths: [good])
        #expect(store.current?.revision == first.revision)

        let empty = try Self.file(text)
        #expect(throws: PolicyStore.ReloadFailure.self) { try store.reload(paths: [empty]) }
        do {
            try store.reload(paths: [empty])
        } catch {
            // The file itself has no objects, or (other kinds only) the policy has none.
            #expect(
                error.description.contains("is empty") || error.description.contains("the file has no objects"), "\(name): \(error)")
        }
        // The policy in force is unchanged and still decides.
        #expect(store.current?.revision == first.revision)
        let request = AccessRequest(
            user: "jane", groups: [], attributes: .resource(ResourceAttributes(verb: "get", resource: "pods")))
        #expect(store.current?.policy.authorize(request).decision == .allow)
    }

    /// One file of several emptied (a truncated copy of the file holding a Deny): the reload
    /// fails and the Deny stays in force; it had passed as a successful reload without it.
    @Test func oneEmptiedFileAmongOthersIsRefused() throws {
        let store = PolicyStore()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("policy-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let deny = directory.appendingPathComponent("deny.yaml").path
        try Self.role.write(toFile: directory.appendingPathComponent("role.yaml").path, atomically: true, encoding: .utf8)
        try """
            apiVersion: arbiter.dev/v1alpha1
            kind: AccessPolicy
            metadata: {name: no-pods-for-jane}
            spec:
              effect: Deny
              subjects: [{kind: User, name: jane}]
              rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
            """.write(toFile: deny, atomically: true, encoding: .utf8)
        let first = try store.reload(paths: [directory.path])
        let request = AccessRequest(
            user: "jane", groups: [], attributes: .resource(ResourceAttributes(verb: "get", resource: "pods")))
        #expect(store.current?.policy.authorize(request).decision == .deny)
        for truncated in [
            "", "# deny-exec: keeps jane away from pods\n", "---\n", "apiVersion: v1\nkind: List\nitems: []\n",
            "apiVersion: v1\nkind: List\nitems:\n",
        ] {
            try truncated.write(toFile: deny, atomically: true, encoding: .utf8)
            #expect(throws: PolicyStore.ReloadFailure.self) { try store.reload(paths: [directory.path]) }
            #expect(store.current?.revision == first.revision)
            #expect(store.current?.policy.authorize(request).decision == .deny)
        }
    }

    @Test func anEmptyPolicyIsNeverTheFirstOne() throws {
        let store = PolicyStore()
        let empty = try Self.file("")
        #expect(throws: PolicyStore.ReloadFailure.self) { try store.reload(paths: [empty]) }
        #expect(store.current == nil)
    }
}
