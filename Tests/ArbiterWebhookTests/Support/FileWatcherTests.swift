import Foundation
import Glibc
import Testing

@testable import ArbiterWebhook

@Suite struct FileWatcherTests {
    static let modes: [FileWatcher.Mode] = [.automatic, .polling(interval: .milliseconds(50))]

    /// Starts a watcher on `paths`, runs `change`, and returns whether a callback reported `expected`.
    static func observe(
        _ paths: [String], mode: FileWatcher.Mode, expecting expected: String, change: () throws -> Void
    ) throws -> Bool {
        let reports = Recorder<[String]>()
        let watcher = try FileWatcher(paths: paths, debounce: .milliseconds(50), mode: mode) { reports.append($0) }
        defer { watcher.stop() }
        if case .automatic = mode { #expect(watcher.usesInotify) }
        try change()
        return waitUntil { reports.all.contains { $0.contains(expected) } }
    }

    @Test(arguments: modes)
    func reportsAWriteToAWatchedFile(mode: FileWatcher.Mode) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("policy.yaml", "a: 1\n")
        let path = directory.file("policy.yaml")
        let seen = try Self.observe([path], mode: mode, expecting: path) {
                let fd = open(path, O_WRONLY | O_APPEND)
                defer { close(fd) }
                for chunk in ["b: 2\n", "c: 3\n", "d: 4\n"] { _ = write(fd, chunk, chunk.utf8.count) }
            }
        #expect(seen)
    }

