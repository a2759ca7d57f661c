import ArbiterPolicy
import Testing

/// The kubelet's path → subresource mapping (`pkg/kubelet/server/auth.go`).
struct KubeletRequestTests {
    @Test(arguments: [
        ("/stats/summary", true, ["stats"]),
        ("/stats", false, ["stats"]),
        ("/statsx", false, ["proxy"]),
        ("/metrics/cadvisor", true, ["metrics"]),
        ("/metrics", false, ["metrics"]),
        ("/logs/syslog", true, ["log"]),
        ("/checkpoint/ns/pod/c", true, ["checkpoint"]),
        ("/containerLogs/default/web/app", true, ["proxy"]),
        ("/exec/default/web/app", true, ["proxy"]),
        ("/pods", true, ["pods", "proxy"]),
        ("/pods", false, ["proxy"]),
        ("/runningpods/", true, ["pods", "proxy"]),
        ("/healthz", true, ["healthz", "proxy"]),
        ("/healthz/ping", true, ["healthz", "proxy"]),
        ("/configz", true, ["configz", "proxy"]),
        ("/configz", false, ["proxy"]),
        ("/spec/", true, ["proxy"]),
    ])
    func pathsMapToSubresources(_ path: String, _ fineGrained: Bool, _ expected: [String]) {
        #expect(KubeletRequest.subresources(forPath: path, fineGrained: fineGrained) == expected)
    }

    @Test func methodsMapToVerbs() {
        #expect(KubeletRequest.verb(forMethod: "GET") == "get")
        #expect(KubeletRequest.verb(forMethod: "POST") == "create")
        #expect(KubeletRequest.verb(forMethod: "PUT") == "update")
        #expect(KubeletRequest.verb(forMethod: "PATCH") == "patch")
        #expect(KubeletRequest.verb(forMethod: "DELETE") == "delete")
        #expect(KubeletRequest.verb(forMethod: "HEAD") == "")
    }

    @Test func checksAreOnTheNamedNode() {
        let checks = KubeletRequest.checks(node: "n1", method: "GET", path: "/healthz", user: "u", groups: ["g"], fineGrained: true)
        #expect(checks.count == 2)
        guard case .resource(let first) = checks[0].attributes else {
            Issue.record("expected a resource request")
            return
        }
        #expect(first.resource == "nodes" && first.name == "n1" && first.namespace.isEmpty && first.group.isEmpty)
        #expect(first.subresource == "healthz")
    }
}
