public import ArbiterPolicy
import ArbiterPosix

/// Everything `arbiter serve` runs with: the configuration file (`arbiter.dev/v1alpha1`,
/// `kind: ServerConfiguration`, documented in `Deploy/config.example.yaml`) with command-line
/// flags on top.
///
/// Loading is strict: unknown or duplicate keys, wrong types and impossible values are errors
/// with file:line:column, reported before anything starts.
public struct ServerConfiguration: Sendable {
    public enum ClientAuth: String, Sendable {
        case require = "RequireAndVerifyClientCert"
        case optional = "VerifyClientCertIfGiven"
    }

    public enum DecisionLogInclude: String, Sendable {
        case all = "All"
        case notAllowed = "NotAllowed"
    }

    public var listen: [String] = ["127.0.0.1:8443"]
    /// A plain-HTTP loopback listener for `/healthz`, `/livez`, `/readyz` only; `""` is off.
    public var healthListen = ""
    public var tlsCert = ""
    public var tlsKey = ""
    public var clientCA = ""
    public var clientAuth = ClientAuth.require
    public var callers = CallerPolicy()
    public var metricsReaders = CallerPolicy()
    public var policies: [String] = []
    /// A candidate policy evaluated next to the live one, never affecting answers.
    public var shadowPolicies: [String] = []
    public var defaultDecision = Decision.noOpinion
    public var authorizePath = "/authorize"
    public var maxRequestBodyBytes = 65536
    public var maxHeaderBytes = 16384
    public var maxConcurrentStreams = 100
    /// HTTP/2: answers computed before they are written (see HTTP2Configuration.responsesPerWrite).
    public var http2ResponsesPerWrite = 32
    public var maxConnections = 1024
    public var maxInFlight = 2048
    public var handshakeTimeout: Duration = .seconds(5)
    public var requestHeaderTimeout: Duration = .seconds(5)
    public var requestBodyTimeout: Duration = .seconds(5)
    public var requestTimeout: Duration = .seconds(2)
    public var idleTimeout: Duration = .seconds(120)
    public var shutdownGrace: Duration = .seconds(20)
    /// 0: one loop thread per CPU.
    public var threads = 0
    /// How long a loop thread polls for the next request before sleeping, under load.
    public var busyPoll: Duration = .microseconds(200)
    public var logLevel = "info"
    public var logFormat = LogFormat.logfmt
    /// `""` off, `-` standard output, or a file.
    public var decisionLogPath = ""
    public var decisionLogInclude = DecisionLogInclude.all
    /// Arbiter's own rotation of a decision-log file: at this size (0: never, the default, for
    /// logrotate to do it), keeping `decisionLogMaxFiles` old files.
    public var decisionLogMaxSize = 0
    public var decisionLogMaxFiles = 5
    /// Refuse (at start and on reload) a policy whose Deny would hit a control-plane identity.
    public var allowLockout = false
    /// Watch policy and TLS files and reload on change (besides SIGHUP).
    public var watchFiles = true

    public init() {}

    // MARK: - File

