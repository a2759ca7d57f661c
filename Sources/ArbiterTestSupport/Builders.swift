public import ArbiterPolicy

/// Fluent builders for requests and policies in tests (k8s `TestAuthorizer` style).
extension AccessRequest {
    /// A resource request.
    public static func resource(
        _ verb: String, _ resource: String, subresource: String = "", group: String = "", namespace: String = "",
        name: String = "", user: String, groups: [String] = []
    ) -> AccessRequest {
        AccessRequest(
            user: user, groups: groups,
            attributes: .resource(
                ResourceAttributes(
                    namespace: namespace, verb: verb, group: group, version: "v1", resource: resource,
                    subresource: subresource, name: name)))
    }

    /// A non-resource request.
    public static func path(_ verb: String, _ path: String, user: String, groups: [String] = []) -> AccessRequest {
        AccessRequest(user: user, groups: groups, attributes: .nonResource(NonResourceAttributes(path: path, verb: verb)))
    }
}

/// Loads YAML text and compiles it, failing loudly on any error (tests only).
public func compilePolicy(_ yaml: String, file: String = "test.yaml") throws -> CompiledPolicy {
    let result = PolicyLoader.combine([PolicyLoader.load(yaml, file: file)])
    if let error = result.errors.first { throw error }
    return PolicyCompiler.compile(result.set)
}

/// Loads YAML text into a policy set, failing loudly on any error (tests only).
public func loadPolicySet(_ yaml: String, file: String = "test.yaml") throws -> PolicySet {
    let result = PolicyLoader.combine([PolicyLoader.load(yaml, file: file)])
    if let error = result.errors.first { throw error }
    return result.set
}

/// The path of `shared/` (beside the repository), where fixtures and the benchmark generator live.
public func sharedDirectory(file: StaticString = #filePath) -> String {
    var parts = "\(file)".split(separator: "/", omittingEmptySubsequences: false)
    while let last = parts.last, last != "Tests" { parts.removeLast() }
    parts.removeLast()  // Tests
    parts.removeLast()  // repository
    return parts.joined(separator: "/") + "/shared"
}
