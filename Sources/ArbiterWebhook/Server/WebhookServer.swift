public import ArbiterHTTP
import ArbiterPolicy
public import ArbiterPosix
import ArbiterReview
public import Logging
import Synchronization

/// The running service: policy store, TLS, transport and responder, with reloads.
///
/// Life cycle: ``start()`` loads and compiles the policy (refusing a lock-out unless allowed),
/// builds the TLS context and starts the loops — it throws, and nothing runs, if any of that
/// fails, so the service never becomes ready without a policy and certificates. ``reload()``
/// recompiles the policy and rebuilds the TLS context on the calling thread (never a loop
/// thread) and swaps them in; a bad policy or certificate keeps the old one. ``shutdown()``
/// drains gracefully until the configured grace period. ``reload(configuration:)`` also applies a
/// re-read configuration: what a running server can change (policies, TLS files, callers,
/// default decision, ...) at once, the rest (listeners, threads, limits, timers, logs) logged as
/// needing a restart.
public final class WebhookServer: Sendable {
    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The configuration the server started with (listeners, threads, limits and timers stay
    /// as they are here until a restart).
    public let configuration: ServerConfiguration
    /// The configuration in force: ``configuration`` with the changes a reload applied.
    private let live: Mutex<ServerConfiguration>
    private let responder: Mutex<WebhookResponder?> = Mutex(nil)
    public let logger: Logger
    public let store = PolicyStore()
    public let shadowStore: PolicyStore?
    public let metrics: WebhookMetrics
    public let decisionLog: DecisionLog?
    let observer: ServiceObserver
    let server: Mutex<HTTPServer?> = Mutex(nil)
    let healthListener: Mutex<HealthListener?> = Mutex(nil)
    let http2Metrics = HTTP2Metrics()

    public init(configuration: ServerConfiguration, logger: Logger, metrics: WebhookMetrics = WebhookMetrics(), decisionLog: DecisionLog? = nil) {
        self.configuration = configuration
        self.live = Mutex(configuration)
        self.logger = logger
        self.metrics = metrics
        self.decisionLog = decisionLog
        self.observer = ServiceObserver(metrics: metrics, decisionLog: decisionLog)
        self.shadowStore = configuration.shadowPolicies.isEmpty ? nil : PolicyStore()
    }

    // MARK: - Policy

    /// The configuration in force (after any reload).
    public var currentConfiguration: ServerConfiguration { live.withLock { $0 } }

    /// The lock-out check a policy must pass (unless ``ServerConfiguration/allowLockout``).
    var lockoutCheck: (@Sendable (CompiledPolicy) -> [String])? {
        let configuration = currentConfiguration
        if configuration.allowLockout { return nil }
        let identities = configuration.callers.users.map { (user: $0, groups: [String]()) }
            + configuration.callers.groups.map { (user: "arbiter-caller", groups: [$0]) }
        return { policy in
            LockoutGuard.findings(in: policy, extraIdentities: identities).map {
                "lock-out: \($0) (start with --allow-lockout to accept it)"
            }
        }
    }

    /// Loads the policy (and the shadow policy) and publishes it.
    @discardableResult
    public func reloadPolicy() throws(PolicyStore.ReloadFailure) -> PolicyStore.Snapshot {
        // Loading builds and drops a whole policy's worth of objects on this thread; hand the
        // freed pages back to the kernel so RSS does not ratchet up with every reload.
        defer { Self.releaseFreedMemory() }
        let configuration = currentConfiguration
        do {
            let snapshot = try store.reload(paths: configuration.policies, check: lockoutCheck)
            metrics.recordPolicyReload(.success)
            metrics.setPolicyRevision(snapshot.revision)
            logger.info(
                "policy loaded",
                metadata: ["revision": "\(snapshot.revision)", "summary": "\(snapshot.summary)"])
            if let shadowStore {
                do {
                    let shadow = try shadowStore.reload(paths: configuration.shadowPolicies)
                    metrics.recordShadowPolicyReload(.success)
                    logger.info("shadow policy loaded", metadata: ["revision": "\(shadow.revision)"])
                } catch {
                    metrics.recordShadowPolicyReload(.failure)
                    logger.error("shadow policy not loaded; keeping the previous one", metadata: ["errors": "\(error)"])
                }
            }
            return snapshot
        } catch {
            metrics.recordPolicyReload(.failure)
            let consequence = store.current == nil ? "nothing is served until one loads" : "keeping the previous one"
            for message in error.errors.prefix(50) {
                logger.error("policy not loaded; \(consequence)", metadata: ["error": "\(message)"])
            }
            throw error
        }
    }

    // MARK: - TLS

    var tlsConfiguration: TLSConfiguration {
        let configuration = currentConfiguration
        return TLSConfiguration(
            certificateChainPath: configuration.tlsCert, privateKeyPath: configuration.tlsKey,
            clientCAPath: configuration.clientCA, clientAuthentication: configuration.clientAuth == .require ? .require : .optional)
    }

    /// Returns free heap pages to the kernel (`malloc_trim`): after a reload the previous
    /// policy's memory is free but, spread over glibc's arenas, would otherwise stay resident.
    static func releaseFreedMemory() {
        Posix.releaseFreeHeapMemory()
    }

    // MARK: - Life cycle

    /// Loads everything and starts serving; throws (with nothing running) on any problem.
    public func start() throws(StartError) {
        let problems = configuration.problems()
        if !problems.isEmpty { throw StartError(description: problems.joined(separator: "; ")) }
        do {
            try reloadPolicy()
        } catch {
            throw StartError(description: "the policy did not load:\n  " + error.errors.joined(separator: "\n  "))
        }
        var addresses: [SocketAddress] = []
        for text in configuration.listen {
            guard let address = SocketAddress(text) else {
                throw StartError(description: "invalid listen address `\(text)` (write host:port, [::1]:port)")
            }
            addresses.append(address)
        }
        var http2 = HTTP2Configuration()
        http2.maxConcurrentStreams = configuration.maxConcurrentStreams
        http2.responsesPerWrite = configuration.http2ResponsesPerWrite
        http2.maxHeaderListSize = configuration.maxHeaderBytes
        http2.maxRequestBodyBytes = configuration.maxRequestBodyBytes
        // Bodies queued behind a reader that keeps its windows shut: room for a burst of full
        // requests, not a whole MAX_CONCURRENT_STREAMS of them.
        http2.maxBufferedBodyBytes = min(http2.maxBufferedBodyBytes, 16 * configuration.maxRequestBodyBytes)
        http2.idleTimeout = configuration.idleTimeout
        // HTTP/2's receive timeout already runs from a request's first HEADERS frame to its end.
        http2.requestReceiveTimeout = min(configuration.requestBodyTimeout, configuration.requestTimeout)
        http2.gracefulShutdownTimeout = configuration.shutdownGrace
        let metrics = http2Metrics
        let http2Configuration = http2
        let serverConfiguration = HTTPServer.Configuration(
            listenAddresses: addresses, tls: tlsConfiguration, threads: configuration.threads == 0 ? nil : configuration.threads,
            http1: HTTP1Configuration(
                maxHeaderBytes: configuration.maxHeaderBytes, maxBodyBytes: configuration.maxRequestBodyBytes,
                idleTimeout: configuration.idleTimeout, headerTimeout: configuration.requestHeaderTimeout,
                bodyTimeout: configuration.requestBodyTimeout, requestTimeout: configuration.requestTimeout),
            http2HandlerFactory: { responder, peer in
                HTTP2Session(responder: responder, peer: peer, configuration: http2Configuration, metrics: metrics, now: .now)
            },
            maxConnections: configuration.maxConnections, maxRequestsInFlight: configuration.maxInFlight,
            handshakeTimeout: configuration.handshakeTimeout, busyPoll: configuration.busyPoll,
            // The configured callers (kube-apiserver) are served over the connection limit: a
            // client that merely holds a certificate cannot lock them out by filling every slot.
            prioritizedPeer: { [weak self] peer in
                guard let self, let peer, let responder = self.responder.withLock({ $0 }) else { return false }
                return responder.isCaller(peer)
            },
            onEvent: { [logger] event in logger.debug("transport event", metadata: ["event": "\(event)"]) })
        let responder = makeResponder()
        self.responder.withLock { $0 = responder }
        let httpServer: HTTPServer
        do {
            httpServer = try HTTPServer(configuration: serverConfiguration, responder: responder)
        } catch {
            throw StartError(description: "TLS: \(error)")
        }
        do {
            try httpServer.start()
        } catch {
            throw StartError(description: "cannot listen: \(error)")
        }
        server.withLock { $0 = httpServer }
        if !configuration.healthListen.isEmpty {
            do {
                try startHealthListener(responder: responder)
            } catch {
                httpServer.shutdown(deadline: .zero)
                server.withLock { $0 = nil }
                throw error
            }
        }
        logger.info(
            "serving",
            metadata: [
                "addresses": "\(httpServer.listeningAddresses.map(\.description).joined(separator: ","))",
                "authorizePath": "\(configuration.authorizePath)",
            ])
    }

    /// Starts the plain-HTTP loopback listener for probes (`healthListen`), answering with the
    /// responder's own health endpoints.
    private func startHealthListener(responder: WebhookResponder) throws(StartError) {
        guard let address = SocketAddress(configuration.healthListen), HealthListener.isLoopback(address) else {
            throw StartError(description: "invalid `healthListen` `\(configuration.healthListen)`: give a loopback host:port")
        }
        do {
            let listener = try HealthListener(address: address) { method, path, query in
                let response = responder.respond(to: HTTPRequest(method: method, path: path, query: query))
                let contentType = response.headers.first { $0.name == "content-type" }?.value ?? "text/plain; charset=utf-8"
                return (response.status, contentType, response.body)
            }
            healthListener.withLock { $0 = listener }
            logger.info("serving health checks over plain HTTP", metadata: ["address": "\(listener.address)"])
        } catch {
            throw StartError(description: "cannot listen for health checks on \(configuration.healthListen): \(error)")
        }
    }

    /// Where the health listener listens, when one is configured (useful with port 0).
    public var healthListenerAddress: SocketAddress? {
        healthListener.withLock { $0?.address }
    }

    /// The responder's options from a configuration.
    static func responderOptions(_ configuration: ServerConfiguration) -> WebhookResponder.Options {
        WebhookResponder.Options(
            authorizePath: configuration.authorizePath, callers: configuration.callers,
            metricsReaders: configuration.metricsReaders, defaultDecision: configuration.defaultDecision,
            limits: ReviewDecodingLimits(maxBodyBytes: configuration.maxRequestBodyBytes))
    }

    func makeResponder() -> WebhookResponder {
        WebhookResponder(
            store: store, shadowStore: shadowStore, options: Self.responderOptions(currentConfiguration), observer: observer,
            readinessChecks: { [weak self] in
                [(name: "serving", ok: self?.server.withLock { $0 != nil } ?? false)]
            },
            metricsText: { [weak self] in self?.metricsText() ?? "" })
    }

    /// Where the server listens (useful with port 0).
    public var listeningAddresses: [SocketAddress] {
        server.withLock { $0?.listeningAddresses ?? [] }
    }

    /// The transport's counters.
    public var transportMetrics: HTTPServerMetrics? {
        server.withLock { $0?.metrics }
    }

    /// Applies a re-read configuration, then reloads policy and TLS material (``reload()``).
    ///
    /// Applied at once: `policies`, `shadowPolicies` (when there were some at start), `tls`,
    /// `callers`, `metricsReaders`, `defaultDecision`, `authorizePath` and `allowLockout`.
    /// Everything else is fixed for the life of the process; a change to it is logged as
    /// needing a restart and otherwise ignored. A `nil` configuration (the file did not load)
    /// keeps the one in force. A policy that fails to load keeps the previous policy, as on any
    /// reload; the other settings apply all the same.
    ///
    /// - Returns: the keys whose change needs a restart.
    @discardableResult
    public func reload(configuration next: ServerConfiguration?) -> [String] {
        var ignored: [String] = []
        if let next {
            ignored = Self.restartOnlyChanges(from: configuration, to: next)
            // Turning the shadow policy on or off needs a restart (its store exists or not).
            if (shadowStore == nil) != next.shadowPolicies.isEmpty { ignored.append("shadowPolicies") }
            for key in ignored {
                logger.warning("configuration change needs a restart; ignored until then", metadata: ["key": "\(key)"])
            }
            let applied = live.withLock { live -> ServerConfiguration in
                live = Self.applying(next, to: live, hasShadow: shadowStore != nil)
                return live
            }
            responder.withLock { $0 }?.update(Self.responderOptions(applied))
            logger.info("configuration reloaded")
        }
        reload()
        return ignored
    }

    /// The configuration ``reload(configuration:)`` would put in force for `next` (what it
    /// applies of it, the rest as it is now), without applying it: the files it names are the
    /// ones to watch.
    public func configuration(appliedFrom next: ServerConfiguration) -> ServerConfiguration {
        Self.applying(next, to: currentConfiguration, hasShadow: shadowStore != nil)
    }

    /// `live` with what a reload applies of `next`: the policies, the shadow policies (only when
    /// there were some at start and still are: turning them on or off needs a restart), the TLS
    /// files and client authentication, callers, metrics readers, the default decision, the
    /// authorize path and `allowLockout`.
    static func applying(_ next: ServerConfiguration, to live: ServerConfiguration, hasShadow: Bool) -> ServerConfiguration {
        var applied = live
        applied.policies = next.policies
        if !next.shadowPolicies.isEmpty && hasShadow { applied.shadowPolicies = next.shadowPolicies }
        applied.tlsCert = next.tlsCert
        applied.tlsKey = next.tlsKey
        applied.clientCA = next.clientCA
        applied.clientAuth = next.clientAuth
        applied.callers = next.callers
        applied.metricsReaders = next.metricsReaders
        applied.defaultDecision = next.defaultDecision
        applied.authorizePath = next.authorizePath
        applied.allowLockout = next.allowLockout
        return applied
    }

    /// The keys of `next` that differ from `start` and that only a restart can apply.
    static func restartOnlyChanges(from start: ServerConfiguration, to next: ServerConfiguration) -> [String] {
        let pairs: [(String, String, String)] = [
            ("listen", "\(start.listen)", "\(next.listen)"),
            ("healthListen", start.healthListen, next.healthListen),
            ("threads", "\(start.threads)", "\(next.threads)"),
            ("busyPoll", "\(start.busyPoll)", "\(next.busyPoll)"),
            ("limits.maxRequestBodyBytes", "\(start.maxRequestBodyBytes)", "\(next.maxRequestBodyBytes)"),
            ("limits.maxHeaderBytes", "\(start.maxHeaderBytes)", "\(next.maxHeaderBytes)"),
            ("limits.maxConcurrentStreams", "\(start.maxConcurrentStreams)", "\(next.maxConcurrentStreams)"),
            ("limits.http2ResponsesPerWrite", "\(start.http2ResponsesPerWrite)", "\(next.http2ResponsesPerWrite)"),
            ("limits.maxConnections", "\(start.maxConnections)", "\(next.maxConnections)"),
            ("limits.maxInFlight", "\(start.maxInFlight)", "\(next.maxInFlight)"),
            ("timeouts.handshake", "\(start.handshakeTimeout)", "\(next.handshakeTimeout)"),
            ("timeouts.requestHeader", "\(start.requestHeaderTimeout)", "\(next.requestHeaderTimeout)"),
            ("timeouts.requestBody", "\(start.requestBodyTimeout)", "\(next.requestBodyTimeout)"),
            ("timeouts.request", "\(start.requestTimeout)", "\(next.requestTimeout)"),
            ("timeouts.idle", "\(start.idleTimeout)", "\(next.idleTimeout)"),
            ("timeouts.shutdownGrace", "\(start.shutdownGrace)", "\(next.shutdownGrace)"),
            ("log.level", start.logLevel, next.logLevel),
            ("log.format", "\(start.logFormat)", "\(next.logFormat)"),
            ("decisionLog.path", start.decisionLogPath, next.decisionLogPath),
            ("decisionLog.maxSize", "\(start.decisionLogMaxSize)", "\(next.decisionLogMaxSize)"),
            ("decisionLog.maxFiles", "\(start.decisionLogMaxFiles)", "\(next.decisionLogMaxFiles)"),
            ("decisionLog.include", "\(start.decisionLogInclude)", "\(next.decisionLogInclude)"),
            ("watch", "\(start.watchFiles)", "\(next.watchFiles)"),
        ]
        return pairs.filter { $0.1 != $0.2 }.map(\.0)
    }

    /// Reloads policy and TLS material; keeps what is in force on any error. Never call it from
    /// a loop thread.
    public func reload() {
        _ = try? reloadPolicy()
        guard let httpServer = server.withLock({ $0 }) else { return }
        do {
            try httpServer.reloadTLS(tlsConfiguration)
            metrics.recordTLSReload(.success)
            logger.info("TLS material reloaded")
        } catch {
            metrics.recordTLSReload(.failure)
            logger.error("TLS material not reloaded; keeping the previous certificates", metadata: ["error": "\(error)"])
        }
    }

    /// Stops accepting, drains for at most the grace period, then stops.
    public func shutdown() {
        guard let httpServer = server.withLock({ server -> HTTPServer? in
            defer { server = nil }
            return server
        }) else { return }
        logger.info("shutting down", metadata: ["grace": "\(configuration.shutdownGrace)"])
        healthListener.withLock { listener in
            listener?.stop()
            listener = nil
        }
        httpServer.shutdown(deadline: configuration.shutdownGrace)
        decisionLog?.close()
    }

    /// Whether every loop thread answers within `timeout` (for the systemd watchdog).
    public func loopsResponsive(within timeout: Duration) -> Bool {
        server.withLock { $0 }?.loopsResponsive(within: timeout) ?? false
    }
}
