import ArbiterPolicy
import ArgumentParser

/// `arbiter can-i`: kubectl's `auth can-i`, offline, for any user.
struct CanICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "can-i",
        abstract: "Ask whether a user may do something, in kubectl's syntax.",
        discussion: """
            Examples:
              arbiter can-i list pods -n team-a --as jane --as-group dev -p policies/
              arbiter can-i get deployments.apps/web -n prod --as system:serviceaccount:ci:deployer -p policies/
              arbiter can-i get /healthz --as system:anonymous --as-group system:unauthenticated -p policies/
            Prints `yes` or `no`, then the reason. Exit code 0 allowed, 2 denied, 3 no opinion.
            """)

    @OptionGroup var request: RequestOptions
    @OptionGroup var policy: PolicyOptions

    @Flag(name: [.short, .long], help: "Print nothing; the exit code is the answer.")
    var quiet = false

    func run() throws {
        let compiled = try policy.load()
        let accessRequest = try request.request()
        for warning in KubectlArguments.warnings(for: accessRequest) { Console.note("warning: \(warning)") }
        let result = compiled.authorize(accessRequest, defaultDecision: policy.defaultDecision.decision)
        if !quiet {
            let answer = result.decision == .allow ? "yes" : "no"
            Console.out(result.reason.isEmpty ? answer : "\(answer) - \(result.reason)")
            if let error = result.evaluationError, !error.isEmpty, !result.reason.contains(error) {
                Console.note("evaluation error: \(error)")
            }
        }
        throw result.decision.exitCode
    }
}
