#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// Reads policy files and directories from disk: the one place `ArbiterPolicy` touches the file
/// system, used by the CLI and by reloads, never on a request path.
///
/// A directory is walked recursively; its `*.yaml`, `*.yml` and `*.json` files are read in byte
/// order of their paths, so the same tree always loads the same way. Hidden entries (a leading
/// `.`, like the `..data` links of a mounted ConfigMap's timestamped directories) are skipped. An
/// entry that cannot be examined (a dangling symlink, a directory without search permission) is
/// an error, never skipped: it could hold a Deny.
public enum PolicySourceReader {
    public static let extensions = [".yaml", ".yml", ".json"]

    /// Loads every source under `paths` and combines them (duplicate objects are errors).
    public static func load(paths: [String], limits: YAMLLimits = .init()) -> PolicyLoader.Result {
        var results: [PolicyLoader.Result] = []
        for path in paths {
            let files: [String]
            do {
                files = try policyFiles(at: path)
            } catch {
                results.append(PolicyLoader.Result(errors: [error]))
                continue
            }
            for file in files {
                do {
                    let bytes = try readFile(file, limit: limits.maxBytes)
                    results.append(PolicyLoader.load(bytes, file: file, limits: limits))
                } catch {
                    results.append(PolicyLoader.Result(errors: [error]))
                }
            }
        }
        return PolicyLoader.combine(results)
    }

    /// The policy files a path names: the file itself, or every policy file below a directory.
    public static func policyFiles(at path: String) throws(PolicyError) -> [String] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw PolicyError(.unreadable, "cannot read `\(path)`: \(errnoText())")
        }
        if (info.st_mode & S_IFMT) != S_IFDIR { return [path] }
        var found: [String] = []
        try walk(path, depth: 0, into: &found)
        found.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return found
    }

    private static func walk(_ directory: String, depth: Int, into found: inout [String]) throws(PolicyError) {
        guard depth < 32 else { throw PolicyError(.unreadable, "`\(directory)` is nested too deeply") }
        guard let dir = opendir(directory) else {
            throw PolicyError(.unreadable, "cannot open directory `\(directory)`: \(errnoText())")
        }
        defer { closedir(dir) }
        var entries: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name.hasPrefix(".") { continue }
            entries.append(name)
        }
        for name in entries {
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            var info = stat()
            guard stat(path, &info) == 0 else {
                // Gone since the listing (an editor's or a ConfigMap's swap): nothing to read.
                // Anything else (a dangling symlink, no search permission) could hide a Deny, so
                // it fails the load and the previous policy keeps serving.
                let code = errno
                var link = stat()
                if code == ENOENT && lstat(path, &link) != 0 && errno == ENOENT { continue }
                let detail = code == ENOENT ? "a symbolic link to a missing file" : String(cString: strerror(code))
                throw PolicyError(.unreadable, "cannot read `\(path)`: \(detail)")
            }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                try walk(path, depth: depth + 1, into: &found)
            } else if (info.st_mode & S_IFMT) == S_IFREG, extensions.contains(where: { name.hasSuffix($0) }) {
                found.append(path)
            }
        }
    }

    /// Reads a whole file, refusing more than `limit` bytes.
    public static func readFile(_ path: String, limit: Int) throws(PolicyError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PolicyError(.unreadable, "cannot open `\(path)`: \(errnoText())") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var info = stat()
        if fstat(fd, &info) == 0 {
            if Int(info.st_size) > limit {
                throw PolicyError(
                    .fileTooLarge, "`\(path)` is \(info.st_size) bytes, over the limit of \(limit)",
                    at: SourceLocation(file: path, line: 1, column: 1))
            }
            bytes.reserveCapacity(Int(info.st_size))
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw PolicyError(.unreadable, "cannot read `\(path)`: \(errnoText())")
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
            if bytes.count > limit {
                throw PolicyError(
                    .fileTooLarge, "`\(path)` is over the limit of \(limit) bytes",
                    at: SourceLocation(file: path, line: 1, column: 1))
            }
        }
        return bytes
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
