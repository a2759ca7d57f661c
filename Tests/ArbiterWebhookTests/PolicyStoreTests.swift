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
            #expect(error.description.contains("is empty"), "\(name): \(error)")
        }
        // The policy in force is unchanged and still decides.
        #expect(store.current?.revision == first.revision)
        let request = AccessRequest(
            user: "jane", groups: [], attributes: .resource(ResourceAttributes(verb: "get", resource: "pods")))
        #expect(store.current?.policy.authorize(request).decision == .allow)
    }

    @Test func anEmptyPolicyIsNeverTheFirstOne() throws {
        let store = PolicyStore()
        let empty = try Self.file("")
        #expect(throws: PolicyStore.ReloadFailure.self) { try store.reload(paths: [empty]) }
        #expect(store.current == nil)
    }
}
