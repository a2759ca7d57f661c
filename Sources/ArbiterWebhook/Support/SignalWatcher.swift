import Glibc
import Synchronization

/// Receives SIGHUP, SIGTERM and SIGINT on one dedicated thread and hands them to a callback.
///
/// Signal handlers may only call async-signal-safe functions, so Arbiter never installs any.
/// Instead the signals are *blocked* in every thread and collected synchronously with
/// `sigtimedwait` on the watcher's own thread, where the callback may lock, log and start a reload.
///
/// For that to work the signals must be blocked in **every** thread of the process, otherwise the
/// kernel delivers a process-directed signal to a thread that has it unblocked and the default
/// action (terminate) runs. Threads inherit the mask of their creator, so call
/// ``blockSignals(_:)`` first thing in `main`, before starting event loops, the decision log or
/// any other thread. It also sets SIGPIPE to ignored (the TLS socket BIO uses `write`).
public final class SignalWatcher: Sendable {
    /// The signals `arbiter serve` handles: SIGHUP (reload), SIGTERM and SIGINT (drain and stop).
    public static let serviceSignals: [Int32] = [SIGHUP, SIGTERM, SIGINT]

    /// The signals this watcher waits for.
    public let signals: [Int32]
    private let stopFlag = StopFlag()
    private let thread: Mutex<BackgroundThread?>
    let threadID: pthread_t

    /// Blocks `signals` in the calling thread (and so in every thread it creates later) and
    /// ignores SIGPIPE for the whole process.
    ///
    /// - Throws: ``SystemCallError`` if `pthread_sigmask` fails (only for invalid signals).
    public static func blockSignals(_ signals: [Int32] = serviceSignals) throws {
        var set = Self.signalSet(signals)
        let rc = pthread_sigmask(SIG_BLOCK, &set, nil)
        guard rc == 0 else { throw SystemCallError(function: "pthread_sigmask", errno: rc) }
        _ = signal(SIGPIPE, SIG_IGN)
    }

    /// Starts the watcher thread (`arbiter-signals`).
    ///
    /// The thread blocks `signals` for itself too, so directing a signal at it always works, but
    /// process-directed signals are only reliable after ``blockSignals(_:)`` ran in `main`.
    ///
    /// - Parameters:
    ///   - signals: The signals to wait for.
    ///   - pollInterval: How often the thread checks whether ``stop()`` was called; bounds the time
    ///     ``stop()`` waits.
    ///   - handler: Called on the watcher thread with each signal number, one at a time.
    /// - Throws: ``SystemCallError`` if the thread cannot be created.
    public init(
        signals: [Int32] = serviceSignals,
        pollInterval: Duration = .milliseconds(200),
        handler: @escaping @Sendable (Int32) -> Void
    ) throws {
        self.signals = signals
        let stopFlag = self.stopFlag
        let timeoutNanoseconds = max(Int(pollInterval.components.seconds) * 1_000_000_000
            + Int(pollInterval.components.attoseconds / 1_000_000_000), 1_000_000)
        // The new thread must have the signals blocked from its first instruction (a signal
        // directed at it before it blocks them itself would run the default action and kill the
        // process), so block them here while creating it: threads inherit their creator's mask.
        var blocked = Self.signalSet(signals)
        var previous = sigset_t()
        _ = pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        defer { _ = pthread_sigmask(SIG_SETMASK, &previous, nil) }
        let thread = try BackgroundThread.start(name: "arbiter-signals") {
            var set = Self.signalSet(signals)
            var timeout = timespec(
                tv_sec: timeoutNanoseconds / 1_000_000_000, tv_nsec: timeoutNanoseconds % 1_000_000_000)
            while !stopFlag.isSet {
                let received = sigtimedwait(&set, nil, &timeout)
                // -1 with EAGAIN is the poll timeout and EINTR an interruption: look at the flag again.
                if received > 0 && !stopFlag.isSet { handler(received) }
            }
        }
        self.threadID = thread.id
        self.thread = Mutex(thread)
    }

    deinit {
        self.stop()
    }

    /// Ends the watcher thread and waits for it (at most about one poll interval). Idempotent.
    ///
    /// The signals stay blocked: one arriving while or after the watcher stops is discarded or
    /// left pending, never fatal.
    public func stop() {
        self.stopFlag.set()
        let thread = self.thread.withLock { thread in
            defer { thread = nil }
            return thread
        }
        thread?.join()
    }

    /// The conventional name of `signal`, for logs: `SIGHUP`, `SIGTERM`, `SIGINT`, or `signal 10`.
    public static func name(of signal: Int32) -> String {
        switch signal {
        case SIGHUP: "SIGHUP"
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGQUIT: "SIGQUIT"
        case SIGUSR1: "SIGUSR1"
        case SIGUSR2: "SIGUSR2"
        default: "signal \(signal)"
        }
    }

    private static func signalSet(_ signals: [Int32]) -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        return set
    }
}
