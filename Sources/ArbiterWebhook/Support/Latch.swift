import Glibc

/// A one-shot event that threads wait for, with an optional timeout.
///
/// Built on a pipe rather than a condition variable so that waiting is a plain `poll` that signal
/// delivery cannot corrupt, and so that setting it is async-signal-safe (one `write`). Once set it
/// stays set: every later ``wait(timeout:)`` returns at once.
public final class Latch: Sendable {
    private let readEnd: Int32
    private let writeEnd: Int32

    /// - Throws: ``SystemCallError`` when the process is out of descriptors.
    public init() throws {
        var pair: [Int32] = [-1, -1]
        // Glibc's Swift module has no `pipe2` (a GNU extension): set the flags afterwards.
        guard pipe(&pair) == 0 else {
            throw SystemCallError(function: "pipe", errno: errno)
        }
        for descriptor in pair {
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        }
        self.readEnd = pair[0]
        self.writeEnd = pair[1]
    }

    deinit {
        close(self.readEnd)
        close(self.writeEnd)
    }

    /// Sets the latch and wakes every waiter. Idempotent.
    public func set() {
        var byte: UInt8 = 1
        // A full pipe (set many times) already holds the state: EAGAIN is fine.
        _ = write(self.writeEnd, &byte, 1)
    }

    /// Whether ``set()`` was called.
    public var isSet: Bool { self.poll(milliseconds: 0) }

    /// Waits until the latch is set or `timeout` passes (forever when `nil`).
    ///
    /// - Returns: `true` if the latch is set.
    @discardableResult
    public func wait(timeout: Duration? = nil) -> Bool {
        guard let timeout else {
            while !self.poll(milliseconds: -1) {}
            return true
        }
        let (seconds, attoseconds) = timeout.components
        let total = max(0, seconds) &* 1000 &+ max(0, attoseconds) / 1_000_000_000_000_000
        return self.poll(milliseconds: Int32(clamping: total))
    }

    /// Polls the read end; the byte is never consumed, so the latch stays set.
    private func poll(milliseconds: Int32) -> Bool {
        var descriptor = pollfd(fd: self.readEnd, events: Int16(POLLIN), revents: 0)
        while true {
            let result = Glibc.poll(&descriptor, 1, milliseconds)
            if result >= 0 { return result > 0 }
            // EINTR: poll again (a timeout restarts; callers wait at least as long as asked).
            if errno != EINTR { return false }
        }
    }
}

/// Sends systemd watchdog pings from a thread of its own, only while the service is healthy.
///
/// systemd restarts a unit whose pings stop (`WatchdogSec=`). Pinging from a dedicated thread
/// and asking `isHealthy` first (typically "every event loop answered within a deadline") makes a
/// stuck loop stop the pings, which is the point of the watchdog.
public final class WatchdogPinger: Sendable {
    private let stopping: Latch
    private let thread: BackgroundThread

    /// Starts pinging every `interval` (systemd's guidance: half of `WATCHDOG_USEC`).
    ///
    /// - Throws: ``SystemCallError`` when the thread or its latch cannot be created.
    public init(
        every interval: Duration, isHealthy: @escaping @Sendable () -> Bool, ping: @escaping @Sendable () -> Void
    ) throws {
        let stopping = try Latch()
        self.stopping = stopping
        self.thread = try BackgroundThread.start(name: "arbiter-watchdog") {
            repeat {
                if isHealthy() { ping() }
            } while !stopping.wait(timeout: interval)
        }
    }

    /// Stops pinging and waits for the thread to end (at most one health check). Call once.
    public func stop() {
        self.stopping.set()
        self.thread.join()
    }
}
