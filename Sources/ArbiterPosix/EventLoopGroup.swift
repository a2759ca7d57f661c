import Glibc

/// A fixed set of ``EventLoop``s, each running on its own pthread.
///
/// Threads are plain pthreads (not `Foundation.Thread`, which hides races from TSan). The group is
/// started once and shut down once; ``shutdown()`` stops every loop and joins its thread.
public final class EventLoopGroup: Sendable {
    /// The loops, in thread order.
    public let loops: [EventLoop]
    private let threads = LockedValue<[pthread_t]>([])

    /// Creates `count` loops (default: the number of online cores) and starts their threads.
    ///
    /// - Parameter busyPoll: Each loop's ``EventLoop/busyPoll``.
    public init(count: Int? = nil, busyPoll: Duration = .zero) throws(SystemError) {
        let resolved = max(1, count ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        var loops: [EventLoop] = []
        for index in 0..<resolved {
            loops.append(try EventLoop(index: index, busyPoll: busyPoll))
        }
        self.loops = loops
        var threads: [pthread_t] = []
        for loop in loops {
            do {
                threads.append(try Self.startThread(running: loop))
            } catch {
                // Stop and join what already runs, so a failed start leaves no thread behind.
                for started in loops.prefix(threads.count) { started.stop() }
                for thread in threads { pthread_join(thread, nil) }
                throw error
            }
        }
        self.threads.withLock { $0 = threads }
        // Wait until every loop owns its thread, so `inEventLoop` is meaningful from now on.
        for loop in loops {
            let ready = BlockingSemaphore()
            loop.execute { ready.signal() }
            ready.wait()
        }
    }

    /// Stops every loop and joins its thread. Call from outside the loops; idempotent.
    public func shutdown() {
        precondition(!self.loops.contains { $0.inEventLoop }, "EventLoopGroup.shutdown called on a loop thread")
        for loop in self.loops { loop.stop() }
        let threads = self.threads.withLock { threads in
            defer { threads.removeAll() }
            return threads
        }
        for thread in threads { pthread_join(thread, nil) }
    }

    private static func startThread(running loop: EventLoop) throws(SystemError) -> pthread_t {
        let box = Unmanaged.passRetained(loop).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { argument in
                let loop = Unmanaged<EventLoop>.fromOpaque(argument!).takeRetainedValue()
                loop.run()
                return nil
            }, box)
        guard result == 0 else {
            Unmanaged<EventLoop>.fromOpaque(box).release()
            throw SystemError(errno: result, function: "pthread_create")
        }
        return thread
    }
}

/// A counting semaphore over a mutex and a condition variable, for the few places that block a
/// non-loop thread (start-up and shutdown handshakes).
public final class BlockingSemaphore: @unchecked Sendable {
    // `@unchecked`: the pthread objects are only used through the pthread API, which is thread-safe.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var count = 0  // protected by mutex

    public init() {
        pthread_mutex_init(self.mutex, nil)
        pthread_cond_init(self.condition, nil)
    }

    deinit {
        pthread_cond_destroy(self.condition)
        pthread_mutex_destroy(self.mutex)
        self.condition.deallocate()
        self.mutex.deallocate()
    }

    public func signal() {
        pthread_mutex_lock(self.mutex)
        self.count += 1
        pthread_cond_signal(self.condition)
        pthread_mutex_unlock(self.mutex)
    }

    public func wait() {
        pthread_mutex_lock(self.mutex)
        while self.count == 0 { pthread_cond_wait(self.condition, self.mutex) }
        self.count -= 1
        pthread_mutex_unlock(self.mutex)
    }

    /// Waits at most `seconds`; returns false on timeout.
    public func wait(seconds: Double) -> Bool {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let nanos = Int(deadline.tv_nsec) + Int((seconds - seconds.rounded(.down)) * 1e9)
        deadline.tv_sec += Int(seconds.rounded(.down)) + nanos / 1_000_000_000
        deadline.tv_nsec = nanos % 1_000_000_000
        pthread_mutex_lock(self.mutex)
        defer { pthread_mutex_unlock(self.mutex) }
        while self.count == 0 {
            if pthread_cond_timedwait(self.condition, self.mutex, &deadline) == ETIMEDOUT { return false }
        }
        self.count -= 1
        return true
    }
}
