/// The identity of a verified client certificate, as Kubernetes reads it.
///
/// Kubernetes' x509 authenticator takes the subject CN as the user name and every subject O as a
/// group. Only a certificate that passed chain verification produces a `PeerIdentity`.
public struct PeerIdentity: Sendable, Hashable {
    /// Subject common name (the user).
    public var commonName: String
    /// Every subject organization, in certificate order (the groups).
    public var organizations: [String]
    /// DNS, IP and URI subject alternative names, rendered as text.
    public var subjectAlternativeNames: [String]
    /// Lower-case hex SHA-256 of the DER certificate.
    public var sha256Fingerprint: String

    public init(
        commonName: String, organizations: [String] = [], subjectAlternativeNames: [String] = [],
        sha256Fingerprint: String = ""
    ) {
        self.commonName = commonName
        self.organizations = organizations
        self.subjectAlternativeNames = subjectAlternativeNames
        self.sha256Fingerprint = sha256Fingerprint
    }
}
