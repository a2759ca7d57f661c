import CArbiterLinux
import Glibc
import Synchronization

/// One thread's epoll loop: readiness events, timers and a task queue.
///
/// The model (NIO's `SelectableEventLoop`): a loop runs on exactly one thread, and everything
/// registered with it — sockets, timers, the objects that own them — is used only on that thread.
/// Nothing ever moves to another loop. The only ways in from other threads are ``execute(_:)``,
/// which queues a `@Sendable` closure and wakes the loop through an eventfd, and ``stop()``.
///
/// Timers live in a heap and bound the `epoll_wait` timeout, so a loop with nothing to do sleeps.
///
/// Optionally a busy loop polls before it sleeps (``busyPoll``): while events keep arriving soon
/// after the loop became idle, it checks for them without blocking (yielding the CPU between
/// checks to anything else runnable) instead of sleeping and being woken for each one. On a
/// virtual machine a sleep and a wake-up cost both sides several microseconds and add tens of
/// microseconds of latency; a client that waits for answers before it asks again (HTTP/2 with a
/// fixed number of streams in flight, as kube-apiserver's client does) pays that on every round
/// trip. The loop polls at most twice as long as its last round of work took, and only after gaps
/// it could have caught (``BusyPoller``): an idle or lightly loaded loop sleeps as before.
///
/// `@unchecked Sendable`: every stored property is either immutable, protected by ``tasks``, or
/// marked "loop thread only" and touched only from the loop thread (checked by preconditions on the
/// registration and timer APIs).
public final class EventLoop: @unchecked Sendable {
    /// Readiness bits for ``register(fd:interest:handler:)``.
    public enum Interest {
        public static let readable = CArbiterLinux_EPOLLIN
        public static let writable = CArbiterLinux_EPOLLOUT
        public static let error = CArbiterLinux_EPOLLERR
        public static let hangup = CArbiterLinux_EPOLLHUP
        public static let readHangup = CArbiterLinux_EPOLLRDHUP
        public static let exclusive = CArbiterLinux_EPOLLEXCLUSIVE
    }

    /// An opaque handle to a registration, needed to modify or remove it.
    public struct Registration: Hashable, Sendable {
        fileprivate var token: UInt64
        public let fd: Int32
    }

    /// An opaque handle to a scheduled timer.
    public struct TimerID: Hashable, Sendable {
        fileprivate var id: UInt64
    }

    /// A stable index of this loop in its group (for logs and metrics).
    public let index: Int

    private let epollFD: Int32
    private let wakeFD: Int32
    private static let wakeToken: UInt64 = 0

    private struct Tasks {
        var queue: [@Sendable () -> Void] = []
        var stopRequested = false
    }

    /// Cross-thread work; the only mutable state shared between threads.
    private let tasks = LockedValue(Tasks())

    // loop thread only
    private var handlers: [UInt64: any EventHandler] = [:]
    // loop thread only
    private var nextToken: UInt64 = 1
    // loop thread only
    private var timers = TimerHeap()
    /// The longest the loop polls for events before it sleeps; `.zero` never polls.
    public let busyPoll: Duration
    // Set once by `run()` before any event is handled; read by `inEventLoop` from any thread.
    private let thread = Atomic<UInt>(0)  // Atomic: only a store-once word, no data behind it

    /// Creates a loop; call ``run()`` on the thread that will own it.
    ///
    /// - Parameter busyPoll: The longest the loop polls for events before sleeping (see the
    ///   type's description); `.zero` (the default) never polls.
    public init(index: Int = 0, busyPoll: Duration = .zero) throws(SystemError) {
        self.index = index
        self.busyPoll = max(.zero, busyPoll)
        self.epollFD = try Posix.epollCreate()
        do {
            self.wakeFD = try Posix.eventFD()
            try Posix.epollControl(
                self.epollFD, operation: CArbiterLinux_EPOLL_CTL_ADD, fd: self.wakeFD,
                events: Interest.readable, token: Self.wakeToken)
        } catch {
            Posix.close(self.epollFD)
            throw error
        }
    }

    deinit {
        Posix.close(self.wakeFD)
        Posix.close(self.epollFD)
    }

