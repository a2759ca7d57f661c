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
/// drains gracefully until the configured grace period.
public final class WebhookServer: Sendable {
    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    public let configuration: ServerConfiguration
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
        self.logger = logger
        self.metrics = metrics
        self.decisionLog = decisionLog
        self.observer = ServiceObserver(metrics: metrics, decisionLog: decisionLog)
        self.shadowStore = configuration.shadowPolicies.isEmpty ? nil : PolicyStore()
    }

    // MARK: - Policy

    /// The lock-out check a policy must pass (unless ``ServerConfiguration/allowLockout``).
    var lockoutCheck: (@Sendable (CompiledPolicy) -> [String])? {
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
                    logger.info("shadow policy loaded", metadata: ["revision": "\(shadow.revision)"])
                } catch {
                    logger.error("shadow policy not loaded; keeping the previous one", metadata: ["errors": "\(error)"])
                }
            }
            return snapshot
        } catch {
            metrics.recordPolicyReload(.failure)
            for message in error.errors.prefix(50) {
                logger.error("policy not loaded; keeping the previous one", metadata: ["error": "\(message)"])
            }
            throw error
        }
    }

    // MARK: - TLS

    var tlsConfiguration: TLSConfiguration {
        TLSConfiguration(
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
        http2.idleTimeout = configuration.idleTimeout
        http2.requestReceiveTimeout = configuration.requestBodyTimeout
        http2.gracefulShutdownTimeout = configuration.shutdownGrace
        let metrics = http2Metrics
        let http2Configuration = http2
        let serverConfiguration = HTTPServer.Configuration(
            listenAddresses: addresses, tls: tlsConfiguration, threads: configuration.threads == 0 ? nil : configuration.threads,
            http1: HTTP1Configuration(
                maxHeaderBytes: configuration.maxHeaderBytes, maxBodyBytes: configuration.maxRequestBodyBytes,
                idleTimeout: configuration.idleTimeout, headerTimeout: configuration.requestHeaderTimeout,
                bodyTimeout: configuration.requestBodyTimeout),
            http2HandlerFactory: { responder, peer in
                HTTP2Session(responder: responder, peer: peer, configuration: http2Configuration, metrics: metrics, now: .now)
            },
            maxConnections: configuration.maxConnections, maxRequestsInFlight: configuration.maxInFlight,
            handshakeTimeout: configuration.handshakeTimeout, busyPoll: configuration.busyPoll,
            onEvent: { [logger] event in logger.debug("transport event", metadata: ["event": "\(event)"]) })
        let responder = makeResponder()
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

    func makeResponder() -> WebhookResponder {
        let options = WebhookResponder.Options(
            authorizePath: configuration.authorizePath, callers: configuration.callers,
            metricsReaders: configuration.metricsReaders, defaultDecision: configuration.defaultDecision,
            limits: ReviewDecodingLimits(maxBodyBytes: configuration.maxRequestBodyBytes))
        return WebhookResponder(
            store: store, shadowStore: shadowStore, options: options, observer: observer,
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
