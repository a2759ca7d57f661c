import COpenSSL
import Foundation

/// A blocking TLS client for tests: raw bytes in and out over a real handshake.
///
/// Every socket operation has a receive/send timeout, so no test can hang on it.
final class TLSTestClient {
    private let fd: Int32
    private let context: OpaquePointer
    private let ssl: OpaquePointer
    /// The handshake error text, when the client side of the handshake failed.
    private(set) var handshakeError: String?
    /// The ALPN protocol the server selected.
    private(set) var negotiatedProtocol: String?

    /// Connects to `127.0.0.1:port` and performs the handshake (failures are recorded, not thrown).
    init(
        port: UInt16, certificate: String? = nil, key: String? = nil, alpn: [String] = ["http/1.1"],
        timeoutSeconds: Int = 5, handshake: Bool = true
    ) throws {
        self.fd = try Self.connect(port: port, timeoutSeconds: timeoutSeconds)
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw TestFailure("SSL_CTX_new") }
        self.context = context
        SSL_CTX_load_verify_locations(context, try TestPKI.path("ca.crt"), nil)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        if let certificate, let key {
            SSL_CTX_use_certificate_chain_file(context, certificate)
            SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM)
        }
        if !alpn.isEmpty {
            var wire: [UInt8] = []
            for name in alpn { wire.append(UInt8(name.utf8.count)); wire.append(contentsOf: name.utf8) }
            SSL_CTX_set_alpn_protos(context, wire, UInt32(wire.count))
        }
        self.ssl = SSL_new(context)
        SSL_set_fd(self.ssl, self.fd)
        _ = COpenSSL_SSL_set_tlsext_host_name(self.ssl, "localhost")
        if handshake { self.handshake() }
    }

    deinit {
        SSL_free(self.ssl)
        SSL_CTX_free(self.context)
        Foundation.close(self.fd)
    }

    func handshake() {
        ERR_clear_error()
        if SSL_connect(self.ssl) != 1 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(ERR_get_error(), &buffer, buffer.count)
            self.handshakeError = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return
        }
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(self.ssl, &data, &length)
        if let data { self.negotiatedProtocol = String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self) }
    }

    /// How many certificates the server sent (leaf included).
    var peerChainLength: Int {
        guard let chain = SSL_get_peer_cert_chain(self.ssl) else { return 0 }
        return Int(OPENSSL_sk_num(chain))
    }

    /// True when the client could resume this session (it received a session ticket).
    var sessionIsResumable: Bool {
        guard let session = SSL_get_session(self.ssl) else { return false }
        return SSL_SESSION_is_resumable(session) == 1
    }

    /// Sends bytes over TLS; false when the connection is gone.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        ERR_clear_error()
        return bytes.withUnsafeBytes { SSL_write(self.ssl, $0.baseAddress, Int32($0.count)) } == Int32(bytes.count)
    }

    @discardableResult
    func send(_ text: String) -> Bool { self.send(Array(text.utf8)) }

    /// Reads until the server closes (or the timeout or `limit` bytes), returning what arrived.
    func readUntilClose(limit: Int = 1 << 20) -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while result.count < limit {
            ERR_clear_error()
            let count = buffer.withUnsafeMutableBytes { SSL_read(self.ssl, $0.baseAddress, Int32($0.count)) }
            if count <= 0 { break }
            result.append(contentsOf: buffer[0..<Int(count)])
        }
        return result
    }

    /// Reads until `predicate` holds on what arrived, the server closes, or the timeout.
    func read(until predicate: ([UInt8]) -> Bool) -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while !predicate(result) && result.count < (16 << 20) {
            ERR_clear_error()
            let count = buffer.withUnsafeMutableBytes { SSL_read(self.ssl, $0.baseAddress, Int32($0.count)) }
            if count <= 0 { break }
            result.append(contentsOf: buffer[0..<Int(count)])
        }
        return result
    }

    /// Reads until `count` complete responses have arrived (or close/timeout) and parses them.
    func readResponses(_ count: Int) -> [ParsedResponse] {
        let bytes = self.read { ParsedResponse.parseAll($0).count >= count }
        return ParsedResponse.parseAll(bytes)
    }

    /// Sends raw bytes on the TCP socket, bypassing TLS (for stalled or non-TLS clients).
    func sendRaw(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Foundation.send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Shuts the TCP connection down in both directions now (the descriptor is closed at deinit).
    func closeNow() {
        Foundation.shutdown(self.fd, Int32(SHUT_RDWR))
    }

    /// True when the server has closed the TCP connection (EOF or reset), without waiting.
    func isClosedByPeer() -> Bool {
        var byte: UInt8 = 0
        let result = Foundation.recv(self.fd, &byte, 1, Int32(MSG_DONTWAIT))
        if result == 0 { return true }
        return result < 0 && errno != EAGAIN && errno != EWOULDBLOCK
    }

    /// Waits for the server to close the TCP connection; true on EOF/reset, false on timeout.
    func waitForTCPClose() -> Bool {
        var byte: UInt8 = 0
        while true {
            let result = Foundation.recv(self.fd, &byte, 1, 0)
            if result == 0 { return true }
            if result < 0 { return errno != EAGAIN && errno != EWOULDBLOCK }
        }
    }

    private static func connect(port: UInt16, timeoutSeconds: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            Foundation.close(fd)
            throw TestFailure("connect failed: errno \(errno)")
        }
        return fd
    }
}

/// One HTTP/1.1 response parsed from raw bytes (content-length framing only, as the server sends).
struct ParsedResponse {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    func header(_ name: String) -> String? { self.headers.first { $0.0 == name }?.1 }
    var bodyText: String { String(decoding: self.body, as: UTF8.self) }

    /// Every complete response in `bytes`, in order.
    static func parseAll(_ bytes: [UInt8]) -> [ParsedResponse] {
        var responses: [ParsedResponse] = []
        var index = 0
        let crlfcrlf: [UInt8] = [13, 10, 13, 10]
        while index < bytes.count {
            guard let headEnd = Self.find(crlfcrlf, in: bytes, from: index) else { break }
            let head = String(decoding: bytes[index..<headEnd], as: UTF8.self)
            var lines = head.components(separatedBy: "\r\n")
            let statusLine = lines.removeFirst().split(separator: " ")
            guard statusLine.count >= 2, let status = Int(statusLine[1]) else { break }
            let headers = lines.compactMap { line -> (String, String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            let length = headers.first { $0.0 == "content-length" }.flatMap { Int($0.1) } ?? 0
            let bodyStart = headEnd + 4
            guard bodyStart + length <= bytes.count else { break }
            responses.append(ParsedResponse(status: status, headers: headers, body: Array(bytes[bodyStart..<(bodyStart + length)])))
            index = bodyStart + length
        }
        return responses
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = start
        while index + needle.count <= haystack.count {
            if haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
