import COpenSSL
import Synchronization

/// A configured OpenSSL `SSL_CTX` shared by every connection of the server.
///
/// INVARIANT (read-only-context): the context is configured completely in `init` and never changed
/// afterwards; connections only call `SSL_new` on it, which OpenSSL allows from any thread. That is
/// what makes the `@unchecked Sendable` sound. A certificate or CA rotation builds a new
/// `TLSContext` and hands it to ``HTTPServer/replaceTLSContext(_:)``: new connections use the new
/// one, established connections keep theirs (each `SSL` holds a reference to its `SSL_CTX`).
///
/// Session resumption is **off**: no session cache, no session tickets (TLS 1.2 or 1.3). A resumed
/// session would carry the identity verified at the first handshake, possibly against a CA bundle
/// that has since been rotated out, and resumption needs ticket-key rotation to keep forward
/// secrecy. Arbiter's clients (kube-apiserver) hold long-lived connections, so a full handshake per
/// connection costs little. The session id context is still set, because OpenSSL requires it
/// whenever client certificates are verified (platform-notes TLS pitfall 1).
///
/// What a context *does* remember is which client certificate chains passed verification against
/// its own CA bundle (``VerifiedChainCache``): a reconnecting client then skips the chain check but
/// still proves possession of its key with a full handshake. Unlike a resumed session this
/// cannot outlive a CA rotation, because the cache belongs to the context.
public final class TLSContext: @unchecked Sendable {
    /// The underlying `SSL_CTX *`; read-only after `init` (see the invariant above).
    let context: OpaquePointer
    /// True when ALPN offers `h2` ahead of `http/1.1`.
    public let offersHTTP2: Bool
    /// The configuration this context was built from.
    public let configuration: TLSConfiguration
    /// Client chains verified against this context's CA bundle; `nil` without client
    /// authentication or with a capacity of 0. Referenced by the `SSL_CTX`'s verify callback,
    /// which only runs in handshakes of connections that hold this context.
    let verifiedChains: VerifiedChainCache?

