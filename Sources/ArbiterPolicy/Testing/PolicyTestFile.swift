/// A policy test file (`arbiter.dev/v1alpha1`, `kind: PolicyTest`): policies plus reviews with
/// their expected decisions, run by `arbiter test`.
///
/// ```yaml
/// apiVersion: arbiter.dev/v1alpha1
/// kind: PolicyTest
/// metadata: {name: scheduler}
/// policies: [scheduler.yaml]        # relative to this file: files or directories
/// defaultDecision: NoOpinion        # optional: NoOpinion (default) or Deny
/// cases:
/// - name: scheduler binds pods
///   request:                        # a SubjectAccessReview spec (v1 field names)
///     user: system:kube-scheduler
///     groups: [system:authenticated]
///     resourceAttributes: {verb: create, resource: pods, subresource: binding, namespace: default}
///   expect: Allow                   # Allow | Deny | NoOpinion
///   reason: '...'                   # optional, compared exactly
/// ```
public struct PolicyTestFile: Sendable {
    public struct Case: Sendable {
        public var name: String
        public var request: AccessRequest
        public var expect: Decision
        public var reason: String?
        public var location: SourceLocation
    }

    public var name: String
    /// Policy paths as written (relative to the test file's directory unless absolute).
    public var policies: [String]
    public var defaultDecision: Decision
    public var cases: [Case]

    /// Parses every `PolicyTest` document of a file; other documents are ignored.
    public static func parse(_ bytes: [UInt8], file: String) throws(PolicyError) -> [PolicyTestFile] {
        let tree = try YAMLTreeBuilder.parse(bytes, file: file)
        let reader = NodeReader(tree: tree, file: file)
        var tests: [PolicyTestFile] = []
        for root in tree.documents {
            guard let root, !reader.isNull(root) else { continue }
            let fields = try reader.mapping(root, "a document")
            var kind = ""
            var apiVersion = ""
            for field in fields {
                if field.key == "kind" { kind = try reader.string(field.value, "`kind`") ?? "" }
                if field.key == "apiVersion" { apiVersion = try reader.string(field.value, "`apiVersion`") ?? "" }
            }
            // A test file holds tests only: a misspelt kind or version would otherwise skip its
            // cases and report success with nothing run.
            guard kind == "PolicyTest", apiVersion == PolicyDecoder.arbiterAPIVersion else {
                throw PolicyError(
                    .invalidValue,
                    "not a PolicyTest (`apiVersion: \(apiVersion)`, `kind: \(kind)`): a test file holds `\(PolicyDecoder.arbiterAPIVersion)` PolicyTest documents only",
                    at: reader.location(root))
            }
            tests.append(try parseTest(fields, reader: reader, at: root))
        }
        return tests
    }

    private static func parseTest(
        _ fields: [(key: String?, keyNode: Int32, value: Int32)], reader: NodeReader, at root: Int32
    ) throws(PolicyError) -> PolicyTestFile {
        var test = PolicyTestFile(name: "", policies: [], defaultDecision: .noOpinion, cases: [])
        for field in fields {
            switch field.key {
            case "apiVersion", "kind": break
            case "metadata":
                for entry in try reader.mapping(field.value, "`metadata`") where entry.key == "name" {
                    test.name = try reader.string(entry.value, "`metadata.name`") ?? ""
                }
            case "policies": test.policies = try reader.stringList(field.value, "`policies`")
            case "defaultDecision":
                let text = try reader.string(field.value, "`defaultDecision`") ?? ""
                guard let decision = decision(text), decision != .allow else {
                    throw PolicyError(.invalidValue, "`defaultDecision` must be `NoOpinion` or `Deny`", at: reader.location(field.value))
                }
                test.defaultDecision = decision
            case "cases":
                for node in try reader.list(field.value, "`cases`") { test.cases.append(try parseCase(node, reader: reader)) }
            default:
                throw PolicyError(
                    .invalidValue, "unknown field `\(reader.tree.scalar(reader.tree[field.keyNode]))` in PolicyTest",
                    at: reader.location(field.keyNode))
            }
        }
        if test.policies.isEmpty {
            throw PolicyError(.missingField, "PolicyTest has no `policies`", at: reader.location(root))
        }
        if test.cases.isEmpty {
            throw PolicyError(.missingField, "PolicyTest has no `cases`", at: reader.location(root))
        }
        return test
    }

