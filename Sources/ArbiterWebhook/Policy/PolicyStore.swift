public import ArbiterPolicy
import Synchronization

/// The policy the server answers with: one immutable snapshot, replaced atomically by reloads.
///
/// A request reads ``current`` once and evaluates synchronously on its loop thread (evaluation
/// takes microseconds; an async hop would cost more). A reload loads and compiles on the calling
/// thread — never a loop thread — and publishes only when the new policy has no errors (and
/// passes the optional `check`, used for the lock-out guard); otherwise the previous snapshot
/// keeps serving and the errors are returned for logging and metrics.
public final class PolicyStore: Sendable {
    /// A compiled policy and where it came from.
    public struct Snapshot: Sendable {
        public var policy: CompiledPolicy
        /// Content hash of the sources (see `PolicyLoader.Result.revision`).
        public var revision: String
        /// Objects and rules, for logs.
        public var summary: String
        public var paths: [String]

        public init(policy: CompiledPolicy, revision: String, summary: String, paths: [String]) {
            self.policy = policy
            self.revision = revision
            self.summary = summary
            self.paths = paths
        }
    }

    /// Why a reload did not publish.
    public struct ReloadFailure: Error, Sendable, CustomStringConvertible {
        public var errors: [String]
        public var description: String { errors.joined(separator: "; ") }
    }

    private let snapshot: Mutex<Snapshot?>
    /// Serialises reloads (SIGHUP and file changes may race); requests never take it.
    private let reloadLock = Mutex<Void>(())

    public init(_ initial: Snapshot? = nil) {
        self.snapshot = Mutex(initial)
    }

    /// The snapshot in force, or `nil` before the first successful load.
    public var current: Snapshot? {
        snapshot.withLock { $0 }
    }

    /// Loads `paths`, compiles and publishes; on any error keeps the snapshot in force.
    ///
    /// - Parameter check: extra validation of the compiled policy (errors refuse it).
    /// - Returns: the published snapshot.
    @discardableResult
    public func reload(
        paths: [String], limits: YAMLLimits = YAMLLimits(),
        check: (@Sendable (CompiledPolicy) -> [String])? = nil
    ) throws(ReloadFailure) -> Snapshot {
        try reloadLock.withLock { _ throws(ReloadFailure) -> Snapshot in
            let loaded = PolicySourceReader.load(paths: paths, limits: limits)
            if !loaded.errors.isEmpty {
                throw ReloadFailure(errors: loaded.errors.map(\.description))
            }
            if loaded.set.sourceCount == 0 {
                throw ReloadFailure(errors: ["no policy files under \(paths.joined(separator: ", "))"])
            }
            // An empty or truncated file (a half-finished copy, a config-management glitch) must
            // not replace a policy or become ready: it would answer no opinion to everything
            // (security checklist 22).
            if loaded.set.roles.isEmpty && loaded.set.bindings.isEmpty && loaded.set.accessPolicies.isEmpty {
                throw ReloadFailure(errors: [
                    "the policy under \(paths.joined(separator: ", ")) is empty: no Role, ClusterRole, RoleBinding, "
                        + "ClusterRoleBinding or AccessPolicy (an empty or truncated file?); refusing it"
                ])
            }
            let policy = PolicyCompiler.compile(loaded.set)
            if let check {
                let problems = check(policy)
                if !problems.isEmpty { throw ReloadFailure(errors: problems) }
            }
            let next = Snapshot(policy: policy, revision: loaded.revision, summary: policy.summary, paths: paths)
            snapshot.withLock { $0 = next }
            return next
        }
    }
}