    /// Builds a server context.
    ///
    /// - Parameters:
    ///   - configuration: certificates, client authentication and protocol policy.
    ///   - offerHTTP2: offer `h2` in ALPN (only when an HTTP/2 handler is configured).
    ///   - chainCacheTotals: counters the verified-chain cache adds its hits and misses to, besides
    ///     its own (``verifiedChainCacheHits``): the server's, which outlive the context.
    /// - Throws: ``TLSError`` naming the file or setting OpenSSL rejected.
    public init(
        configuration: TLSConfiguration, offerHTTP2: Bool, chainCacheTotals: VerifiedChainCacheCounters? = nil
    ) throws(TLSError) {
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw TLSError.fromQueue(.allocation, "cannot allocate an SSL_CTX")
        }
        self.context = context
        self.offersHTTP2 = offerHTTP2
        self.configuration = configuration
        self.verifiedChains =
            configuration.clientAuthentication == .none
            ? nil
            : VerifiedChainCache(
                policy: .init(
                    capacity: configuration.verifiedChainCacheCapacity,
                    lifetime: configuration.verifiedChainCacheLifetime),
                totals: chainCacheTotals)
        // From here on a throw runs deinit, which frees the context.
        try self.configureProtocol()
        try self.loadServerCertificate()
        try self.configureClientAuthentication()
        self.fixCertificateChain()
        try self.refuseExpiredCertificate()
        self.configureSessions()
        if offerHTTP2 {
            SSL_CTX_set_alpn_select_cb(context, alpnSelectHTTP2OrHTTP1, nil)
        } else {
            SSL_CTX_set_alpn_select_cb(context, alpnSelectHTTP1Only, nil)
        }
    }

    deinit {
        SSL_CTX_free(self.context)
    }

    // MARK: - Configuration steps

    private func configureProtocol() throws(TLSError) {
        let c = self.configuration
        guard COpenSSL_SSL_CTX_set_min_proto_version(self.context, TLS1_2_VERSION) == 1,
            COpenSSL_SSL_CTX_set_max_proto_version(self.context, TLS1_3_VERSION) == 1
        else { throw TLSError.fromQueue(.protocolPolicy, "cannot restrict the protocol to TLS 1.2 and 1.3") }
        guard SSL_CTX_set_cipher_list(self.context, c.cipherList) == 1 else {
            throw TLSError.fromQueue(.protocolPolicy, "rejected cipher list `\(c.cipherList)`")
        }
        guard SSL_CTX_set_ciphersuites(self.context, c.cipherSuites) == 1 else {
            throw TLSError.fromQueue(.protocolPolicy, "rejected TLS 1.3 cipher suites `\(c.cipherSuites)`")
        }
        guard COpenSSL_SSL_CTX_set1_groups_list(self.context, c.groups) == 1 else {
            throw TLSError.fromQueue(.protocolPolicy, "rejected group list `\(c.groups)`")
        }
        SSL_CTX_set_options(
            self.context,
            COpenSSL_SSL_OP_NO_COMPRESSION | COpenSSL_SSL_OP_NO_RENEGOTIATION
                | COpenSSL_SSL_OP_CIPHER_SERVER_PREFERENCE | COpenSSL_SSL_OP_NO_TICKET
                | COpenSSL_SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION
                // A peer that closes without close_notify is a normal close for us (HTTP framing is
                // explicit, so truncation is detected above TLS); without this OpenSSL 3 reports it
                // as a fatal SSL error and it would be counted as one.
                | COpenSSL_SSL_OP_IGNORE_UNEXPECTED_EOF)
        // Partial writes and moving buffers let the connection retry SSL_write from its own buffer.
        _ = COpenSSL_SSL_CTX_set_mode(
            self.context,
            COpenSSL_SSL_MODE_ENABLE_PARTIAL_WRITE | COpenSSL_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                | COpenSSL_SSL_MODE_RELEASE_BUFFERS)
        // Read whole socket buffers instead of a 5-byte record header and then the record: one read
        // syscall per request instead of two. Bytes read ahead stay inside OpenSSL, which the
        // connection handles anyway (pitfall 4: it checks `SSL_has_pending`).
        COpenSSL_SSL_CTX_set_read_ahead(self.context, 1)
    }

    private func loadServerCertificate() throws(TLSError) {
        let c = self.configuration
        guard SSL_CTX_use_certificate_chain_file(self.context, c.certificateChainPath) == 1 else {
            throw TLSError.fromQueue(.certificateChain, "cannot load certificate chain `\(c.certificateChainPath)`")
        }
        guard SSL_CTX_use_PrivateKey_file(self.context, c.privateKeyPath, SSL_FILETYPE_PEM) == 1 else {
            throw TLSError.fromQueue(.privateKey, "cannot load private key `\(c.privateKeyPath)`")
        }
        guard SSL_CTX_check_private_key(self.context) == 1 else {
            throw TLSError.fromQueue(.privateKey, "private key `\(c.privateKeyPath)` does not match the certificate")
        }
    }

    /// Refuses a serving certificate every client would refuse: an expired leaf, or an expired
    /// certificate that issued it in the chain as sent (from the file, or built from the client-CA
    /// bundle by ``fixCertificateChain()``). A rotation to one then keeps the old material, and
    /// says why, instead of breaking every client.
    ///
    /// Not refused: a certificate not yet valid (issued a few seconds "in the future" by a skewed
    /// clock, it becomes valid by itself, and no file change would come to retry it), and expired
    /// certificates further up (an old cross-sign that clients with a newer root never use).
    private func refuseExpiredCertificate() throws(TLSError) {
        guard let leaf = SSL_CTX_get0_certificate(self.context) else { return }
        let path = self.configuration.certificateChainPath
        if let notAfter = X509_get0_notAfter(leaf), X509_cmp_current_time(notAfter) < 0 {
            throw TLSError(.certificateChain, "the certificate in `\(path)` expired at \(Self.describe(notAfter)); renew it")
        }
        let count = COpenSSL_SSL_CTX_chain_certificate_count(self.context)
        for index in 0..<count {
            guard let issuer = COpenSSL_SSL_CTX_chain_certificate(self.context, index),
                X509_check_issued(issuer, leaf) == 0,  // X509_V_OK: it issued the leaf
                let notAfter = X509_get0_notAfter(issuer), X509_cmp_current_time(notAfter) < 0
            else { continue }
            throw TLSError(
                .certificateChain,
                "the intermediate certificate that issued the one in `\(path)` expired at \(Self.describe(notAfter)); renew the chain")
        }
    }

    /// An `ASN1_TIME` as OpenSSL prints it (`Dec  5 07:00:00 2026 GMT`).
    private static func describe(_ time: UnsafePointer<ASN1_TIME>) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { return "?" }
        defer { BIO_free(bio) }
        guard ASN1_TIME_print(bio, time) == 1 else { return "?" }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = BIO_read(bio, &buffer, Int32(buffer.count))
        return count > 0 ? String(decoding: buffer[..<Int(count)], as: UTF8.self) : "?"
    }

    private func configureClientAuthentication() throws(TLSError) {
        let c = self.configuration
        let mode: Int32
        switch c.clientAuthentication {
        case .none:
            SSL_CTX_set_verify(self.context, SSL_VERIFY_NONE, nil)
            return
        case .require: mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
        case .optional: mode = SSL_VERIFY_PEER
        }
        guard let caPath = c.clientCAPath else {
            throw TLSError(.clientCA, "client authentication needs a client CA bundle")
        }
        guard SSL_CTX_load_verify_locations(self.context, caPath, nil) == 1 else {
            throw TLSError.fromQueue(.clientCA, "cannot load client CA bundle `\(caPath)`")
        }
        // The CA names sent in CertificateRequest let clients pick the right certificate.
        guard let names = SSL_load_client_CA_file(caPath) else {
            throw TLSError.fromQueue(.clientCA, "no CA certificate in client CA bundle `\(caPath)`")
        }
        SSL_CTX_set_client_CA_list(self.context, names)
        SSL_CTX_set_verify(self.context, mode, nil)
        SSL_CTX_set_verify_depth(self.context, c.verifyDepth)
        if let cache = self.verifiedChains {
            SSL_CTX_set_cert_verify_callback(
                self.context, verifiedChainCacheCallback, Unmanaged.passUnretained(cache).toOpaque())
        }
    }

    /// Handshakes whose client chain was found among the chains already verified by this context.
    public var verifiedChainCacheHits: Int { self.verifiedChains?.hits.load(ordering: .relaxed) ?? 0 }
    /// Handshakes whose client chain went through full verification (passed or not).
    public var verifiedChainCacheMisses: Int { self.verifiedChains?.misses.load(ordering: .relaxed) ?? 0 }

    /// Decides once, here, which certificates the server sends, instead of on every handshake.
    ///
    /// A chain file with intermediates is sent as it is. For a file holding only the leaf, OpenSSL's
    /// default ("auto chain") builds a chain from the verify store (our client-CA bundle) during
    /// *every* handshake — a full `X509_verify_cert`, about 100 µs of CPU per connection — and sends
    /// the self-signed root too, which a client can never use (it must already trust the root) but
    /// still has to parse. Here the same chain is built once, without the root; the per-handshake
    /// building is then switched off. A chain that cannot be completed keeps the intermediates
    /// found, like auto chain did; failures are not errors (the leaf is still sent).
    private func fixCertificateChain() {
        if COpenSSL_SSL_CTX_chain_certificate_count(self.context) == 0 {
            _ = COpenSSL_SSL_CTX_build_cert_chain(
                self.context,
                COpenSSL_SSL_BUILD_CHAIN_FLAG_NO_ROOT | COpenSSL_SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR
                    | COpenSSL_SSL_BUILD_CHAIN_FLAG_CLEAR_ERROR)
            ERR_clear_error()
        }
        _ = COpenSSL_SSL_CTX_set_mode(self.context, COpenSSL_SSL_MODE_NO_AUTO_CHAIN)
    }

    private func configureSessions() {
        // Mandatory with client verification (pitfall 1), even with resumption off.
        let sessionContext: [UInt8] = Array("arbiter".utf8)
        _ = SSL_CTX_set_session_id_context(self.context, sessionContext, UInt32(sessionContext.count))
        _ = COpenSSL_SSL_CTX_set_session_cache_mode(self.context, COpenSSL_SSL_SESS_CACHE_OFF)
        // TLS 1.3 sends tickets after the handshake unless told not to.
        _ = SSL_CTX_set_num_tickets(self.context, 0)
    }
}