    /// Reads a configuration file; relative paths in it are relative to the file's directory.
    public static func load(file path: String) throws(PolicyError) -> ServerConfiguration {
        let bytes = try PolicySourceReader.readFile(path, limit: 1 << 20)
        let documents = try YAMLValue.parse(bytes, file: path)
        guard documents.count == 1, let root = documents.first else {
            throw PolicyError(.invalidValue, "the configuration must be exactly one YAML document", at: SourceLocation(file: path, line: 1, column: 1))
        }
        var configuration = ServerConfiguration()
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        func resolve(_ file: String) -> String {
            file.isEmpty || file.hasPrefix("/") || file == "-" ? file : (directory.isEmpty ? file : directory + "/" + file)
        }
        for entry in try root.entries("the configuration") {
            let value = entry.value
            switch entry.key {
            case "apiVersion":
                guard try value.string("`apiVersion`") == "arbiter.dev/v1alpha1" else {
                    throw PolicyError(.unknownAPIVersion, "`apiVersion` must be `arbiter.dev/v1alpha1`", at: value.location)
                }
            case "kind":
                guard try value.string("`kind`") == "ServerConfiguration" else {
                    throw PolicyError(.invalidValue, "`kind` must be `ServerConfiguration`", at: value.location)
                }
            case "listen": configuration.listen = try value.stringList("`listen`")
            case "healthListen": configuration.healthListen = try value.string("`healthListen`") ?? ""
            case "tls":
                for tls in try value.entries("`tls`") {
                    switch tls.key {
                    case "cert": configuration.tlsCert = resolve(try tls.value.string("`tls.cert`") ?? "")
                    case "key": configuration.tlsKey = resolve(try tls.value.string("`tls.key`") ?? "")
                    case "clientCA": configuration.clientCA = resolve(try tls.value.string("`tls.clientCA`") ?? "")
                    case "clientAuth":
                        let text = try tls.value.string("`tls.clientAuth`") ?? ""
                        guard let mode = ClientAuth(rawValue: text) else {
                            throw PolicyError(
                                .invalidValue, "`tls.clientAuth` must be `RequireAndVerifyClientCert` or `VerifyClientCertIfGiven`",
                                at: tls.value.location)
                        }
                        configuration.clientAuth = mode
                    default: throw unknown(tls, in: "`tls`")
                    }
                }
            case "callers": configuration.callers = try callerPolicy(value, "`callers`")
            case "metricsReaders": configuration.metricsReaders = try callerPolicy(value, "`metricsReaders`")
            case "policies": configuration.policies = try value.stringList("`policies`").map(resolve)
            case "shadowPolicies": configuration.shadowPolicies = try value.stringList("`shadowPolicies`").map(resolve)
            case "defaultDecision":
                switch try value.string("`defaultDecision`") {
                case "NoOpinion": configuration.defaultDecision = .noOpinion
                case "Deny": configuration.defaultDecision = .deny
                default: throw PolicyError(.invalidValue, "`defaultDecision` must be `NoOpinion` or `Deny`", at: value.location)
                }
            case "authorizePath": configuration.authorizePath = try value.string("`authorizePath`") ?? "/authorize"
            case "allowLockout": configuration.allowLockout = try value.boolean("`allowLockout`") ?? false
            case "limits":
                for limit in try value.entries("`limits`") {
                    let number = try limit.value.integer("`limits.\(limit.key)`") ?? 0
                    switch limit.key {
                    case "maxRequestBodyBytes": configuration.maxRequestBodyBytes = number
                    case "maxHeaderBytes": configuration.maxHeaderBytes = number
                    case "maxConcurrentStreams": configuration.maxConcurrentStreams = number
                    case "http2ResponsesPerWrite": configuration.http2ResponsesPerWrite = number
                    case "maxConnections": configuration.maxConnections = number
                    case "maxInFlight": configuration.maxInFlight = number
                    default: throw unknown(limit, in: "`limits`")
                    }
                }
            case "timeouts":
                for timeout in try value.entries("`timeouts`") {
                    let duration = try parseDuration(try timeout.value.string("`timeouts.\(timeout.key)`") ?? "", at: timeout.value.location)
                    switch timeout.key {
                    case "handshake": configuration.handshakeTimeout = duration
                    case "requestHeader": configuration.requestHeaderTimeout = duration
                    case "requestBody": configuration.requestBodyTimeout = duration
                    case "request": configuration.requestTimeout = duration
                    case "idle": configuration.idleTimeout = duration
                    case "shutdownGrace": configuration.shutdownGrace = duration
                    default: throw unknown(timeout, in: "`timeouts`")
                    }
                }
            case "threads": configuration.threads = try value.integer("`threads`") ?? 0
            case "busyPoll":
                configuration.busyPoll = try parseDuration(try value.string("`busyPoll`") ?? "", at: value.location)
            case "log":
                for log in try value.entries("`log`") {
                    switch log.key {
                    case "level": configuration.logLevel = try log.value.string("`log.level`") ?? "info"
                    case "format":
                        let text = try log.value.string("`log.format`") ?? ""
                        guard let format = LogFormat(rawValue: text) else {
                            throw PolicyError(.invalidValue, "`log.format` must be `logfmt` or `json`", at: log.value.location)
                        }
                        configuration.logFormat = format
                    default: throw unknown(log, in: "`log`")
                    }
                }
            case "decisionLog":
                for item in try value.entries("`decisionLog`") {
                    switch item.key {
                    case "path": configuration.decisionLogPath = resolve(try item.value.string("`decisionLog.path`") ?? "")
                    case "include":
                        let text = try item.value.string("`decisionLog.include`") ?? ""
                        guard let include = DecisionLogInclude(rawValue: text) else {
                            throw PolicyError(.invalidValue, "`decisionLog.include` must be `All` or `NotAllowed`", at: item.value.location)
                        }
                        configuration.decisionLogInclude = include
                    case "maxSize": configuration.decisionLogMaxSize = try item.value.integer("`decisionLog.maxSize`") ?? 0
                    case "maxFiles": configuration.decisionLogMaxFiles = try item.value.integer("`decisionLog.maxFiles`") ?? 5
                    default: throw unknown(item, in: "`decisionLog`")
                    }
                }
            default:
                throw unknown(entry, in: "the configuration")
            }
        }
        return configuration
    }

    private static func unknown(_ entry: YAMLValue.Entry, in what: String) -> PolicyError {
        PolicyError(.invalidValue, "unknown key `\(entry.key)` in \(what)", at: entry.keyLocation)
    }

    private static func callerPolicy(_ value: YAMLValue, _ what: String) throws(PolicyError) -> CallerPolicy {
        var policy = CallerPolicy()
        for entry in try value.entries(what) {
            switch entry.key {
            case "users": policy.users = try entry.value.stringList("\(what).users")
            case "groups": policy.groups = try entry.value.stringList("\(what).groups")
            default: throw unknown(entry, in: what)
            }
        }
        return policy
    }

