import COpenSSL

/// Why a TLS handshake failed, for metrics (one counter per case) and logs.
public enum HandshakeFailure: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// Client authentication is required and the client sent no certificate.
    case noCertificate
    /// The client certificate does not chain to a configured client CA.
    case unknownCA
    /// The client certificate (or a certificate in its chain) has expired.
    case expired
    /// A protocol-level failure: version, cipher, ALPN, malformed records, or a non-TLS client.
    case protocolError
    /// The handshake did not finish within the handshake timeout.
    case timeout
    /// Anything else, including the peer closing mid-handshake.
    case other

    public var description: String {
        switch self {
        case .noCertificate: "no certificate"
        case .unknownCA: "unknown CA"
        case .expired: "expired"
        case .protocolError: "protocol"
        case .timeout: "timeout"
        case .other: "other"
        }
    }

    /// Classifies a failed handshake from the verification result and OpenSSL's error queue.
    ///
    /// Reads (and does not clear) the queue; call before anything else touches it on this thread.
    static func classify(ssl: OpaquePointer, sslError: Int32) -> HandshakeFailure {
        let verify = Int32(SSL_get_verify_result(ssl))
        switch verify {
        case X509_V_OK:
            break
        case X509_V_ERR_CERT_HAS_EXPIRED:
            return .expired
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
            X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
            X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, X509_V_ERR_CERT_SIGNATURE_FAILURE:
            return .unknownCA
        default:
            return .other
        }
        guard sslError == SSL_ERROR_SSL else { return .other }
        let error = ERR_peek_error()
        guard error != 0 else { return .other }
        if COpenSSL_ERR_GET_LIB(error) == COpenSSL_ERR_LIB_SSL {
            if COpenSSL_ERR_GET_REASON(error) == COpenSSL_SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE {
                return .noCertificate
            }
            return .protocolError
        }
        return .other
    }
}