    /// True when called on this loop's thread.
    public var inEventLoop: Bool {
        let owner = self.thread.load(ordering: .acquiring)
        return owner != 0 && owner == UInt(pthread_self())
    }

    // MARK: - Cross-thread entry points

    /// Runs `task` on the loop thread, soon. Safe from any thread.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        let wasEmpty = self.tasks.withLock { tasks in
            tasks.queue.append(task)
            return tasks.queue.count == 1
        }
        if wasEmpty { self.wake() }
    }

    /// Asks ``run()`` to return after the current iteration. Safe from any thread.
    public func stop() {
        self.tasks.withLock { $0.stopRequested = true }
        self.wake()
    }

    private func wake() {
        var one: UInt64 = 1
        // EAGAIN means the counter is already non-zero: the loop is awake anyway.
        _ = try? withUnsafeBytes(of: &one) { bytes throws(SystemError) in try Posix.write(self.wakeFD, bytes) }
    }

    // MARK: - Registrations (loop thread only)

    /// Registers `fd` for `interest` (``Interest`` bits) and returns the handle to change it.
    public func register(fd: Int32, interest: UInt32, handler: any EventHandler) throws(SystemError) -> Registration {
        precondition(self.inEventLoop, "EventLoop.register called off its loop thread")
        let token = self.nextToken
        self.nextToken &+= 1
        try Posix.epollControl(self.epollFD, operation: CArbiterLinux_EPOLL_CTL_ADD, fd: fd, events: interest, token: token)
        self.handlers[token] = handler
        return Registration(token: token, fd: fd)
    }

    /// Changes the interest of a registration.
    public func modify(_ registration: Registration, interest: UInt32) throws(SystemError) {
        precondition(self.inEventLoop, "EventLoop.modify called off its loop thread")
        try Posix.epollControl(
            self.epollFD, operation: CArbiterLinux_EPOLL_CTL_MOD, fd: registration.fd, events: interest,
            token: registration.token)
    }

    /// Removes a registration; call before closing the descriptor. Pending events for it are dropped.
    ///
    /// - Parameter descriptorClosing: the caller closes the descriptor right after this call and
    ///   holds its only reference (no `dup`, no fork), so closing removes it from the epoll set and
    ///   the `EPOLL_CTL_DEL` system call is skipped. Events already collected for it in this
    ///   iteration are dropped either way (the handler is gone).
    public func deregister(_ registration: Registration, descriptorClosing: Bool = false) {
        precondition(self.inEventLoop, "EventLoop.deregister called off its loop thread")
        self.handlers[registration.token] = nil
        if descriptorClosing { return }
        _ = try? Posix.epollControl(
            self.epollFD, operation: CArbiterLinux_EPOLL_CTL_DEL, fd: registration.fd, events: 0, token: 0)
    }

    // MARK: - Timers (loop thread only)

    /// Calls `callback` on the loop thread at or after `deadline`.
    @discardableResult
    public func scheduleTimer(at deadline: ContinuousClock.Instant, _ callback: @escaping () -> Void) -> TimerID {
        precondition(self.inEventLoop, "EventLoop.scheduleTimer called off its loop thread")
        return TimerID(id: self.timers.schedule(at: deadline, callback))
    }

    /// Cancels a timer that has not fired yet.
    public func cancelTimer(_ timer: TimerID) {
        precondition(self.inEventLoop, "EventLoop.cancelTimer called off its loop thread")
        self.timers.cancel(timer.id)
    }

    // MARK: - Running

    /// Runs the loop on the calling thread until ``stop()``; the thread then owns the loop.
    ///
    /// On return every timer has been dropped; registered handlers are left as they are (their
    /// owners close them during shutdown, through ``execute(_:)``, before stopping the loop).
    public func run() {
        self.thread.store(UInt(pthread_self()), ordering: .releasing)
        let capacity = 256
        var tokens = [UInt64](repeating: 0, count: capacity)
        var events = [UInt32](repeating: 0, count: capacity)
        var poller = BusyPoller(budget: self.busyPoll)
        while true {
            let (queued, stop) = self.tasks.withLock { tasks in
                let queued = tasks.queue
                tasks.queue.removeAll(keepingCapacity: true)
                return (queued, tasks.stopRequested)
            }
            for task in queued { task() }
            if stop && queued.isEmpty { break }

            var timeout = queued.isEmpty ? self.epollTimeout() : 0
            // The clock is read only while a poll window is open.
            let polling = timeout != 0 && poller.pollUntil != nil && poller.shouldPoll(now: .now)
            if polling { timeout = 0 }
            let count = tokens.withUnsafeMutableBufferPointer { tokenBuffer in
                events.withUnsafeMutableBufferPointer { eventBuffer in
                    CArbiterLinux_epoll_wait(
                        self.epollFD, tokenBuffer.baseAddress, eventBuffer.baseAddress, Int32(capacity), timeout)
                }
            }
            if count < 0 {
                precondition(errno == EINTR, "epoll_wait failed: errno \(errno)")
                continue
            }
            if poller.isEnabled {
                if count > 0 {
                    poller.eventsArrived(now: .now)
                } else if polling {
                    // Nothing yet: let anything else runnable on this CPU have it before polling again.
                    sched_yield()
                }
            }
            for i in 0..<Int(count) {
                if tokens[i] == Self.wakeToken {
                    var value: UInt64 = 0
                    _ = try? withUnsafeMutableBytes(of: &value) { bytes throws(SystemError) in
                        try Posix.read(self.wakeFD, bytes)
                    }
                    continue
                }
                // A handler closed earlier in this batch has been removed: its events are dropped.
                self.handlers[tokens[i]]?.handleEvents(events[i])
            }
            self.runDueTimers()
            if count > 0 && poller.isEnabled { poller.becameIdle(now: .now) }
        }
        self.timers.removeAll()
    }

    private func runDueTimers() {
        let now = ContinuousClock.now
        for callback in self.timers.popDue(now: now) { callback() }
    }

    /// Milliseconds until the next timer, rounded up; -1 without timers.
    private func epollTimeout() -> Int32 {
        guard let deadline = self.timers.nextDeadline() else { return -1 }
        let remaining = ContinuousClock.now.duration(to: deadline)
        if remaining <= .zero { return 0 }
        let (seconds, attoseconds) = remaining.components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: milliseconds)
    }
}