    /// The longest duration the configuration accepts: every timer of the server is far
    /// below it, and a larger value (`9999999999h`) is a typo, not a setting.
    public static let maxDuration: Duration = .seconds(24 * 3600)

    /// Go-style durations: `500ms`, `5s`, `2m`, `1h`, `1m30s`; at most ``maxDuration``.
    public static func parseDuration(_ text: String, at location: SourceLocation? = nil) throws(PolicyError) -> Duration {
        var total: Duration = .zero
        var rest = Substring(text)
        guard !rest.isEmpty else { throw PolicyError(.invalidValue, "empty duration", at: location) }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isNumber }
            guard let value = Int(digits), value >= 0 else {
                throw PolicyError(.invalidValue, "invalid duration `\(text)` (write e.g. `500ms`, `5s`, `2m`)", at: location)
            }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unit.count)
            let unitLength: Duration
            switch unit {
            case "us", "µs": unitLength = .microseconds(1)
            case "ms": unitLength = .milliseconds(1)
            case "s": unitLength = .seconds(1)
            case "m": unitLength = .seconds(60)
            case "h": unitLength = .seconds(3600)
            default:
                throw PolicyError(.invalidValue, "invalid duration `\(text)` (units: us, ms, s, m, h)", at: location)
            }
            // The count is compared with the bound before it is multiplied, so that nothing can
            // overflow (`9999999999999999h` is an error, not a crash).
            guard Double(value) <= maxDuration / unitLength, total + unitLength * value <= maxDuration else {
                throw PolicyError(.invalidValue, "duration `\(text)` is too long (at most 24h)", at: location)
            }
            total += unitLength * value
        }
        return total
    }

    // MARK: - Validation

    /// Problems that make the configuration unusable, in plain words.
    public func problems() -> [String] {
        keyedProblems().map(\.message)
    }

    /// ``problems()``, each with the configuration key it is about (`tls.cert`, `limits.maxConnections`,
    /// ...), so that a caller can tell which come from the values it set (a flag) and which from
    /// what is missing.
    public func keyedProblems() -> [(key: String, message: String)] {
        var problems: [(key: String, message: String)] = []
        func add(_ key: String, _ message: String) { problems.append((key, message)) }
        if policies.isEmpty { add("policies", "no policy: give `policies` or `--policy PATH`") }
        if tlsCert.isEmpty { add("tls.cert", "no server certificate: give `tls.cert` or `--tls-cert`") }
        if tlsKey.isEmpty { add("tls.key", "no server key: give `tls.key` or `--tls-key`") }
        if clientCA.isEmpty { add("tls.clientCA", "no client CA: give `tls.clientCA` or `--client-ca` (clients are authenticated by certificate)") }
        if callers.isEmpty {
            add("callers", "no callers: give `callers.users`/`callers.groups` or `--caller CN`/`--caller-group O` (who may ask about others)")
        }
        if listen.isEmpty { add("listen", "no listen address") }
        for address in listen where SocketAddress(address) == nil {
            add("listen", "`listen` `\(address)` is not host:port (write 127.0.0.1:8443 or [::1]:8443)")
        }
        if !healthListen.isEmpty {
            if let address = SocketAddress(healthListen) {
                if !HealthListener.isLoopback(address) {
                    add("healthListen", "`healthListen` `\(healthListen)` must be a loopback address (127.0.0.1:PORT or [::1]:PORT): it has no authentication")
                }
            } else {
                add("healthListen", "`healthListen` `\(healthListen)` is not host:port")
            }
        }
        if !authorizePath.hasPrefix("/") { add("authorizePath", "`authorizePath` must start with `/`") }
        if busyPoll > .milliseconds(1) {
            let micros = busyPoll.components.seconds * 1_000_000 + busyPoll.components.attoseconds / 1_000_000_000_000
            add("busyPoll", "`busyPoll` (--busy-poll) is \(micros)us; it must be at most 1ms (it is CPU spent waiting for the next request)")
        }
        // A zero timer fires at once: `handshake: 0s` would refuse every connection while the
        // health endpoints still answer ready.
        for (name, value) in [("handshake", handshakeTimeout), ("requestHeader", requestHeaderTimeout),
                              ("requestBody", requestBodyTimeout), ("request", requestTimeout), ("idle", idleTimeout)]
        where value <= .zero {
            add("timeouts.\(name)", "`timeouts.\(name)` must be longer than 0s")
        }
        for (name, value) in [("maxRequestBodyBytes", maxRequestBodyBytes), ("maxHeaderBytes", maxHeaderBytes),
                              ("maxConcurrentStreams", maxConcurrentStreams), ("maxConnections", maxConnections),
                              ("maxInFlight", maxInFlight), ("http2ResponsesPerWrite", http2ResponsesPerWrite)] where value <= 0 {
            add("limits.\(name)", "`limits.\(name)` must be positive")
        }
        if !["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) {
            add("log.level", "`log.level` must be one of trace, debug, info, notice, warning, error, critical")
        }
        return problems
    }
}
