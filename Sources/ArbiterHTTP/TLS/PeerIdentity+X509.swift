import COpenSSL
import Glibc

extension PeerIdentity {
    /// Reads the identity from a certificate that has passed chain verification.
    ///
    /// As Kubernetes' x509 authenticator (Go's `pkix.Name`): the user is the subject CN (the last
    /// one when several are present, as Go keeps the last), every subject O is a group, in order.
    /// Returns `nil` when the subject has no CN, so an unnamed certificate never yields an identity.
    init?(verifiedCertificate certificate: OpaquePointer) {
        guard let subject = X509_get_subject_name(certificate) else { return nil }
        var commonName: String?
        var organizations: [String] = []
        for index in 0..<X509_NAME_entry_count(subject) {
            guard let entry = X509_NAME_get_entry(subject, index),
                let data = X509_NAME_ENTRY_get_data(entry), let value = Self.utf8(data)
            else { continue }
            switch OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry)) {
            case NID_commonName: commonName = value
            case NID_organizationName: organizations.append(value)
            default: break
            }
        }
        guard let commonName else { return nil }
        self.init(
            commonName: commonName, organizations: organizations,
            subjectAlternativeNames: Self.subjectAlternativeNames(certificate),
            sha256Fingerprint: Self.sha256Fingerprint(certificate))
    }

    /// An ASN.1 string converted to UTF-8; `nil` when it cannot be converted or contains NUL.
    private static func utf8(_ string: UnsafePointer<ASN1_STRING>) -> String? {
        var output: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&output, string)
        guard length >= 0, let output else { return nil }
        defer { COpenSSL_OPENSSL_free(output) }
        let bytes = UnsafeBufferPointer(start: output, count: Int(length))
        guard !bytes.contains(0) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func subjectAlternativeNames(_ certificate: OpaquePointer) -> [String] {
        guard let raw = X509_get_ext_d2i(certificate, NID_subject_alt_name, nil, nil) else { return [] }
        let names = OpaquePointer(raw)
        defer { COpenSSL_GENERAL_NAMES_free(names) }
        var result: [String] = []
        for index in 0..<COpenSSL_sk_GENERAL_NAME_num(names) {
            guard let name = COpenSSL_sk_GENERAL_NAME_value(names, index) else { continue }
            switch name.pointee.type {
            case GEN_DNS:
                if let text = Self.ia5(name.pointee.d.dNSName) { result.append("DNS:\(text)") }
            case GEN_URI:
                if let text = Self.ia5(name.pointee.d.uniformResourceIdentifier) { result.append("URI:\(text)") }
            case GEN_EMAIL:
                if let text = Self.ia5(name.pointee.d.rfc822Name) { result.append("email:\(text)") }
            case GEN_IPADD:
                if let text = Self.ipAddress(name.pointee.d.iPAddress) { result.append("IP:\(text)") }
            default:
                break
            }
        }
        return result
    }

    private static func ia5(_ string: UnsafeMutablePointer<ASN1_STRING>?) -> String? {
        guard let string, let data = ASN1_STRING_get0_data(string) else { return nil }
        let bytes = UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(string)))
        guard !bytes.contains(0) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func ipAddress(_ string: UnsafeMutablePointer<ASN1_STRING>?) -> String? {
        guard let string, let data = ASN1_STRING_get0_data(string) else { return nil }
        let length = Int(ASN1_STRING_length(string))
        guard length == 4 || length == 16 else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(length == 4 ? AF_INET : AF_INET6, data, &buffer, socklen_t(buffer.count)) != nil else {
            return nil
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func sha256Fingerprint(_ certificate: OpaquePointer) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(certificate, EVP_sha256(), &digest, &length) == 1 else { return "" }
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(Int(length) * 2)
        for byte in digest.prefix(Int(length)) {
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
