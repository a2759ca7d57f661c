/// The polling fallback behind ``FileWatcher``: compares fingerprints (inode, size, mtime) of
/// every target at a fixed interval. Runs on the watcher's thread only.
///
/// Used when inotify is unavailable (`inotify_init1` failing, for example when
/// `fs.inotify.max_user_instances` is exhausted) or when the caller asks for it. A change shorter
/// than one interval that restores the exact fingerprint is not seen; that is the price of polling.
struct PollingFileWatcher: Sendable {
    /// The most entries fingerprinted under one directory target.
    static let entryLimit = 10_000

    let targets: [InotifyFileWatcher.Target]
    private var snapshot: [String: FileFingerprint] = [:]

    init(targets: [InotifyFileWatcher.Target]) {
        self.targets = targets
        self.snapshot = Self.takeSnapshot(of: targets)
    }

    /// Takes a new snapshot and returns the paths whose fingerprint appeared, vanished or changed.
    mutating func poll() -> [String] {
        let current = Self.takeSnapshot(of: self.targets)
        var changed: [String] = []
        for (path, fingerprint) in current where self.snapshot[path] != fingerprint {
            changed.append(path)
        }
        for path in self.snapshot.keys where current[path] == nil {
            changed.append(path)
        }
        self.snapshot = current
        return changed.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    private static func takeSnapshot(of targets: [InotifyFileWatcher.Target]) -> [String: FileFingerprint] {
        var result: [String: FileFingerprint] = [:]
        for target in targets {
            if target.isDirectory {
                result.merge(FileFingerprint.snapshot(ofDirectory: target.path, limit: entryLimit)) { old, _ in old }
            } else if let fingerprint = FileFingerprint.of(target.path) {
                result[target.path] = fingerprint
            }
        }
        return result
    }
}
