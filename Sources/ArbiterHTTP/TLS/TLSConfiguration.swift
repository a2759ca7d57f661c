/// What a ``TLSContext`` is built from: certificate material, client authentication and the
/// protocol policy.
///
/// The defaults follow Mozilla's "intermediate" profile: TLS 1.2 and 1.3 only, AEAD cipher suites
/// with forward secrecy (ECDHE only; no DHE, since we ship no DH parameters), groups X25519, P-256 and
/// P-384, no compression and no renegotiation.
public struct TLSConfiguration: Sendable {
    /// How client certificates are handled.
    public enum ClientAuthentication: Sendable {
        /// A client certificate that chains to ``TLSConfiguration/clientCAPath`` is mandatory (default).
        case require
        /// A certificate is requested and verified when sent; a client may send none.
        case optional
        /// No certificate is requested; requests carry no ``PeerIdentity``.
        case none
    }

    /// The TLS 1.2 cipher list of Mozilla's intermediate profile, ECDHE only.
    public static let intermediateCipherList =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
        + "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
    /// The TLS 1.3 cipher suites of Mozilla's intermediate profile.
    public static let intermediateCipherSuites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
    /// The key-exchange groups of Mozilla's intermediate profile.
    public static let intermediateGroups = "X25519:P-256:P-384"

    /// PEM file with the server certificate first, then its intermediates (ECDSA or RSA).
    public var certificateChainPath: String
    /// PEM file with the server's private key.
    public var privateKeyPath: String
    /// PEM bundle of the CAs that sign client certificates; required unless ``clientAuthentication`` is `.none`.
    public var clientCAPath: String?
    public var clientAuthentication: ClientAuthentication
    /// OpenSSL cipher list for TLS 1.2.
    public var cipherList: String
    /// OpenSSL cipher suites for TLS 1.3.
    public var cipherSuites: String
    /// OpenSSL group list (key exchange).
    public var groups: String
    /// Maximum client chain depth accepted (intermediates between the leaf and the CA).
    public var verifyDepth: Int32
    /// How many verified client chains a context remembers (0: none), so that a client reconnecting
    /// with the same certificates skips the chain verification. Proof of possession (the client's
    /// CertificateVerify signature) is still checked on every handshake; see ``TLSContext``.
    public var verifiedChainCacheCapacity: Int
    /// The longest a remembered chain is trusted without verifying it again; never past the
    /// earliest `notAfter` of the chain.
    public var verifiedChainCacheLifetime: Duration

    public init(
        certificateChainPath: String, privateKeyPath: String, clientCAPath: String?,
        clientAuthentication: ClientAuthentication = .require,
        cipherList: String = TLSConfiguration.intermediateCipherList,
        cipherSuites: String = TLSConfiguration.intermediateCipherSuites,
        groups: String = TLSConfiguration.intermediateGroups,
        verifyDepth: Int32 = 4,
        verifiedChainCacheCapacity: Int = 1024,
        verifiedChainCacheLifetime: Duration = .seconds(300)
    ) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
        self.clientCAPath = clientCAPath
        self.clientAuthentication = clientAuthentication
        self.cipherList = cipherList
        self.cipherSuites = cipherSuites
        self.groups = groups
        self.verifyDepth = verifyDepth
        self.verifiedChainCacheCapacity = verifiedChainCacheCapacity
        self.verifiedChainCacheLifetime = verifiedChainCacheLifetime
    }
}
