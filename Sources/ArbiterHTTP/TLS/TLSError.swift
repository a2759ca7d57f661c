import COpenSSL

/// A failure to build a ``TLSContext`` or to set up a TLS session.
///
/// Compares equal on ``code`` only, so tests can build the expected error directly.
public struct TLSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, as a closed set.
    public enum Code: Sendable, Equatable {
        /// The certificate chain file could not be loaded.
        case certificateChain
        /// The private key could not be loaded or does not match the certificate.
        case privateKey
        /// The client CA bundle could not be loaded (or is missing while client auth is on).
        case clientCA
        /// A cipher, cipher-suite or group list was rejected.
        case protocolPolicy
        /// OpenSSL could not allocate a context or session.
        case allocation
    }

    public var code: Code
    /// A lower-case message with OpenSSL's reason appended.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public static func == (lhs: TLSError, rhs: TLSError) -> Bool { lhs.code == rhs.code }

    public var description: String { self.message }

    /// Builds an error whose message ends with the oldest entry of OpenSSL's error queue, and clears
    /// the queue.
    static func fromQueue(_ code: Code, _ message: String) -> TLSError {
        TLSError(code, "\(message): \(Self.drainErrorQueue())")
    }

    /// The oldest queued OpenSSL error as text (or "no detail"), clearing the queue.
    static func drainErrorQueue() -> String {
        let error = ERR_get_error()
        defer { ERR_clear_error() }
        guard error != 0 else { return "no detail" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(error, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
