public import ArbiterPolicy

/// One line of the decision log: who asked, what for, and what Arbiter answered.
///
/// The responder fills an entry after answering and hands it to ``DecisionLog/record(_:)``;
/// serialization happens later on the log's own thread. The JSON line has these fields, in order:
///
/// ```json
/// {"time":"2026-11-29T04:10:06.123456Z","caller":"kube-apiserver-authz-client","endpoint":"authorize",
///  "apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","user":"jane","groups":["dev"],
///  "resourceAttributes":{"namespace":"ns","verb":"get","group":"","version":"v1","resource":"pods",
///  "subresource":"","name":"p"},"decision":"allow","reason":"…","evaluationError":"",
///  "policyRevision":"3f2a…","latencyMicroseconds":42,"shadow":{"decision":"deny","reason":"…"}}
/// ```
///
/// `resourceAttributes` or `nonResourceAttributes` (`path`, `verb`) appears when the request had
/// attributes; `shadow` only when a shadow policy was evaluated.
public struct DecisionLogEntry: Sendable, Hashable {
    /// The answer of a shadow policy evaluated next to the enforced one.
    public struct Shadow: Sendable, Hashable {
        /// What the shadow policy would have decided.
        public var decision: Decision
        /// The shadow policy's reason.
        public var reason: String

        /// Creates a shadow result.
        public init(decision: Decision, reason: String) {
            self.decision = decision
            self.reason = reason
        }
    }

    /// When the request was answered.
    public var time: WallClockTime
    /// The calling client certificate's CN, or empty.
    public var caller: String
    /// The endpoint that answered.
    public var endpoint: WebhookEndpoint
    /// The review's `apiVersion`, for example `authorization.k8s.io/v1`.
    public var apiVersion: String
    /// The review's `kind`, for example `SubjectAccessReview`.
    public var kind: String
    /// The user the question was about.
    public var user: String
    /// The user's groups.
    public var groups: [String]
    /// The resource or non-resource attributes; `nil` when the review had none.
    public var attributes: AccessRequest.Attributes?
    /// The enforced decision.
    public var decision: Decision
    /// The reason sent to the apiserver.
    public var reason: String
    /// The evaluation error sent to the apiserver, or empty.
    public var evaluationError: String
    /// The revision of the policy that decided.
    public var policyRevision: String
    /// Time spent answering, in microseconds.
    public var latencyMicroseconds: Int
    /// The shadow policy's answer, if one ran.
    public var shadow: Shadow?

    /// Creates an entry.
    public init(
        time: WallClockTime = .now(),
        caller: String,
        endpoint: WebhookEndpoint,
        apiVersion: String,
        kind: String,
        user: String,
        groups: [String],
        attributes: AccessRequest.Attributes?,
        decision: Decision,
        reason: String,
        evaluationError: String = "",
        policyRevision: String,
        latencyMicroseconds: Int,
        shadow: Shadow? = nil
    ) {
        self.time = time
        self.caller = caller
        self.endpoint = endpoint
        self.apiVersion = apiVersion
        self.kind = kind
        self.user = user
        self.groups = groups
        self.attributes = attributes
        self.decision = decision
        self.reason = reason
        self.evaluationError = evaluationError
        self.policyRevision = policyRevision
        self.latencyMicroseconds = latencyMicroseconds
        self.shadow = shadow
    }

    /// Creates an entry for a review that was mapped to `request` (`nil` when it had no attributes,
    /// such as a SelfSubjectRulesReview, or could not be decoded).
    public init(
        time: WallClockTime = .now(),
        caller: String,
        endpoint: WebhookEndpoint,
        apiVersion: String,
        kind: String,
        request: AccessRequest?,
        decision: Decision,
        reason: String,
        evaluationError: String = "",
        policyRevision: String,
        latencyMicroseconds: Int,
        shadow: Shadow? = nil
    ) {
        self.init(
            time: time, caller: caller, endpoint: endpoint, apiVersion: apiVersion, kind: kind,
            user: request?.user ?? "", groups: request?.groups ?? [], attributes: request?.attributes,
            decision: decision, reason: reason, evaluationError: evaluationError, policyRevision: policyRevision,
            latencyMicroseconds: latencyMicroseconds, shadow: shadow)
    }

    /// Appends the entry as one JSON object followed by a line feed.
    func appendJSONLine(to writer: inout JSONLineWriter) {
        writer.beginObject()
        writer.field("time", self.time)
        writer.field("caller", self.caller)
        writer.field("endpoint", self.endpoint.label)
        writer.field("apiVersion", self.apiVersion)
        writer.field("kind", self.kind)
        writer.field("user", self.user)
        writer.field("groups", self.groups)
        switch self.attributes {
        case .resource(let resource):
            writer.key("resourceAttributes")
            writer.beginObject()
            writer.field("namespace", resource.namespace)
            writer.field("verb", resource.verb)
            writer.field("group", resource.group)
            writer.field("version", resource.version)
            writer.field("resource", resource.resource)
            writer.field("subresource", resource.subresource)
            writer.field("name", resource.name)
            writer.endObject()
        case .nonResource(let nonResource):
            writer.key("nonResourceAttributes")
            writer.beginObject()
            writer.field("path", nonResource.path)
            writer.field("verb", nonResource.verb)
            writer.endObject()
        case nil:
            break
        }
        writer.field("decision", self.decision.label)
        writer.field("reason", self.reason)
        writer.field("evaluationError", self.evaluationError)
        writer.field("policyRevision", self.policyRevision)
        writer.field("latencyMicroseconds", self.latencyMicroseconds)
        if let shadow = self.shadow {
            writer.key("shadow")
            writer.beginObject()
            writer.field("decision", shadow.decision.label)
            writer.field("reason", shadow.reason)
            writer.endObject()
        }
        writer.endObject()
        writer.bytes.append(0x0A)
    }

    /// The entry as one JSON line (with its trailing line feed), for tests and tools.
    public var jsonLine: String {
        var writer = JSONLineWriter()
        self.appendJSONLine(to: &writer)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
