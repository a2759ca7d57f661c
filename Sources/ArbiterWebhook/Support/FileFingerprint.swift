import Glibc

/// What a file watcher compares to decide that a file changed: device, inode, size and mtime.
///
/// The inode catches atomic replacement (editors' rename-over, Kubernetes' `..data` symlink
/// swap) even when size and mtime happen to match; size and mtime catch in-place writes.
struct FileFingerprint: Sendable, Hashable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modificationSeconds: Int
    var modificationNanoseconds: Int
    var isDirectory: Bool

    /// The fingerprint of `path`, following symlinks unless `followSymlinks` is false; `nil` if
    /// it does not exist (a dangling symlink counts as missing when followed).
    static func of(_ path: String, followSymlinks: Bool = true) -> FileFingerprint? {
        var info = stat()
        let rc = followSymlinks ? stat(path, &info) : lstat(path, &info)
        guard rc == 0 else { return nil }
        return FileFingerprint(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            modificationSeconds: Int(info.st_mtim.tv_sec), modificationNanoseconds: Int(info.st_mtim.tv_nsec),
            isDirectory: (info.st_mode & S_IFMT) == S_IFDIR)
    }

    /// The names in directory `path`, without `.` and `..`; empty if it cannot be read.
    static func entries(of path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                String(cString: UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// `path` and every subdirectory below it, at most `limit`, as the policy loader walks them:
    /// symlinks to directories are followed (a directory reached twice, through a link cycle or
    /// two links, is listed once), hidden entries are not (a ConfigMap mount's `..data` and
    /// timestamped directories: their content is reached through the visible links).
    static func directoryTree(_ path: String, limit: Int) -> [String] {
        var result: [String] = []
        var seen = Set<[UInt64]>()
        var pending = [(path, 0)]
        while let (directory, depth) = pending.popLast(), result.count < limit {
            var info = stat()
            guard stat(directory, &info) == 0, seen.insert([UInt64(info.st_dev), UInt64(info.st_ino)]).inserted else {
                continue
            }
            result.append(directory)
            guard depth < 32 else { continue }
            for name in entries(of: directory) where !name.hasPrefix(".") {
                let child = directory + "/" + name
                if of(child)?.isDirectory == true { pending.append((child, depth + 1)) }
            }
        }
        return result
    }

    /// Fingerprints of every entry below directory `path` (recursively, symlinks followed for
    /// the fingerprint but not for descending), keyed by path, at most `limit` entries.
    static func snapshot(ofDirectory path: String, limit: Int) -> [String: FileFingerprint] {
        var result: [String: FileFingerprint] = [:]
        for directory in directoryTree(path, limit: limit) {
            for name in entries(of: directory) where result.count < limit {
                let child = directory + "/" + name
                result[child] = of(child) ?? of(child, followSymlinks: false)
            }
        }
        return result
    }

    /// The directory containing `path` (`.` for a bare name, `/` for a top-level entry).
    static func parent(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        if slash == path.utf8.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component of `path`.
    static func baseName(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return path }
        return String(path[path.utf8.index(after: slash)...])
    }

    /// `path` with symlinks resolved, or `nil` if it does not exist.
    static func resolved(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    /// Nanoseconds on `CLOCK_MONOTONIC`.
    static func monotonicNanoseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int(now.tv_sec) * 1_000_000_000 + Int(now.tv_nsec)
    }
}
