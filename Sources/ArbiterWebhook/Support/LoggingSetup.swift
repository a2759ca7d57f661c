public import Logging
import Synchronization

/// The operational log's line format (`log.format` / `--log-format`).
public enum LogFormat: String, Sendable, Hashable, CaseIterable {
    /// `key=value` pairs, see ``LogfmtLogHandler``.
    case logfmt
    /// One JSON object per line, see ``JSONLogHandler``.
    case json
}

/// Installs Arbiter's log handlers into swift-log, once per process.
///
/// `LoggingSystem.bootstrap` traps when called twice, so ``bootstrap(format:level:sink:)`` guards
/// it: the first call installs the handlers and returns `true`, later calls do nothing and return
/// `false`. Call it from `main` before starting any thread that logs; a level change on reload
/// needs new `Logger` values (swift-log levels live in each handler copy).
public enum LoggingSetup {
    private static let bootstrapped = Atomic<Bool>(false)

    /// Bootstraps swift-log with handlers of `format` at `level` writing to `sink`.
    ///
    /// - Returns: `true` if this call bootstrapped the logging system.
    @discardableResult
    public static func bootstrap(format: LogFormat, level: Logger.Level, sink: LogSink = .standardError) -> Bool {
        guard self.bootstrapped.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return false }
        LoggingSystem.bootstrap { label in
            Self.makeHandler(label: label, format: format, level: level, sink: sink)
        }
        return true
    }

    /// A handler of `format` for `label`, without touching the global logging system (tests, tools).
    public static func makeHandler(
        label: String,
        format: LogFormat,
        level: Logger.Level,
        sink: LogSink = .standardError
    ) -> any LogHandler {
        switch format {
        case .logfmt: LogfmtLogHandler(label: label, logLevel: level, sink: sink)
        case .json: JSONLogHandler(label: label, logLevel: level, sink: sink)
        }
    }
}