/// When an ``EventLoop`` polls instead of sleeping.
///
/// After a round of work the loop may poll for up to its *allowance*: twice as long as that round
/// took, at most `budget`. It does so only if the events of that round came within the previous
/// allowance of the loop becoming idle, that is, if polling would have caught them. So polling
/// never costs more than twice the loop's own work, happens only while the loop is busy a third
/// of the time or more, and stops at the first gap it could not have caught.
///
/// Loop thread only; pure logic over the instants it is given (``EventLoop`` passes the clock).
struct BusyPoller {
    let budget: Duration
    /// When the latest round of work started (events returned by a wait).
    private var workStarted: ContinuousClock.Instant?
    /// When the loop last finished handling events.
    private var idleSince: ContinuousClock.Instant?
    /// How long a gap after `idleSince` polling covers.
    private var allowance: Duration = .zero
    /// Polling until this instant; `nil` when the next wait blocks.
    private(set) var pollUntil: ContinuousClock.Instant?
    /// The latest events came within the allowance of `idleSince`.
    private var caught = false

    init(budget: Duration) {
        self.budget = max(.zero, budget)
    }

    /// True when polling is configured at all (otherwise no clock needs reading).
    var isEnabled: Bool { self.budget > .zero }

    /// True when the next wait should not block.
    mutating func shouldPoll(now: ContinuousClock.Instant) -> Bool {
        guard let until = self.pollUntil else { return false }
        if now < until { return true }
        self.pollUntil = nil
        return false
    }

    /// A wait returned events at `now`.
    mutating func eventsArrived(now: ContinuousClock.Instant) {
        self.caught = self.idleSince.map { now - $0 <= self.allowance } ?? false
        self.workStarted = now
    }

    /// The loop handled those events at `now` and is about to wait again.
    mutating func becameIdle(now: ContinuousClock.Instant) {
        let work = self.workStarted.map { now - $0 } ?? .zero
        self.allowance = min(self.budget, work * 2)
        self.idleSince = now
        self.pollUntil = self.caught && self.allowance > .zero ? now + self.allowance : nil
    }
}
