import ArbiterPolicy
import Testing

/// kubectl's `auth can-i` arguments, offline: resource resolution and the groups of `--as`.
@Suite struct KubectlArgumentsTests {
    @Test(arguments: [
        ("pods", "pods", ""),
        ("Pods", "pods", ""),
        ("po", "pods", ""),
        ("pod", "pods", ""),
        ("deploy", "deployments", "apps"),
        ("Deployments", "deployments", "apps"),
        ("deployment.apps", "deployments", "apps"),
        ("deployments.apps", "deployments", "apps"),
        ("deployments.v1.apps", "deployments", "apps"),
        ("hpa.v2.autoscaling", "horizontalpodautoscalers", "autoscaling"),
        ("cronjobs.v1beta1.batch", "cronjobs", "batch"),
        ("ingress", "ingresses", "networking.k8s.io"),
        ("networkpolicy", "networkpolicies", "networking.k8s.io"),
        ("storageclass", "storageclasses", "storage.k8s.io"),
        ("endpoints", "endpoints", ""),
        ("componentstatus", "componentstatuses", ""),
        ("lease", "leases", "coordination.k8s.io"),
        // Unknown names stay as written; a middle part that is no version stays in the group.
        ("widgets.example.com", "widgets", "example.com"),
        ("widgets.v1.example.com", "widgets", "example.com"),
        ("widgets.version1.example.com", "widgets", "version1.example.com"),
        ("widgets.v01.example.com", "widgets", "v01.example.com"),
        ("pod.example.com", "pod", "example.com"),
        ("frobs", "frobs", ""),
    ])
    func resourceArguments(argument: String, resource: String, group: String) throws {
        let request = try KubectlArguments.request(
            verb: "get", target: argument + "/x", namespace: "ns", subresource: "", user: "u", groups: [])
        guard case .resource(let attributes) = request.attributes else {
            Issue.record("not a resource request")
            return
        }
        #expect(attributes.resource == resource)
        #expect(attributes.group == group)
        #expect(attributes.name == "x")
    }

    @Test func namesAndVerbsKeepTheirCase() throws {
        let request = try KubectlArguments.request(
            verb: "GET", target: "Pods/MyPod", namespace: "ns", subresource: "", user: "u", groups: [])
        guard case .resource(let attributes) = request.attributes else {
            Issue.record("not a resource request")
            return
        }
        #expect(attributes.verb == "GET")
        #expect(attributes.name == "MyPod")
        #expect(attributes.resource == "pods")
    }

    @Test(arguments: [
        ("jane", [], ["system:authenticated"]),
        ("jane", ["dev"], ["dev", "system:authenticated"]),
        ("jane", ["system:authenticated"], ["system:authenticated"]),
        ("jane", ["system:unauthenticated"], ["system:unauthenticated"]),
        ("system:anonymous", [], ["system:unauthenticated"]),
        ("system:anonymous", ["system:authenticated"], ["system:authenticated", "system:unauthenticated"]),
        (
            "system:serviceaccount:ci:deployer", [],
            ["system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"]
        ),
        // Given groups replace a service account's own, as in kube-apiserver.
        ("system:serviceaccount:ci:deployer", ["dev"], ["dev", "system:authenticated"]),
        // Not a service-account name: a user like any other.
        ("system:serviceaccount:ci", [], ["system:authenticated"]),
        ("system:serviceaccount:ci:a:b", [], ["system:authenticated"]),
        // kube-apiserver's SplitUsername: a DNS-label namespace and a DNS-subdomain name.
        ("system:serviceaccount:CI:deployer", [], ["system:authenticated"]),
        ("system:serviceaccount:ci:Deployer", [], ["system:authenticated"]),
        ("system:serviceaccount:ci:deployer.v2", [], ["system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"]),
        // A subdomain's parts may be longer than a label (only the whole is bounded, by 253).
        (
            "system:serviceaccount:ci:" + String(repeating: "a", count: 64), [],
            ["system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"]
        ),
        ("system:serviceaccount:" + String(repeating: "n", count: 64) + ":sa", [], ["system:authenticated"]),
        ("system:serviceaccount:ci:" + String(repeating: "a", count: 254), [], ["system:authenticated"]),
    ])
    func impersonatedGroups(user: String, groups: [String], expected: [String]) {
        #expect(KubectlArguments.impersonatedGroups(user: user, groups: groups) == expected)
    }
}
