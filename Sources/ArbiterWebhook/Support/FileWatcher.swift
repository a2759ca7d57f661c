import Glibc
import Synchronization

/// Watches configuration files and directories and reports changes, debounced, on a background
/// thread.
///
/// Built for the ways configuration actually changes on a control-plane node: editors writing a
/// temporary file and renaming it over the original, `kubectl`/kubelet swapping a ConfigMap
/// mount's `..data` symlink, tools writing a file in several `write` calls, and new files
/// appearing in a policy directory. With inotify (the default) each file's parent directory is
/// watched, not the file, so a replaced inode is still noticed; directories are watched
/// recursively. Events are gathered until ``debounce`` passes without new ones (at most ten
/// debounce periods), then `onChange` gets the changed paths once: a file target's own path, or
/// for a directory target the paths of the entries that changed.
///
/// If inotify cannot be used, or ``Mode/polling(interval:)`` is requested, the watcher compares
/// inode, size and mtime at a fixed interval instead. With inotify it also does so every
/// `safetyPoll` (10 s by default), for what inotify cannot see: a watched directory that is a symlink
/// swapped for another (git-sync), a directory deleted and created again (its watches are gone),
/// a change made before the watch existed. Such a change is reported within that interval.
///
/// The callback runs on the watcher's thread (`arbiter-files`), one call at a time; a slow
/// callback delays later reports but loses nothing that still differs afterwards.
public final class FileWatcher: Sendable {
    /// How changes are detected.
    public enum Mode: Sendable, Hashable {
        /// inotify, falling back to polling every 2 s if no inotify instance or watch is available.
        case automatic
        /// Polling at `interval`, without inotify.
        case polling(interval: Duration)
    }

    /// The watched paths.
    public let paths: [String]
    /// The quiet period that ends a burst of events.
    public let debounce: Duration
    /// Whether inotify is in use (`false`: polling).
    public let usesInotify: Bool
    private let stopFlag = StopFlag()
    private let thread: Mutex<BackgroundThread?>

    /// Starts watching `paths`.
    ///
    /// A path that is a directory when the watcher starts is watched recursively; anything else
    /// (a file, a symlink to a file, a file that does not exist yet) is watched as a file.
    ///
    /// - Parameters:
    ///   - paths: Files and directories to watch.
    ///   - debounce: The quiet period that ends a burst; 200 ms by default.
    ///   - mode: inotify with fallback, or polling.
    ///   - safetyPoll: How often the inotify watcher also compares fingerprints (and re-adds
    ///     watches lost with a deleted directory).
    ///   - onChange: Receives the changed paths, sorted, on the watcher thread.
    /// - Throws: ``SystemCallError`` when a directory (or a file's parent directory) cannot be
    ///   watched, or the thread cannot be started.
    public init(
        paths: [String],
        debounce: Duration = .milliseconds(200),
        mode: Mode = .automatic,
        safetyPoll: Duration = .seconds(10),
        onChange: @escaping @Sendable ([String]) -> Void
    ) throws {
        // "dir/" and "dir" name the same directory; reported paths are built as "dir/name".
        let paths = paths.map { path in
            var trimmed = Substring(path)
            while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
            return String(trimmed)
        }
        self.paths = paths
        self.debounce = debounce
        let targets = paths.map {
            InotifyFileWatcher.Target(path: $0, isDirectory: FileFingerprint.of($0)?.isDirectory ?? false)
        }
        let stopFlag = self.stopFlag
        let debounceNanoseconds = Self.nanoseconds(debounce)
        var inotify: InotifyFileWatcher? = nil
        var pollInterval = Duration.seconds(2)
        switch mode {
        case .automatic:
            do {
                inotify = try InotifyFileWatcher(targets: targets)
            } catch let error as SystemCallError where error.function == "inotify_init1" || error.errno == ENOSPC {
                // No inotify instance, or the user's watch budget (fs.inotify.max_user_watches)
                // is exhausted: poll instead. A missing directory is still an error.
                inotify = nil
            }
        case .polling(let interval):
            pollInterval = interval
        }
        self.usesInotify = inotify != nil
        let thread: BackgroundThread
        if let engine = inotify {
            let safety = PollingFileWatcher(targets: targets)
            let safetyNanoseconds = max(Self.nanoseconds(safetyPoll), 1_000_000)
            do {
                thread = try BackgroundThread.start(name: "arbiter-files") {
                    Self.runInotify(
                        engine, safety: safety, safetyNanoseconds: safetyNanoseconds,
                        debounceNanoseconds: debounceNanoseconds, stop: stopFlag, onChange: onChange)
                }
            } catch {
                engine.close()
                throw error
            }
        } else {
            let engine = PollingFileWatcher(targets: targets)
            let intervalNanoseconds = max(Self.nanoseconds(pollInterval), 1_000_000)
            thread = try BackgroundThread.start(name: "arbiter-files") {
                Self.runPolling(engine, intervalNanoseconds: intervalNanoseconds, stop: stopFlag, onChange: onChange)
            }
        }
        self.thread = Mutex(thread)
    }