    @Test(arguments: modes)
    func reportsARenameOverTheFile(mode: FileWatcher.Mode) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("config.yaml", "old\n")
        try directory.write("config.yaml.tmp", "new\n")
        let path = directory.file("config.yaml")
        let seen = try Self.observe([path], mode: mode, expecting: path) {
            guard rename(directory.file("config.yaml.tmp"), path) == 0 else { throw SystemCallError.current("rename") }
        }
        #expect(seen)
    }

    @Test(arguments: modes)
    func reportsAConfigMapDataSymlinkSwap(mode: FileWatcher.Mode) throws {
        // The layout kubelet gives a ConfigMap volume: policy.yaml -> ..data/policy.yaml,
        // ..data -> ..2026_01, swapped atomically by renaming a new symlink over ..data.
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(mkdir(directory.file("..2026_01"), 0o755) == 0)
        try directory.write("..2026_01/policy.yaml", "version: 1\n")
        #expect(symlink("..2026_01", directory.file("..data")) == 0)
        #expect(symlink("..data/policy.yaml", directory.file("policy.yaml")) == 0)
        let path = directory.file("policy.yaml")
        let seen = try Self.observe([path], mode: mode, expecting: path) {
            guard mkdir(directory.file("..2026_02"), 0o755) == 0 else { throw SystemCallError.current("mkdir") }
            try directory.write("..2026_02/policy.yaml", "version: 2\n")
            guard symlink("..2026_02", directory.file("..data_tmp")) == 0 else { throw SystemCallError.current("symlink") }
            guard rename(directory.file("..data_tmp"), directory.file("..data")) == 0 else {
                throw SystemCallError.current("rename")
            }
            try FileManager.default.removeItem(atPath: directory.file("..2026_01"))
        }
        #expect(seen)
        #expect(directory.read("policy.yaml") == "version: 2\n")
    }

    @Test(arguments: modes)
    func reportsANewFileInAWatchedDirectoryAndItsSubdirectories(mode: FileWatcher.Mode) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(mkdir(directory.file("policies"), 0o755) == 0)
        #expect(mkdir(directory.file("policies/team-a"), 0o755) == 0)
        try directory.write("policies/base.yaml", "x\n")
        let root = directory.file("policies")
        let added = directory.file("policies/extra.yaml")
        let seenAdded = try Self.observe([root], mode: mode, expecting: added) {
            try directory.write("policies/extra.yaml", "y\n")
        }
        #expect(seenAdded)
        let nested = directory.file("policies/team-a/roles.yaml")
        let seenNested = try Self.observe([root], mode: mode, expecting: nested) {
            try directory.write("policies/team-a/roles.yaml", "z\n")
        }
        #expect(seenNested)
    }

    @Test func unrelatedFilesInTheParentDirectoryAreNotReported() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("tls.crt", "cert\n")
        let path = directory.file("tls.crt")
        let reports = Recorder<[String]>()
        let watcher = try FileWatcher(paths: [path], debounce: .milliseconds(50)) { reports.append($0) }
        defer { watcher.stop() }
        try directory.write("unrelated.txt", "noise\n")
        try directory.write("tls.crt", "rotated\n")
        #expect(waitUntil { !reports.all.isEmpty })
        // Whatever was batched, only the watched file is ever named.
        #expect(reports.all.allSatisfy { $0 == [path] })
    }

    @Test func aTrailingSlashOnADirectoryDoesNotChangeReportedPaths() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(mkdir(directory.file("certs"), 0o755) == 0)
        let added = directory.file("certs/tls.crt")
        let seen = try Self.observe([directory.file("certs") + "/"], mode: .automatic, expecting: added) {
            try directory.write("certs/tls.crt", "cert\n")
        }
        #expect(seen)
    }

    /// What inotify cannot see, the safety poll reports: a `git-sync`-style swap of a symlinked
    /// policy directory, a directory deleted and created again (with changes after it), and a
    /// change in a directory reached through a symlink.
    static func observeAny(_ paths: [String], change: () throws -> Void) throws -> [[String]] {
        let reports = Recorder<[String]>()
        let watcher = try FileWatcher(paths: paths, debounce: .milliseconds(50), safetyPoll: .milliseconds(200)) {
            reports.append($0)
        }
        defer { watcher.stop() }
        #expect(watcher.usesInotify)
        try change()
        _ = waitUntil { !reports.all.isEmpty }
        return reports.all
    }

    @Test func reportsASwappedDirectorySymlink() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(mkdir(directory.file("a"), 0o755) == 0)
        #expect(mkdir(directory.file("b"), 0o755) == 0)
        try directory.write("a/policy.yaml", "version: 1\n")
        try directory.write("b/policy.yaml", "version: 2\n")
        #expect(symlink("a", directory.file("current")) == 0)
        let reports = try Self.observeAny([directory.file("current")]) {
            guard symlink("b", directory.file("current.tmp")) == 0 else { throw SystemCallError.current("symlink") }
            guard rename(directory.file("current.tmp"), directory.file("current")) == 0 else {
                throw SystemCallError.current("rename")
            }
        }
        #expect(reports.joined().contains(directory.file("current") + "/policy.yaml"))
    }

    /// A burst of inotify events that names no target (a file next to a watched one) must not
    /// swallow a change only the safety poll can see.
    @Test func aBurstDoesNotSwallowAChangeInotifyMissed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(mkdir(directory.file("a"), 0o755) == 0)
        #expect(mkdir(directory.file("b"), 0o755) == 0)
        #expect(mkdir(directory.file("tls"), 0o755) == 0)
        try directory.write("a/policy.yaml", "version: 1\n")
        try directory.write("b/policy.yaml", "version: 2\n")
        try directory.write("tls/server.crt", "cert\n")
        #expect(symlink("a", directory.file("current")) == 0)
        let reports = Recorder<[String]>()
        let watcher = try FileWatcher(
            paths: [directory.file("current"), directory.file("tls/server.crt")], debounce: .milliseconds(50),
            safetyPoll: .seconds(3)
        ) { reports.append($0) }
        defer { watcher.stop() }
        guard symlink("b", directory.file("current.tmp")) == 0, rename(directory.file("current.tmp"), directory.file("current")) == 0
        else { throw SystemCallError.current("symlink swap") }
        try directory.write("tls/unrelated.txt", "noise\n")
        // Reported with the burst of the unrelated write (before, that burst took the change into
        // the snapshot and no poll ever reported it).
        #expect(waitUntil { reports.all.joined().contains(directory.file("current") + "/policy.yaml") })
    }

    @Test func keepsWatchingADirectoryDeletedAndCreatedAgain() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(mkdir(directory.file("policies"), 0o755) == 0)
        try directory.write("policies/a.yaml", "x\n")
        let reports = Recorder<[String]>()
        let watcher = try FileWatcher(
            paths: [directory.file("policies")], debounce: .milliseconds(50), safetyPoll: .milliseconds(200)
        ) { reports.append($0) }
        defer { watcher.stop() }
        try FileManager.default.removeItem(atPath: directory.file("policies"))
        #expect(waitUntil { reports.all.joined().contains(directory.file("policies/a.yaml")) })
        #expect(mkdir(directory.file("policies"), 0o755) == 0)
        let before = reports.all.count
        try directory.write("policies/b.yaml", "y\n")
        #expect(waitUntil { reports.all.dropFirst(before).joined().contains(directory.file("policies/b.yaml")) })
        // And the re-added watches see the next change as inotify does.
        let again = reports.all.count
        try directory.write("policies/c.yaml", "z\n")
        #expect(waitUntil { reports.all.dropFirst(again).joined().contains(directory.file("policies/c.yaml")) })
    }

    @Test func reportsAChangeInASymlinkedSubdirectory() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(mkdir(directory.file("policies"), 0o755) == 0)
        #expect(mkdir(directory.file("shared"), 0o755) == 0)
        #expect(symlink(directory.file("shared"), directory.file("policies/shared")) == 0)
        let reports = try Self.observeAny([directory.file("policies")]) {
            try directory.write("shared/extra.yaml", "y\n")
        }
        #expect(reports.joined().contains(directory.file("policies/shared/extra.yaml")))
    }

    @Test func missingDirectoryIsAnErrorForInotify() {
        #expect(throws: SystemCallError.self) {
            _ = try FileWatcher(paths: ["/nonexistent-arbiter-dir/file.yaml"]) { _ in }
        }
    }
}
