import ArbiterPolicy
import Synchronization

/// An optional JSON Lines log of every decision, written by a dedicated thread that never blocks
/// the caller.
///
/// ``record(_:)`` applies the ``Filter`` and appends the entry to a bounded queue; when the queue
/// is full the entry is dropped and counted (``droppedCount`` and, if given,
/// `arbiter_decision_log_dropped_total`). A background thread takes the queued entries in batches,
/// serializes them with hand-written JSON escaping and writes them to standard output, standard
/// error or a file rotated by size. ``reopen()`` makes the writer reopen the file (SIGHUP after an
/// external logrotate). ``close()`` writes everything queued, then joins the thread.
///
/// Memory is bounded by `queueCapacity` entries plus one batch being written.
public final class DecisionLog: Sendable {
    /// Where lines go.
    public enum Destination: Sendable, Hashable {
        /// File descriptor 1.
        case standardOutput
        /// File descriptor 2 (journald under systemd).
        case standardError
        /// A file, rotated when the next line would make it exceed `maxBytes` (0: never), keeping
        /// `maxFiles` older files named `path.1` (newest) … `path.<maxFiles>`.
        case file(path: String, maxBytes: Int, maxFiles: Int)
    }

    /// Which decisions are logged.
    public enum Filter: Sendable, Hashable {
        /// Every decision.
        case all
        /// Only `deny` and `no_opinion` (what is needed when debugging a 403).
        case notAllowed
    }

    /// The log's settings.
    public struct Configuration: Sendable, Hashable {
        /// Where lines go.
        public var destination: Destination
        /// Which decisions are logged.
        public var filter: Filter
        /// The most entries waiting for the writer before new ones are dropped.
        public var queueCapacity: Int

        /// Creates a configuration.
        public init(destination: Destination, filter: Filter = .all, queueCapacity: Int = 16_384) {
            self.destination = destination
            self.filter = filter
            self.queueCapacity = queueCapacity
        }
    }

    /// The settings this log was started with.
    public let configuration: Configuration
    private let queue: DecisionLogQueue
    private let dropped: DroppedCounter
    private let metrics: WebhookMetrics?
    private let thread: Mutex<BackgroundThread?>

    /// Starts the writer thread (`arbiter-declog`).
    ///
    /// - Parameters:
    ///   - configuration: Destination, filter and queue size.
    ///   - metrics: Receives `arbiter_decision_log_dropped_total` counts.
    ///   - onWriteError: Called on the writer thread once per failure streak (open, write or rotate
    ///     failing), for example to log a warning.
    /// - Throws: ``SystemCallError`` if the thread cannot be created. A file that cannot be opened
    ///   is not an error here: its lines are dropped and the open is retried on every batch.
    public init(
        configuration: Configuration,
        metrics: WebhookMetrics? = nil,
        onWriteError: (@Sendable (SystemCallError) -> Void)? = nil
    ) throws {
        self.configuration = configuration
        self.queue = DecisionLogQueue(capacity: configuration.queueCapacity)
        self.dropped = DroppedCounter()
        self.metrics = metrics
        let queue = self.queue
        let dropped = self.dropped
        let destination = configuration.destination
        let thread = try BackgroundThread.start(name: "arbiter-declog") {
            Self.runWriter(queue: queue, destination: destination, metrics: metrics, dropped: dropped) {
                onWriteError?($0)
            }
        }
        self.thread = Mutex(thread)
    }

    deinit {
        self.close()
    }

    /// Queues `entry` for writing unless the filter excludes it. Never blocks on I/O.
    ///
    /// - Returns: `false` if the entry was dropped (queue full or log closed); `true` otherwise,
    ///   including when the filter skipped it.
    @discardableResult
    public func record(_ entry: DecisionLogEntry) -> Bool {
        if self.configuration.filter == .notAllowed && entry.decision == .allow { return true }
        guard self.queue.push(entry) else {
            self.dropped.add(1)
            self.metrics?.recordDecisionLogDropped(1)
            return false
        }
        return true
    }

    /// Entries dropped so far (queue full, log closed, or write failed).
    public var droppedCount: Int { self.dropped.value }

    /// Makes the writer close and reopen the file before its next write (for SIGHUP / logrotate).
    public func reopen() {
        self.queue.requestReopen()
    }

    /// Writes every queued entry, closes the file and joins the writer thread. Idempotent.
    public func close() {
        _ = self.queue.close()
        let thread = self.thread.withLock { thread in
            defer { thread = nil }
            return thread
        }
        thread?.join()
    }

    private static func runWriter(
        queue: DecisionLogQueue,
        destination: Destination,
        metrics: WebhookMetrics?,
        dropped: DroppedCounter,
        onWriteError: (SystemCallError) -> Void
    ) {
        var output = DecisionLogOutput(destination: destination)
        var batch: [DecisionLogEntry] = []
        var line = JSONLineWriter(capacity: 1024)
        var failing = false
        while true {
            let command = queue.take(into: &batch)
            if command.reopen { output.reopen() }
            if !batch.isEmpty {
                output.ensureOpen()
                for entry in batch {
                    line.bytes.removeAll(keepingCapacity: true)
                    entry.appendJSONLine(to: &line)
                    output.append(line: line.bytes[...])
                }
                output.flush()
                batch.removeAll(keepingCapacity: true)
            }
            let lost = output.takeDropped()
            if lost > 0 {
                dropped.add(lost)
                metrics?.recordDecisionLogDropped(lost)
            }
            if let error = output.takeError() {
                if !failing { onWriteError(error) }
                failing = true
            } else if lost == 0 {
                failing = false
            }
            if command.closing { break }
        }
        output.close()
    }
}

/// A shared atomic count of dropped entries.
final class DroppedCounter: Sendable {
    private let count = Atomic<Int>(0)

    func add(_ delta: Int) {
        self.count.wrappingAdd(delta, ordering: .relaxed)
    }

    var value: Int { self.count.load(ordering: .relaxed) }
}