    deinit {
        self.stop()
    }

    /// Stops watching and joins the thread (within about 100 ms, plus a running callback). Idempotent.
    public func stop() {
        self.stopFlag.set()
        let thread = self.thread.withLock { thread in
            defer { thread = nil }
            return thread
        }
        thread?.join()
    }

    // MARK: - Threads

    /// The longest the thread sleeps before looking at the stop flag.
    private static let stopCheckNanoseconds = 100_000_000

    private static func runInotify(
        _ engine: InotifyFileWatcher,
        safety: PollingFileWatcher,
        safetyNanoseconds: Int,
        debounceNanoseconds: Int,
        stop: StopFlag,
        onChange: @Sendable ([String]) -> Void
    ) {
        var engine = engine
        var safety = safety
        defer { engine.close() }
        var burstStart: Int? = nil
        var deadline = 0
        var nextSafetyPoll = FileFingerprint.monotonicNanoseconds() + safetyNanoseconds
        while !stop.isSet {
            let now = FileFingerprint.monotonicNanoseconds()
            if burstStart != nil && now >= deadline {
                burstStart = nil
                // The snapshot is taken now, so that the safety poll reports only what inotify
                // missed later; what it finds now is reported with the burst (a change inotify
                // could not see may have happened since the last poll).
                let reported = Set(engine.finishBurst()).union(safety.poll())
                nextSafetyPoll = now + safetyNanoseconds
                if !reported.isEmpty { onChange(reported.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }) }
                continue
            }
            if burstStart == nil && now >= nextSafetyPoll {
                nextSafetyPoll = now + safetyNanoseconds
                try? engine.refreshWatches()
                let changed = safety.poll()
                if !changed.isEmpty { onChange(changed) }
                continue
            }
            let wait = burstStart == nil ? Self.stopCheckNanoseconds : min(deadline - now, Self.stopCheckNanoseconds)
            var descriptor = pollfd(fd: engine.fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(max(wait / 1_000_000, 1)))
            guard ready > 0 else { continue }
            if engine.readEvents() {
                let now = FileFingerprint.monotonicNanoseconds()
                let start = burstStart ?? now
                burstStart = start
                // Trailing debounce, capped so a never-ending stream of events still gets reported.
                deadline = min(now + debounceNanoseconds, start + 10 * debounceNanoseconds)
            }
        }
    }

    private static func runPolling(
        _ engine: PollingFileWatcher,
        intervalNanoseconds: Int,
        stop: StopFlag,
        onChange: @Sendable ([String]) -> Void
    ) {
        var engine = engine
        var next = FileFingerprint.monotonicNanoseconds() + intervalNanoseconds
        while !stop.isSet {
            let now = FileFingerprint.monotonicNanoseconds()
            if now >= next {
                next = now + intervalNanoseconds
                let changed = engine.poll()
                if !changed.isEmpty { onChange(changed) }
                continue
            }
            var pause = timespec(tv_sec: 0, tv_nsec: min(next - now, Self.stopCheckNanoseconds))
            nanosleep(&pause, nil)
        }
    }

    private static func nanoseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
    }
}