    static func decision(_ text: String) -> Decision? {
        switch text {
        case "Allow": return .allow
        case "Deny": return .deny
        case "NoOpinion": return .noOpinion
        default: return nil
        }
    }

    private static func parseCase(_ node: Int32, reader: NodeReader) throws(PolicyError) -> Case {
        var name = ""
        var request: AccessRequest? = nil
        var expect: Decision? = nil
        var reason: String? = nil
        for field in try reader.mapping(node, "a case") {
            switch field.key {
            case "name": name = try reader.string(field.value, "`name`") ?? ""
            case "request": request = try parseRequest(field.value, reader: reader)
            case "expect":
                let text = try reader.string(field.value, "`expect`") ?? ""
                guard let decision = decision(text) else {
                    throw PolicyError(.invalidValue, "`expect` must be `Allow`, `Deny` or `NoOpinion`, not `\(text)`", at: reader.location(field.value))
                }
                expect = decision
            case "reason": reason = try reader.string(field.value, "`reason`") ?? ""
            default:
                throw PolicyError(
                    .invalidValue, "unknown field `\(reader.tree.scalar(reader.tree[field.keyNode]))` in a case",
                    at: reader.location(field.keyNode))
            }
        }
        let at = reader.location(node)
        guard let request else { throw PolicyError(.missingField, "case `\(name)` has no `request`", at: at) }
        guard let expect else { throw PolicyError(.missingField, "case `\(name)` has no `expect`", at: at) }
        return Case(name: name.isEmpty ? "line \(at.line)" : name, request: request, expect: expect, reason: reason, location: at)
    }

    private static func parseRequest(_ node: Int32, reader: NodeReader) throws(PolicyError) -> AccessRequest {
        var user = ""
        var groups: [String] = []
        var resource: ResourceAttributes? = nil
        var nonResource: NonResourceAttributes? = nil
        for field in try reader.mapping(node, "`request`") {
            switch field.key {
            case "user": user = try reader.string(field.value, "`user`") ?? ""
            case "groups": groups = try reader.stringList(field.value, "`groups`")
            case "resourceAttributes":
                var r = ResourceAttributes(verb: "", resource: "")
                for entry in try reader.mapping(field.value, "`resourceAttributes`") {
                    let value = try reader.string(entry.value, "`\(entry.key ?? "")`") ?? ""
                    switch entry.key {
                    case "namespace": r.namespace = value
                    case "verb": r.verb = value
                    case "group": r.group = value
                    case "version": r.version = value
                    case "resource": r.resource = value
                    case "subresource": r.subresource = value
                    case "name": r.name = value
                    default:
                        throw PolicyError(.invalidValue, "unknown field `\(entry.key ?? "?")` in `resourceAttributes`", at: reader.location(entry.keyNode))
                    }
                }
                resource = r
            case "nonResourceAttributes":
                var n = NonResourceAttributes(path: "", verb: "")
                for entry in try reader.mapping(field.value, "`nonResourceAttributes`") {
                    let value = try reader.string(entry.value, "`\(entry.key ?? "")`") ?? ""
                    switch entry.key {
                    case "path": n.path = value
                    case "verb": n.verb = value
                    default:
                        throw PolicyError(.invalidValue, "unknown field `\(entry.key ?? "?")` in `nonResourceAttributes`", at: reader.location(entry.keyNode))
                    }
                }
                nonResource = n
            case "extra", "uid": break
            default:
                throw PolicyError(
                    .invalidValue, "unknown field `\(reader.tree.scalar(reader.tree[field.keyNode]))` in `request`",
                    at: reader.location(field.keyNode))
            }
        }
        let at = reader.location(node)
        switch (resource, nonResource) {
        case (let r?, nil): return AccessRequest(user: user, groups: groups, attributes: .resource(r))
        case (nil, let n?): return AccessRequest(user: user, groups: groups, attributes: .nonResource(n))
        default:
            throw PolicyError(.invalidValue, "`request` needs exactly one of `resourceAttributes` and `nonResourceAttributes`", at: at)
        }
    }
}
