// MARK: - Semantic validation

extension SubjectAccessReview {
    /// Checks what the JSON syntax cannot: the version, the kind and the shape of the spec.
    ///
    /// Rules, as kube-apiserver's own SAR endpoints apply them:
    /// - `apiVersion` is `authorization.k8s.io/v1` or `authorization.k8s.io/v1beta1`;
    /// - `kind` is exactly `expected`;
    /// - exactly one of `resourceAttributes` and `nonResourceAttributes` is set;
    /// - a SubjectAccessReview or LocalSubjectAccessReview names a user or at least one group;
    /// - a LocalSubjectAccessReview has resource attributes in its own `metadata.namespace`.
    ///
    /// All comparisons are byte-exact. A SelfSubjectAccessReview's `spec` identity fields are
    /// not checked: the caller's own identity is what counts (see ``accessRequest(user:groups:)``).
    ///
    /// - Throws: ``ReviewDecodingError`` with no offset.
    public func validate(expecting expected: ReviewKind) throws(ReviewDecodingError) {
        guard version != nil else {
            throw ReviewDecodingError(
                .unsupportedAPIVersion,
                message: apiVersion.isEmpty
                    ? "missing apiVersion (expected `authorization.k8s.io/v1` or `authorization.k8s.io/v1beta1`)"
                    : "unsupported apiVersion \(quotedValue(apiVersion)) (expected `authorization.k8s.io/v1` or `authorization.k8s.io/v1beta1`)"
            )
        }
        guard expected != .selfSubjectRulesReview, utf8Equal(kind, expected.rawValue) else {
            throw ReviewDecodingError(
                .unexpectedKind,
                message: kind.isEmpty
                    ? "missing kind (expected `\(expected.rawValue)`)"
                    : "unexpected kind \(quotedValue(kind)) (expected `\(expected.rawValue)`)"
            )
        }
        switch (spec.resourceAttributes, spec.nonResourceAttributes) {
        case (nil, nil):
            throw ReviewDecodingError(
                .missingAttributes,
                message: "spec has neither resourceAttributes nor nonResourceAttributes"
            )
        case (.some, .some):
            throw ReviewDecodingError(
                .conflictingAttributes,
                message: "spec has both resourceAttributes and nonResourceAttributes"
            )
        default:
            break
        }
        if expected != .selfSubjectAccessReview, spec.user.isEmpty, spec.groups.isEmpty {
            throw ReviewDecodingError(.missingSubject, message: "spec names neither a user nor a group")
        }
        if expected == .localSubjectAccessReview {
            // kube-apiserver: "namespace is required on this type".
            guard !metadata.namespace.isEmpty else {
                throw ReviewDecodingError(.namespaceMismatch, message: "a LocalSubjectAccessReview needs metadata.namespace")
            }
            guard let attributes = spec.resourceAttributes else {
                throw ReviewDecodingError(
                    .namespaceMismatch,
                    message: "a LocalSubjectAccessReview cannot have nonResourceAttributes"
                )
            }
            guard utf8Equal(attributes.namespace, metadata.namespace) else {
                throw ReviewDecodingError(
                    .namespaceMismatch,
                    message:
                        "spec.resourceAttributes.namespace \(quotedValue(attributes.namespace)) does not match metadata.namespace \(quotedValue(metadata.namespace))"
                )
            }
        }
    }
}

/// A user-supplied value for an error message: in backticks, at most 64 characters, control
/// characters written as `\u{..}` so a message never spans lines.
func quotedValue(_ value: String) -> String {
    var text = ""
    for (count, scalar) in value.unicodeScalars.enumerated() {
        if count == 64 {
            text += "…"
            break
        }
        // C0 and C1 controls (NEL among them), the line and paragraph separators, and the
        // backquote that delimits the value.
        if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
            || scalar.value == 0x60
        {
            text += "\\u{\(String(scalar.value, radix: 16))}"
        } else {
            text.unicodeScalars.append(scalar)
        }
    }
    return "`\(text)`"
}
