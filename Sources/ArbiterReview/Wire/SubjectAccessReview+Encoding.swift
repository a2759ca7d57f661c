public import ArbiterPolicy

// MARK: - Encoding to JSON bytes

extension SubjectAccessReview {
    /// The webhook response: this review with its status set from `result`.
    ///
    /// Like kube-apiserver's SAR endpoints, the response is the request object with `status`
    /// filled in: `kind` and `apiVersion` are echoed, then `metadata`, the `spec` as received (the
    /// group list under the key of the review's version) and `status`. `allowed` is always
    /// written, `denied` only when true, `reason` and `evaluationError` only when not empty.
    public func encodeResponse(result: AuthorizationResult) -> [UInt8] {
        encode(status: Status(result))
    }

    /// The short webhook response: `kind`, `apiVersion` and `status` only.
    ///
    /// kube-apiserver's webhook authorizer (and client-go's delegating authorizer) read nothing
    /// but `status`; not echoing the spec makes the answer a fraction of the size and of the
    /// cost. The REST endpoints, where kubectl prints the returned object, use
    /// ``encodeResponse(result:)``.
    public func encodeStatusResponse(result: AuthorizationResult) -> [UInt8] {
        let status = Status(result)
        return JSONWriter.makeBytes(capacity: 256) { writer in
            writer.append("{\"kind\":")
            writer.appendString(kind)
            writer.append(",\"apiVersion\":")
            writer.appendString(apiVersion)
            writer.append(",\"status\":")
            status.write(to: &writer)
            writer.append("}")
        }
    }

    /// The webhook response for `review` and `result`; see ``encodeResponse(result:)``.
    public static func encodeResponse(for review: SubjectAccessReview, result: AuthorizationResult) -> [UInt8] {
        review.encode(status: Status(result))
    }

    /// The whole review, with its current ``status``, as compact JSON.
    public func jsonBytes() -> [UInt8] {
        encode(status: status)
    }

    private func encode(status: Status) -> [UInt8] {
        // Typical responses fit; staying under ~1 KiB keeps the allocation in malloc's
        // per-thread cache.
        JSONWriter.makeBytes(capacity: 1000) { writer in
            writer.append("{\"kind\":")
            writer.appendString(kind)
            writer.append(",\"apiVersion\":")
            writer.appendString(apiVersion)
            writer.append(",")
            metadata.write(to: &writer)
            writer.append(",\"spec\":")
            spec.write(to: &writer, groupsKey: version == .v1beta1 ? .group : .groups)
            writer.append(",\"status\":")
            status.write(to: &writer)
            writer.append("}")
        }
    }
}

extension SubjectAccessReview.Spec {
    /// Writes the spec in Go's field order, empty fields omitted (`omitempty`), `extra` sorted by
    /// key bytes as Go sorts map keys.
    func write(to writer: inout JSONWriter, groupsKey: GroupsKey) {
        writer.append("{")
        var comma = false
        if let resourceAttributes {
            writer.appendKey("\"resourceAttributes\":", comma: &comma)
            resourceAttributes.write(to: &writer)
        }
        if let nonResourceAttributes {
            writer.appendKey("\"nonResourceAttributes\":", comma: &comma)
            writer.append("{")
            var innerComma = false
            writer.appendField("\"path\":", nonResourceAttributes.path, comma: &innerComma)
            writer.appendField("\"verb\":", nonResourceAttributes.verb, comma: &innerComma)
            writer.append("}")
        }
        writer.appendField("\"user\":", user, comma: &comma)
        writer.appendField(groupsKey == .group ? "\"group\":" : "\"groups\":", groups, comma: &comma)
        if !extraStorage.isEmpty {
            writer.appendKey("\"extra\":", comma: &comma)
            extraStorage.write(to: &writer)
        }
        writer.appendField("\"uid\":", uid, comma: &comma)
        writer.append("}")
    }
}

extension SubjectAccessReview.ResourceAttributes {
    /// Writes the attributes in Go's field order, empty fields omitted.
    func write(to writer: inout JSONWriter) {
        writer.append("{")
        var comma = false
        writer.appendField("\"namespace\":", namespace, comma: &comma)
        writer.appendField("\"verb\":", verb, comma: &comma)
        writer.appendField("\"group\":", group, comma: &comma)
        writer.appendField("\"version\":", version, comma: &comma)
        writer.appendField("\"resource\":", resource, comma: &comma)
        writer.appendField("\"subresource\":", subresource, comma: &comma)
        writer.appendField("\"name\":", name, comma: &comma)
        if let fieldSelector {
            writer.appendKey("\"fieldSelector\":", comma: &comma)
            fieldSelector.write(to: &writer)
        }
        if let labelSelector {
            writer.appendKey("\"labelSelector\":", comma: &comma)
            labelSelector.write(to: &writer)
        }
        writer.append("}")
    }
}

extension SubjectAccessReview.Status {
    /// Writes the status; a status that says both allowed and denied is written as denied only
    /// (fail closed: kube-apiserver would treat it as a deny anyway).
    func write(to writer: inout JSONWriter) {
        let isDenied = denied
        let isAllowed = allowed && !isDenied
        writer.append(isAllowed ? "{\"allowed\":true" : "{\"allowed\":false")
        if isDenied { writer.append(",\"denied\":true") }
        var comma = true
        writer.appendField("\"reason\":", reason, comma: &comma)
        writer.appendField("\"evaluationError\":", evaluationError, comma: &comma)
        writer.append("}")
    }
}
