import Glibc
import Synchronization

/// The bounded hand-off between request threads and the decision log's writer thread.
///
/// Producers lock a pthread mutex for an array append (no allocation once the array has grown to
/// its capacity, no system call unless the writer sleeps), so ``push(_:)`` never waits for I/O. The
/// writer swaps the whole pending array out in ``take(into:)``, so it holds the lock only for the
/// swap and producers and the writer alternate between two buffers.
final class DecisionLogQueue: @unchecked Sendable {
    /// What the writer must do after ``take(into:)`` returns.
    struct Command {
        /// Reopen the file before writing (``DecisionLog/reopen()`` was called).
        var reopen: Bool
        /// The log is closing: write what was taken, then exit.
        var closing: Bool
    }

    // INVARIANT (mutex-guarded): `mutex` and `condition` are allocated once in `init` and freed in
    // `deinit`; every `var` below is read and written only while `mutex` is held. That is the
    // whole reason this class may be `@unchecked Sendable`.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var pending: [DecisionLogEntry] = []  // protected by mutex
    private var writerWaiting = false  // protected by mutex
    private var closing = false  // protected by mutex
    private var reopenRequested = false  // protected by mutex

    /// The most entries that may wait for the writer.
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        self.mutex = .allocate(capacity: 1)
        self.mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(self.mutex, nil)
        self.condition = .allocate(capacity: 1)
        self.condition.initialize(to: pthread_cond_t())
        pthread_cond_init(self.condition, nil)
        self.pending.reserveCapacity(min(self.capacity, 4096))
    }

    deinit {
        pthread_cond_destroy(self.condition)
        pthread_mutex_destroy(self.mutex)
        self.condition.deallocate()
        self.mutex.deallocate()
    }

    /// Enqueues `entry`; returns `false` (and drops it) when the queue is full or closing.
    func push(_ entry: DecisionLogEntry) -> Bool {
        pthread_mutex_lock(self.mutex)
        guard !self.closing, self.pending.count < self.capacity else {
            pthread_mutex_unlock(self.mutex)
            return false
        }
        self.pending.append(entry)
        let wake = self.writerWaiting
        pthread_mutex_unlock(self.mutex)
        if wake { pthread_cond_signal(self.condition) }
        return true
    }

    /// Asks the writer to reopen its file.
    func requestReopen() {
        pthread_mutex_lock(self.mutex)
        self.reopenRequested = true
        pthread_mutex_unlock(self.mutex)
        pthread_cond_signal(self.condition)
    }

    /// Stops accepting entries and wakes the writer; returns `false` if already closing.
    func close() -> Bool {
        pthread_mutex_lock(self.mutex)
        let first = !self.closing
        self.closing = true
        pthread_mutex_unlock(self.mutex)
        pthread_cond_signal(self.condition)
        return first
    }

    /// Writer side: waits for work, then swaps the pending entries into `batch` (which must be empty).
    func take(into batch: inout [DecisionLogEntry]) -> Command {
        pthread_mutex_lock(self.mutex)
        while self.pending.isEmpty && !self.closing && !self.reopenRequested {
            self.writerWaiting = true
            pthread_cond_wait(self.condition, self.mutex)
            self.writerWaiting = false
        }
        swap(&batch, &self.pending)
        let command = Command(reopen: self.reopenRequested, closing: self.closing)
        self.reopenRequested = false
        pthread_mutex_unlock(self.mutex)
        return command
    }
}
