import Glibc
import Synchronization

/// A dedicated POSIX thread that runs one closure and can be joined.
///
/// The service's helpers (decision log writer, signal watcher, file watcher) each own exactly one
/// such thread. They are plain pthreads, not Swift concurrency tasks, because their work blocks in
/// system calls (`write`, `sigtimedwait`, `poll`) and must never occupy a cooperative-pool or an
/// event-loop thread. A thread created here inherits the creating thread's signal mask.
final class BackgroundThread: Sendable {
    /// The pthread id, used to direct a signal at this thread (`pthread_kill`).
    let id: pthread_t

    private init(id: pthread_t) {
        self.id = id
    }

    /// Starts a thread named `name` (at most 15 bytes are kept) that runs `body`.
    ///
    /// - Throws: ``SystemCallError`` when `pthread_create` fails (resource limits).
    static func start(name: String, _ body: @escaping @Sendable () -> Void) throws -> BackgroundThread {
        let box = Unmanaged.passRetained(Body(name: name, run: body)).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(
            &tid, nil,
            { argument in
                let body = Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue()
                BackgroundThread.setCurrentName(body.name)
                body.run()
                return nil
            }, box)
        guard rc == 0 else {
            Unmanaged<Body>.fromOpaque(box).release()
            throw SystemCallError(function: "pthread_create", errno: rc)
        }
        return BackgroundThread(id: tid)
    }

    /// Waits for the thread to finish. Call exactly once, never from the thread itself.
    func join() {
        precondition(pthread_equal(self.id, pthread_self()) == 0, "a thread cannot join itself")
        _ = pthread_join(self.id, nil)
    }

    private final class Body: Sendable {
        let name: String
        let run: @Sendable () -> Void
        init(name: String, run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }

    private typealias SetName = @convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32

    /// Names the calling thread for `top -H` and core dumps.
    ///
    /// Glibc's Swift module does not export `pthread_setname_np` (a `_GNU_SOURCE` declaration), so
    /// the symbol is looked up at run time; without it the thread stays unnamed.
    private static func setCurrentName(_ name: String) {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pthread_setname_np") else { return }
        let setName = unsafeBitCast(symbol, to: SetName.self)
        let truncated = String(decoding: name.utf8.prefix(15), as: UTF8.self)
        _ = truncated.withCString { setName(pthread_self(), $0) }
    }
}

/// A one-way flag a controlling thread sets to ask a ``BackgroundThread`` to finish.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    /// Whether ``set()`` was called.
    var isSet: Bool { self.flag.load(ordering: .acquiring) }

    /// Raises the flag; returns `true` only for the first call.
    @discardableResult
    func set() -> Bool {
        !self.flag.exchange(true, ordering: .acquiringAndReleasing)
    }
}