// MARK: - ALPN

/// The ALPN protocol ids in wire form (length-prefixed).
private let alpnHTTP2: [UInt8] = [2] + Array("h2".utf8)
private let alpnHTTP1: [UInt8] = [8] + Array("http/1.1".utf8)

/// Finds `protocolID` (wire form) in the client's list and points `out` into the client's buffer.
private func alpnFind(
    _ protocolID: [UInt8], in list: UnsafePointer<UInt8>, count: Int,
    out: UnsafeMutablePointer<UnsafePointer<UInt8>?>, outLength: UnsafeMutablePointer<UInt8>
) -> Bool {
    var index = 0
    while index < count {
        let length = Int(list[index])
        guard index + 1 + length <= count else { return false }
        if length == protocolID.count - 1 {
            var equal = true
            for offset in 0..<length where list[index + 1 + offset] != protocolID[offset + 1] {
                equal = false
                break
            }
            if equal {
                out.pointee = list + index + 1
                outLength.pointee = UInt8(length)
                return true
            }
        }
        index += 1 + length
    }
    return false
}

/// ALPN select callback when HTTP/2 is offered: `h2` first, then `http/1.1`; no overlap is fatal.
private func alpnSelectHTTP2OrHTTP1(
    _ ssl: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
    _ outLength: UnsafeMutablePointer<UInt8>?, _ list: UnsafePointer<UInt8>?, _ count: UInt32,
    _ argument: UnsafeMutableRawPointer?
) -> Int32 {
    guard let out, let outLength, let list else { return SSL_TLSEXT_ERR_ALERT_FATAL }
    if alpnFind(alpnHTTP2, in: list, count: Int(count), out: out, outLength: outLength)
        || alpnFind(alpnHTTP1, in: list, count: Int(count), out: out, outLength: outLength)
    {
        return SSL_TLSEXT_ERR_OK
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL
}

/// ALPN select callback without HTTP/2: `http/1.1` or a fatal alert.
private func alpnSelectHTTP1Only(
    _ ssl: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
    _ outLength: UnsafeMutablePointer<UInt8>?, _ list: UnsafePointer<UInt8>?, _ count: UInt32,
    _ argument: UnsafeMutableRawPointer?
) -> Int32 {
    guard let out, let outLength, let list else { return SSL_TLSEXT_ERR_ALERT_FATAL }
    if alpnFind(alpnHTTP1, in: list, count: Int(count), out: out, outLength: outLength) {
        return SSL_TLSEXT_ERR_OK
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL
}
