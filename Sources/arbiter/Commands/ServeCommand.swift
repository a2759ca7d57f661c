import ArbiterPolicy
import ArbiterWebhook
import ArgumentParser
import Glibc
import Logging
import Synchronization

/// `arbiter serve`: the webhook service.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the authorization webhook (HTTPS, mutual TLS, HTTP/1.1 and HTTP/2).",
        discussion: """
            Reads --config (see Deploy/config.example.yaml) and applies the flags on top; a repeatable \
            flag given once replaces the file's list. SIGHUP reloads policies and certificates (a bad \
            one keeps the old); SIGTERM or SIGINT drains in-flight requests and exits. kube-apiserver \
            posts to the --authorize-path; client-go callers use \
            /apis/authorization.k8s.io/v1/subjectaccessreviews.
            """)

    @Option(help: ArgumentHelp("The configuration file.", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("Address to listen on (host:port, [::1]:port). Repeat for several.", valueName: "address"))
    var listen: [String] = []

    @Option(
        help: ArgumentHelp(
            "Also answer /healthz, /livez and /readyz over plain HTTP on this loopback address (for probes without a client certificate).",
            valueName: "address"))
    var healthListen: String?

    @Option(help: ArgumentHelp("Server certificate chain (PEM).", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("Server private key (PEM).", valueName: "file"))
    var tlsKey: String?

    @Option(help: ArgumentHelp("CA bundle that signs client certificates (PEM).", valueName: "file"))
    var clientCA: String?

    @Option(help: ArgumentHelp("RequireAndVerifyClientCert (default) or VerifyClientCertIfGiven.", valueName: "mode"))
    var clientAuth: String?

    @Option(name: [.customLong("policy"), .customShort("p")], help: ArgumentHelp("Policy file or directory. Repeat for several.", valueName: "path"))
    var policies: [String] = []

    @Option(help: ArgumentHelp("A candidate policy evaluated next to the live one, never affecting answers. Repeatable.", valueName: "path"))
    var shadowPolicy: [String] = []

    @Option(help: ArgumentHelp("NoOpinion (default) or Deny: the answer when nothing allows or denies.", valueName: "decision"))
    var defaultDecision: PolicyOptions.DefaultDecision?

    @Option(help: ArgumentHelp("Certificate CN allowed to ask about other users. Repeatable.", valueName: "cn"))
    var caller: [String] = []

    @Option(help: ArgumentHelp("Certificate O allowed to ask about other users. Repeatable.", valueName: "o"))
    var callerGroup: [String] = []

    @Option(help: ArgumentHelp("Certificate CN allowed to read /metrics. Repeatable.", valueName: "cn"))
    var metricsReader: [String] = []

    @Option(help: ArgumentHelp("The path kube-apiserver posts to (its kubeconfig server URL's path).", valueName: "path"))
    var authorizePath: String?

    @Option(help: ArgumentHelp("Loop threads (0: one per CPU).", valueName: "n"))
    var threads: Int?

    @Option(
        help: ArgumentHelp(
            "Under load, how long a loop thread polls for the next request before sleeping (e.g. 200us; 0s: never).",
            valueName: "duration"))
    var busyPoll: String?

    @Option(help: ArgumentHelp("Most concurrent connections served before fast 503s.", valueName: "n"))
    var maxConnections: Int?

    @Option(help: ArgumentHelp("Largest request body in bytes.", valueName: "bytes"))
    var maxRequestBody: Int?

    @Option(help: ArgumentHelp("Drain time on SIGTERM (e.g. 20s).", valueName: "duration"))
    var shutdownGrace: String?

    @Option(help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "level"))
    var logLevel: String?

    @Option(help: ArgumentHelp("logfmt or json.", valueName: "format"))
    var logFormat: String?

    @Option(help: ArgumentHelp("Decision log: a file, or - for standard output.", valueName: "path"))
    var decisionLog: String?

    @Flag(help: "Accept a policy whose Deny would hit control-plane identities or health paths.")
    var allowLockout = false

    @Flag(inversion: .prefixedNo, help: "Reload when policy or TLS files change (besides SIGHUP).")
    var watch = true

    /// Flag values are usage errors (exit 64, with `serve`'s usage); what the configuration file
    /// or the combination lacks is a failed start (exit 1, see ``run()``).
    func validate() throws {
        if let clientAuth, ServerConfiguration.ClientAuth(rawValue: clientAuth) == nil {
            throw ValidationError("--client-auth must be RequireAndVerifyClientCert or VerifyClientCertIfGiven")
        }
        if let logFormat, LogFormat(rawValue: logFormat) == nil {
            throw ValidationError("--log-format must be logfmt or json")
        }
        if let shutdownGrace { _ = try Self.duration(shutdownGrace, flag: "--shutdown-grace") }
        // The other flags' values are checked by the rules of their configuration keys, on a
        // configuration holding those flags alone.
        var probe = ServerConfiguration()
        var flags: [String: String] = [:]  // configuration key → flag
        if !listen.isEmpty { probe.listen = listen; flags["listen"] = "--listen" }
        if let healthListen { probe.healthListen = healthListen; flags["healthListen"] = "--health-listen" }
        if let authorizePath { probe.authorizePath = authorizePath; flags["authorizePath"] = "--authorize-path" }
        if let busyPoll { probe.busyPoll = try Self.duration(busyPoll, flag: "--busy-poll"); flags["busyPoll"] = "--busy-poll" }
        if let maxRequestBody { probe.maxRequestBodyBytes = maxRequestBody; flags["limits.maxRequestBodyBytes"] = "--max-request-body" }
        if let maxConnections { probe.maxConnections = maxConnections; flags["limits.maxConnections"] = "--max-connections" }
        if let logLevel { probe.logLevel = logLevel; flags["log.level"] = "--log-level" }
        let problems = probe.keyedProblems().compactMap { problem in flags[problem.key].map { "\($0): \(problem.message)" } }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    func resolvedConfiguration() throws -> ServerConfiguration {
        var configuration = ServerConfiguration()
        if let config {
            do {
                configuration = try ServerConfiguration.load(file: config)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        if !listen.isEmpty { configuration.listen = listen }
        if let healthListen { configuration.healthListen = healthListen }
        if let tlsCert { configuration.tlsCert = tlsCert }
        if let tlsKey { configuration.tlsKey = tlsKey }
        if let clientCA { configuration.clientCA = clientCA }
        if let clientAuth {
            guard let mode = ServerConfiguration.ClientAuth(rawValue: clientAuth) else {
                throw ValidationError("--client-auth must be RequireAndVerifyClientCert or VerifyClientCertIfGiven")
            }
            configuration.clientAuth = mode
        }
        if !policies.isEmpty { configuration.policies = policies }
        if !shadowPolicy.isEmpty { configuration.shadowPolicies = shadowPolicy }
        if let defaultDecision { configuration.defaultDecision = defaultDecision.decision }
        if !caller.isEmpty { configuration.callers.users = caller }
        if !callerGroup.isEmpty { configuration.callers.groups = callerGroup }
        if !metricsReader.isEmpty { configuration.metricsReaders.users = metricsReader }
        if let authorizePath { configuration.authorizePath = authorizePath }
        if let threads { configuration.threads = threads }
        if let busyPoll { configuration.busyPoll = try Self.duration(busyPoll, flag: "--busy-poll") }
        if let maxConnections { configuration.maxConnections = maxConnections }
        if let maxRequestBody { configuration.maxRequestBodyBytes = maxRequestBody }
        if let shutdownGrace { configuration.shutdownGrace = try Self.duration(shutdownGrace, flag: "--shutdown-grace") }
        if let logLevel { configuration.logLevel = logLevel }
        if let logFormat {
            guard let format = LogFormat(rawValue: logFormat) else {
                throw ValidationError("--log-format must be logfmt or json")
            }
            configuration.logFormat = format
        }
        if let decisionLog { configuration.decisionLogPath = decisionLog }
        if allowLockout { configuration.allowLockout = true }
        configuration.watchFiles = watch
        let problems = configuration.problems()
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
        return configuration
    }

    /// A Go-style duration given to `flag`, or a usage error naming the flag.
    private static func duration(_ text: String, flag: String) throws -> Duration {
        do {
            return try ServerConfiguration.parseDuration(text)
        } catch {
            throw ValidationError("\(flag): \(error.message)")
        }
    }

    func run() throws {
        let configuration: ServerConfiguration
        do {
            configuration = try resolvedConfiguration()
        } catch let error as ValidationError {
            // Thrown from `run`, the parser would follow it with the root command's usage; the
            // problems (a file, a value) are the whole message. Exit 1, as any failed start.
            for line in error.message.split(separator: "\n") { Console.error(String(line)) }
            Console.note("See 'arbiter serve --help' and Deploy/config.example.yaml.")
            throw ExitCode(1)
        }
        // Signals go to one watcher thread: block them before any other thread starts, so that
        // every thread inherits the mask (and SIGPIPE is ignored).
        try SignalWatcher.blockSignals()
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        _ = LoggingSetup.bootstrap(format: configuration.logFormat, level: level)
        let logger = {
            var logger = Logger(label: "arbiter")
            logger.logLevel = level
            return logger
        }()

        let metrics = WebhookMetrics()
        var openedLog: DecisionLog? = nil
        if !configuration.decisionLogPath.isEmpty {
            let destination: DecisionLog.Destination =
                configuration.decisionLogPath == "-"
                ? .standardOutput
                : .file(
                    path: configuration.decisionLogPath, maxBytes: configuration.decisionLogMaxSize,
                    maxFiles: configuration.decisionLogMaxFiles)
            do {
                openedLog = try DecisionLog(
                    configuration: .init(destination: destination, filter: configuration.decisionLogInclude == .all ? .all : .notAllowed),
                    metrics: metrics,
                    onWriteError: { error in logger.error("decision log write failed", metadata: ["error": "\(error)"]) })
            } catch {
                Console.error("cannot open the decision log `\(configuration.decisionLogPath)`: \(error)")
                throw ExitCode(1)
            }
        }
        let decisionLog = openedLog
        let server = WebhookServer(configuration: configuration, logger: logger, metrics: metrics, decisionLog: decisionLog)
        let notifier = SystemdNotifier()

        // SIGHUP re-reads the configuration file (and applies the flags on top again); a file
        // change reloads the policies and TLS files with the configuration in force.
        let command = self
        let watcher = WatcherSlot(logger: logger)  // files
        let reload: @Sendable (String, Bool) -> Void = { why, rereadConfiguration in
            logger.info("reloading", metadata: ["trigger": "\(why)"])
            try? notifier.reloading(status: "reloading (\(why))")
            var next: ServerConfiguration? = nil
            if rereadConfiguration {
                do {
                    next = try command.resolvedConfiguration()
                    metrics.recordConfigurationReload(.success)
                } catch {
                    metrics.recordConfigurationReload(.failure)
                    logger.error("configuration not reloaded; keeping the one in force", metadata: ["error": "\(error)"])
                }
            }
            // Files the new configuration names are watched from now on, before they are read:
            // a change made while they load is reported, not missed.
            if let next, configuration.watchFiles { watcher.watch(Self.watchedPaths(server.configuration(appliedFrom: next))) }
            server.reload(configuration: next)
            decisionLog?.reopen()
            try? notifier.ready(status: "serving, policy \(server.store.current?.revision ?? "?")")
        }
        // The watcher starts before the first load, so that a file changed while it runs is not
        // missed; what it reports before the server is up is held and reloaded right after.
        let startGate = StartGate()
        watcher.onChange { changed in
            guard startGate.passOrHold() else { return }
            reload("files changed: \(changed.prefix(3).joined(separator: ", "))", false)
        }
        if configuration.watchFiles { watcher.watch(Self.watchedPaths(configuration)) }
        do {
            try server.start()
        } catch {
            watcher.stop()
            Console.error(error.description)
            try? notifier.status("failed: \(error.description.split(separator: "\n").joined(separator: "; "))")
            throw ExitCode(1)
        }
        try? notifier.ready(status: "serving, policy \(server.store.current?.revision ?? "?")")
        if startGate.open() {
            reload("files changed while starting", false)
        }
        // The watchdog pings only while every loop thread answers.
        var watchdog: WatchdogPinger? = nil
        if let interval = notifier.watchdogInterval {
            watchdog = try WatchdogPinger(
                every: interval / 2, isHealthy: { server.loopsResponsive(within: interval / 4) },
                ping: { try? notifier.watchdog() })
        }
        let finished = try Latch()
        let signals = try SignalWatcher { signal in
            if signal == SIGHUP {
                // Once stopping, a reload would only announce RELOADING/READY after STOPPING.
                if !finished.isSet { reload("SIGHUP", true) }
            } else {
                finished.set()
            }
        }
        finished.wait()
        logger.info("stopping: draining in-flight requests")
        // No ping may follow STOPPING=1.
        watchdog?.stop()
        try? notifier.stopping(status: "draining")
        watcher.stop()
        server.shutdown()
        signals.stop()
    }
}

extension ServeCommand {
    /// The files a configuration makes the server read: what the file watcher watches.
    static func watchedPaths(_ configuration: ServerConfiguration) -> [String] {
        configuration.policies + configuration.shadowPolicies
            + [configuration.tlsCert, configuration.tlsKey, configuration.clientCA]
    }
}

/// The file watcher in force. A re-read configuration that names other files replaces it (a new
/// policy directory given on SIGHUP is watched from then on, not the one of start-up); the new
/// watcher starts before the old one stops, so no change between the two goes unreported.
final class WatcherSlot: Sendable {
    private let state = Mutex<(watcher: FileWatcher?, paths: [String]?)>((nil, nil))
    private let handler = Mutex<(@Sendable ([String]) -> Void)?>(nil)
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// Sets what a change report calls (on the watcher's thread), before the first ``watch(_:)``.
    func onChange(_ body: @escaping @Sendable ([String]) -> Void) {
        handler.withLock { $0 = body }
    }

    /// Watches `paths`, unless they are the ones watched already. If the new watcher cannot
    /// start, the one in force (if any) keeps watching its files and the problem is logged.
    func watch(_ paths: [String]) {
        // Paths are bytes: a name that differs only by Unicode normalisation is another file.
        let same = state.withLock { state in
            state.paths.map { $0.count == paths.count && zip($0, paths).allSatisfy { $0.utf8.elementsEqual($1.utf8) } } ?? false
        }
        if same { return }
        let replacement: FileWatcher
        do {
            replacement = try FileWatcher(paths: paths, debounce: .milliseconds(500)) { [weak self] changed in
                self?.handler.withLock { $0 }?(changed)
            }
        } catch {
            let watching = state.withLock { $0.watcher != nil }
            logger.warning(
                watching
                    ? "cannot watch the files of the new configuration; still watching the previous ones, reload with SIGHUP"
                    : "not watching files; reload with SIGHUP",
                metadata: ["error": "\(error)"])
            return
        }
        let previous = state.withLock { state in
            defer { state = (replacement, paths) }
            return state.watcher
        }
        if previous != nil { logger.info("watching the files of the new configuration", metadata: ["paths": "\(paths)"]) }
        previous?.stop()
    }

    /// Stops watching.
    func stop() {
        let previous = state.withLock { state in
            defer { state = (nil, nil) }
            return state.watcher
        }
        previous?.stop()
    }
}

/// Holds file-change reports until the server has started; ``open()`` says whether one came.
final class StartGate: Sendable {
    private let state = Mutex<(open: Bool, held: Bool)>((false, false))

    /// True once open; before that, remembers the report and returns false.
    func passOrHold() -> Bool {
        state.withLock { state in
            if state.open { return true }
            state.held = true
            return false
        }
    }

    /// Opens the gate; true when a report was held meanwhile.
    func open() -> Bool {
        state.withLock { state in
            state.open = true
            return state.held
        }
    }
}
