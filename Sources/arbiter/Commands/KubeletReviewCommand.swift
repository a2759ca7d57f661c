import ArbiterPolicy
import ArbiterReview
import ArgumentParser

/// `arbiter kubelet-review`: the SubjectAccessReviews a kubelet sends for one request.
struct KubeletReviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kubelet-review",
        abstract: "Show the reviews a kubelet sends for a request on its API, and (with --policy) the decision.",
        discussion: """
            Example: `kubectl logs` reaches the kubelet as GET /containerLogs/NS/POD/CONTAINER, which \
            needs nodes/proxy, not nodes/log:
              arbiter kubelet-review --node n1 --method GET --path /containerLogs/default/web/app --user jane -p policies/
            The user gets the groups an authenticator gives it, as with can-i's --as (see \
            --no-implicit-groups); a query string in --path is ignored, as the kubelet ignores it.
            Exit code with --policy: 0 allowed (some check allowed), 2 denied, 3 no opinion.
            """)

    @Option(help: "The node name (the object name of every check).")
    var node: String

    @Option(help: "The HTTP method of the request to the kubelet.")
    var method: String = "GET"

    @Option(help: "The path of the request to the kubelet (e.g. /stats/summary).")
    var path: String

    @Option(help: "The user calling the kubelet.")
    var user: String

    @Option(name: .customLong("group"), help: "A group of the user. Repeat for several.")
    var groups: [String] = []

    @Flag(help: Impersonation.noImplicitGroupsHelp(option: "--group"))
    var noImplicitGroups = false

    @Flag(inversion: .prefixedNo, help: "Fine-grained kubelet authorization (KubeletFineGrainedAuthz, default on since 1.33).")
    var fineGrained = true

    @Option(name: [.customLong("policy"), .customShort("p")], help: "Policy files or directories: also decide.")
    var policies: [String] = []

    func run() throws {
        // The kubelet authorizes the URL's path; the query plays no part.
        let requestPath = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? path
        let groups = Impersonation.groups(user: user, groups: self.groups, implicit: !noImplicitGroups)
        let checks = KubeletRequest.checks(
            node: node, method: method, path: requestPath, user: user, groups: groups, fineGrained: fineGrained)
        var compiled: CompiledPolicy? = nil
        if !policies.isEmpty {
            compiled = try PolicyOptions.parse(policies.flatMap { ["--policy", $0] }).load()
        }
        var final = Decision.noOpinion
        for request in checks {
            guard case .resource(let r) = request.attributes else { continue }
            let review = SubjectAccessReview(
                spec: .init(
                    resourceAttributes: .init(verb: r.verb, version: r.version, resource: r.resource, subresource: r.subresource, name: r.name),
                    user: user, groups: groups))
            guard let compiled else {
                Console.out(String(decoding: review.jsonBytes(), as: UTF8.self))
                continue
            }
            let result = compiled.authorize(request)
            Console.out("nodes/\(r.subresource) `\(r.verb)`: \(Self.word(result.decision))\(result.reason.isEmpty ? "" : " - \(result.reason)")")
            if result.decision == .allow { final = .allow; break }
            if result.decision == .deny { final = .deny }
        }
        guard compiled != nil else { return }
        Console.out(final == .allow ? "the kubelet allows the request" : "the kubelet answers 403 Forbidden")
        throw final.exitCode
    }

    static func word(_ decision: Decision) -> String {
        switch decision {
        case .allow: return "allowed"
        case .deny: return "denied"
        case .noOpinion: return "no opinion"
        }
    }
}
