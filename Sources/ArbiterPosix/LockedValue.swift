import Glibc

/// A value protected by a `pthread_mutex_t`.
///
/// Used instead of `Synchronization.Mutex` for state shared between loop threads and other
/// threads: on Linux, `Mutex` locks with raw futex calls inside the uninstrumented standard library,
/// so ThreadSanitizer cannot see its happens-before edges and reports false races. A pthread mutex is
/// intercepted by TSan, which keeps `swift test --sanitize=thread` meaningful (NIO's `NIOLock` does
/// the same).
///
/// `@unchecked Sendable`: ``value`` is only reachable through ``withLock(_:)``.
public final class LockedValue<Value>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var value: Value  // protected by mutex

    public init(_ value: Value) {
        self.value = value
        pthread_mutex_init(self.mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(self.mutex)
        self.mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    public func withLock<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        pthread_mutex_lock(self.mutex)
        defer { pthread_mutex_unlock(self.mutex) }
        return try body(&self.value)
    }
}
