import COpenSSL

/// One server-side TLS session over a non-blocking socket (OpenSSL's socket BIO).
///
/// Loop-confined like the ``Connection`` that owns it. Every SSL call is preceded by
/// `ERR_clear_error()`, because `SSL_get_error` reads the thread's error queue (pitfall 3). The
/// `SSL` is freed by ``free()``, which the owner must call exactly once.
final class TLSConnection {
    /// The outcome of one handshake step.
    enum HandshakeResult: Equatable {
        case complete
        case wantRead
        case wantWrite
        case failed(HandshakeFailure, detail: String)
    }

    /// The outcome of one read or write.
    enum IOResult: Equatable {
        /// Bytes were read or written.
        case bytes(Int)
        case wantRead
        case wantWrite
        /// The peer sent close_notify or closed the TCP stream.
        case closed
        /// A fatal TLS or socket error; the session is unusable.
        case failed(String)
    }

    private var ssl: OpaquePointer?
    var sslForInspection: OpaquePointer? { self.ssl }
    /// The context this session was created from; kept alive with it.
    let context: TLSContext

    /// Creates a session on `fd` (server side).
    init(context: TLSContext, fd: Int32) throws(TLSError) {
        ERR_clear_error()
        guard let ssl = SSL_new(context.context) else {
            throw TLSError.fromQueue(.allocation, "cannot allocate an SSL session")
        }
        guard SSL_set_fd(ssl, fd) == 1 else {
            SSL_free(ssl)
            throw TLSError.fromQueue(.allocation, "cannot attach the socket to the SSL session")
        }
        SSL_set_accept_state(ssl)
        self.ssl = ssl
        self.context = context
    }

    deinit {
        assert(self.ssl == nil, "leak of an SSL session: TLSConnection.free() was not called")
    }

    /// Releases the session; further calls fail. Idempotent.
    func free() {
        if let ssl = self.ssl {
            SSL_free(ssl)
            self.ssl = nil
        }
    }

    /// Advances the handshake.
    func handshake() -> HandshakeResult {
        guard let ssl = self.ssl else { return .failed(.other, detail: "session freed") }
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 { return .complete }
        let error = SSL_get_error(ssl, result)
        switch error {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        default:
            let reason = HandshakeFailure.classify(ssl: ssl, sslError: error)
            var detail = error == SSL_ERROR_SYSCALL ? "connection closed during handshake" : TLSError.drainErrorQueue()
            ERR_clear_error()
            let verify = SSL_get_verify_result(ssl)
            if verify != X509_V_OK, let text = X509_verify_cert_error_string(verify) {
                detail += ": \(String(cString: text))"
            }
            return .failed(reason, detail: detail)
        }
    }

    /// Reads decrypted bytes into `buffer`.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        guard let ssl = self.ssl else { return .failed("session freed") }
        Self.clearErrorQueue()
        var count = 0
        let result = SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &count)
        if result == 1 { return .bytes(count) }
        return self.ioFailure(ssl, result)
    }

    /// Encrypts and writes up to `bytes.count` bytes (partial writes allowed).
    func write(_ bytes: UnsafeRawBufferPointer) -> IOResult {
        guard let ssl = self.ssl else { return .failed("session freed") }
        guard bytes.count > 0 else { return .bytes(0) }
        Self.clearErrorQueue()
        var count = 0
        let result = SSL_write_ex(ssl, bytes.baseAddress, bytes.count, &count)
        if result == 1 { return .bytes(count) }
        return self.ioFailure(ssl, result)
    }

    /// Empties the thread's error queue before an SSL call whose result goes to `SSL_get_error`
    /// (pitfall 3).
    ///
    /// `ERR_clear_error` walks all sixteen slots of the queue, about 800 instructions, and the
    /// queue is almost always empty already (every failure path here drains it): peeking first
    /// costs a fraction of that and leaves the same guarantee.
    @inline(__always)
    static func clearErrorQueue() {
        if ERR_peek_error() != 0 { ERR_clear_error() }
    }

    /// Sends close_notify once, without waiting for the peer's; errors are ignored (best effort).
    func sendCloseNotify() {
        guard let ssl = self.ssl else { return }
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    /// The ALPN protocol agreed in the handshake (`h2`, `http/1.1`), or `nil` without ALPN.
    var negotiatedProtocol: String? {
        guard let ssl = self.ssl else { return nil }
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// The negotiated protocol version (`TLSv1.3`), for logs.
    var protocolVersion: String {
        guard let ssl = self.ssl, let name = SSL_get_version(ssl) else { return "unknown" }
        return String(cString: name)
    }

    /// The identity of the client certificate, when one was sent and verified.
    func peerIdentity() -> PeerIdentity? {
        guard let ssl = self.ssl, SSL_get_verify_result(ssl) == X509_V_OK,
            let certificate = SSL_get1_peer_certificate(ssl)
        else { return nil }
        defer { X509_free(certificate) }
        return PeerIdentity(verifiedCertificate: certificate)
    }

    private func ioFailure(_ ssl: OpaquePointer, _ result: Int32) -> IOResult {
        let error = SSL_get_error(ssl, result)
        switch error {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL:
            ERR_clear_error()
            return .closed
        default:
            return .failed(TLSError.drainErrorQueue())
        }
    }
}

@available(*, unavailable)
extension TLSConnection: Sendable {}

extension TLSConnection {
    /// True when OpenSSL holds input that epoll will not report (a decrypted or partial record).
    var hasBufferedInput: Bool {
        guard let ssl = self.sslForInspection else { return false }
        return SSL_has_pending(ssl) == 1
    }
}
