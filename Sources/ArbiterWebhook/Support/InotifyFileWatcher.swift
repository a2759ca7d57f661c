import Glibc

/// The inotify engine behind ``FileWatcher``; runs on the watcher's thread only.
///
/// Files are never watched themselves: an editor's rename-over or Kubernetes' `..data` swap
/// replaces the inode, and a watch on the old inode would go silent. Instead each file's parent
/// directory is watched (and the parent of its resolved path, when it is a symlink into another
/// directory). Any event in such a directory marks the file for a check; at the end of the
/// debounce window the file is reported if an event named it or its fingerprint changed.
/// Directories are watched recursively and report the path of every entry an event names.
/// Watches are refreshed after each burst, so new subdirectories and recreated parents are picked up.
struct InotifyFileWatcher: Sendable {
    /// One path the caller asked to watch.
    struct Target: Sendable {
        var path: String
        var isDirectory: Bool
    }

    private static let mask: UInt32 = UInt32(
        IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB
            | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
    /// Upper bound on watches per watcher, so a huge tree cannot exhaust the kernel's budget.
    static let watchLimit = 4096

    let fd: Int32
    let targets: [Target]
    private var watches: [Int32: String] = [:]
    private var fingerprints: [String: FileFingerprint?] = [:]
    // Burst state.
    private var changed: Set<String> = []
    private var fileTargetsToCheck: Set<Int> = []

    /// Opens an inotify instance and watches every target.
    ///
    /// - Throws: ``SystemCallError`` from `inotify_init1`, or from `inotify_add_watch` when a
    ///   directory target or a file's parent directory cannot be watched.
    init(targets: [Target]) throws {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw SystemCallError.current("inotify_init1") }
        self.fd = fd
        self.targets = targets
        for target in targets where !target.isDirectory {
            self.fingerprints[target.path] = FileFingerprint.of(target.path)
        }
        do {
            try self.refreshWatches(strict: true)
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    /// Closes the inotify instance (and with it every watch).
    func close() {
        _ = Glibc.close(self.fd)
    }

    /// The directories a target needs watched.
    private func directories(for target: Target) -> [String] {
        if target.isDirectory {
            return FileFingerprint.directoryTree(target.path, limit: Self.watchLimit)
        }
        var result = [FileFingerprint.parent(of: target.path)]
        if let resolved = FileFingerprint.resolved(target.path) {
            let resolvedParent = FileFingerprint.parent(of: resolved)
            if resolvedParent != result[0] { result.append(resolvedParent) }
        }
        return result
    }

    /// Adds watches for every directory the targets need now (`inotify_add_watch` on an already
    /// watched directory returns its existing descriptor).
    mutating func refreshWatches(strict: Bool = false) throws {
        for target in self.targets {
            for (index, directory) in self.directories(for: target).enumerated() {
                guard self.watches.count < Self.watchLimit else { return }
                let wd = inotify_add_watch(self.fd, directory, Self.mask)
                if wd >= 0 {
                    self.watches[wd] = directory
                } else if strict && index == 0 {
                    throw SystemCallError.current("inotify_add_watch")
                }
            }
        }
    }

    /// Reads and classifies every queued event; returns `true` if any was relevant.
    mutating func readEvents() -> Bool {
        var relevant = false
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(self.fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return relevant }
            buffer.withUnsafeBytes { raw in
                var offset = 0
                let header = MemoryLayout<inotify_event>.size
                while offset + header <= count {
                    let wd = raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                    let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                    let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    let nameBytes = raw[(offset + header)..<min(offset + header + length, count)]
                    let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                    offset += header + length
                    if self.handle(wd: wd, mask: mask, name: name) { relevant = true }
                }
            }
        }
    }

    private mutating func handle(wd: Int32, mask: UInt32, name: String) -> Bool {
        if mask & UInt32(IN_Q_OVERFLOW) != 0 {
            // Events were lost: check every file and report every directory target.
            self.fileTargetsToCheck.formUnion(self.targets.indices.filter { !self.targets[$0].isDirectory })
            for target in self.targets where target.isDirectory { self.changed.insert(target.path) }
            return true
        }
        if mask & UInt32(IN_IGNORED) != 0 {
            self.watches[wd] = nil
            return false
        }
        guard let directory = self.watches[wd] else { return false }
        let path = name.isEmpty ? directory : directory + "/" + name
        var relevant = false
        for (index, target) in self.targets.enumerated() {
            if target.isDirectory {
                // Paths compare as bytes (String `==` is canonical equivalence, the kernel's is not).
                if directory.utf8.elementsEqual(target.path.utf8) || directory.utf8.starts(with: (target.path + "/").utf8) {
                    self.changed.insert(path)
                    relevant = true
                }
            } else if self.directories(forFile: target).contains(where: { $0.utf8.elementsEqual(directory.utf8) }) {
                if name.utf8.elementsEqual(FileFingerprint.baseName(of: target.path).utf8)
                    && directory.utf8.elementsEqual(FileFingerprint.parent(of: target.path).utf8)
                {
                    self.changed.insert(target.path)
                }
                self.fileTargetsToCheck.insert(index)
                relevant = true
            }
        }
        return relevant
    }

    private func directories(forFile target: Target) -> [String] {
        var result = [FileFingerprint.parent(of: target.path)]
        // The resolved parent may have changed since the watch was added; the last fingerprint's
        // directory is not known, so compare with the current resolution and the watched set.
        if let resolved = FileFingerprint.resolved(target.path) {
            result.append(FileFingerprint.parent(of: resolved))
        }
        return result
    }

    /// Ends a burst: checks marked files, refreshes watches and returns the changed paths, sorted.
    mutating func finishBurst() -> [String] {
        for index in self.fileTargetsToCheck {
            let path = self.targets[index].path
            let now = FileFingerprint.of(path)
            if now != self.fingerprints[path] ?? nil { self.changed.insert(path) }
            self.fingerprints[path] = now
        }
        for target in self.targets where !target.isDirectory && self.changed.contains(target.path) {
            self.fingerprints[target.path] = FileFingerprint.of(target.path)
        }
        self.fileTargetsToCheck.removeAll()
        try? self.refreshWatches()
        defer { self.changed.removeAll() }
        return self.changed.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}
