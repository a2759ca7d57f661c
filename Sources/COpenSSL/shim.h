// COpenSSL: OpenSSL 3 for Swift. Swift cannot import OpenSSL's function-like and expression macros,
// so this header wraps the ones Arbiter needs as static inline functions and constants.
#ifndef C_OPENSSL_SHIM_H
#define C_OPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/evp.h>

// SSL_CTX_set_min_proto_version is a macro over SSL_CTX_ctrl.
static inline int COpenSSL_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}

// SSL_CTX_set_max_proto_version is a macro over SSL_CTX_ctrl.
static inline int COpenSSL_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_max_proto_version(ctx, version);
}

// SSL_CTX_set_mode is a macro over SSL_CTX_ctrl.
static inline long COpenSSL_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}

// SSL_CTX_set_session_cache_mode is a macro over SSL_CTX_ctrl.
static inline long COpenSSL_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}

// SSL_CTX_set_read_ahead is a macro over SSL_CTX_ctrl.
static inline void COpenSSL_SSL_CTX_set_read_ahead(SSL_CTX *ctx, int yes) {
    SSL_CTX_set_read_ahead(ctx, yes);
}

// SSL_CTX_set1_groups_list is a macro over SSL_CTX_ctrl.
static inline int COpenSSL_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) {
    return (int)SSL_CTX_set1_groups_list(ctx, list);
}

// SSL_set_tlsext_host_name is a macro over SSL_ctrl (used by the test client).
static inline int COpenSSL_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

// SSL_CTX_get0_chain_certs is a macro over SSL_CTX_ctrl, and sk_X509_num a generated macro: the
// number of chain certificates (intermediates) configured for the current certificate.
static inline int COpenSSL_SSL_CTX_chain_certificate_count(SSL_CTX *ctx) {
    STACK_OF(X509) *chain = NULL;
    if (SSL_CTX_get0_chain_certs(ctx, &chain) != 1 || chain == NULL) return 0;
    return sk_X509_num(chain);
}

// The chain certificate at `index` (see COpenSSL_SSL_CTX_chain_certificate_count), or NULL.
static inline X509 *COpenSSL_SSL_CTX_chain_certificate(SSL_CTX *ctx, int index) {
    STACK_OF(X509) *chain = NULL;
    if (SSL_CTX_get0_chain_certs(ctx, &chain) != 1 || chain == NULL) return NULL;
    if (index < 0 || index >= sk_X509_num(chain)) return NULL;
    return sk_X509_value(chain, index);
}

// SSL_CTX_build_cert_chain is a macro over SSL_CTX_ctrl.
static inline int COpenSSL_SSL_CTX_build_cert_chain(SSL_CTX *ctx, int flags) {
    return (int)SSL_CTX_build_cert_chain(ctx, flags);
}

// sk_X509_num and sk_X509_value are generated macros (a chain of certificates).
static inline int COpenSSL_sk_X509_num(const STACK_OF(X509) *chain) {
    return sk_X509_num(chain);
}

// See COpenSSL_sk_X509_num.
static inline X509 *COpenSSL_sk_X509_value(const STACK_OF(X509) *chain, int index) {
    return sk_X509_value(chain, index);
}

// OPENSSL_free is a macro over CRYPTO_free with file/line arguments.
static inline void COpenSSL_OPENSSL_free(void *pointer) {
    OPENSSL_free(pointer);
}

// The SSL_OP_* constants are 64-bit shift expressions in 3.0, which Swift does not import.
static const uint64_t COpenSSL_SSL_OP_NO_COMPRESSION = SSL_OP_NO_COMPRESSION;
static const uint64_t COpenSSL_SSL_OP_NO_RENEGOTIATION = SSL_OP_NO_RENEGOTIATION;
static const uint64_t COpenSSL_SSL_OP_NO_TICKET = SSL_OP_NO_TICKET;
static const uint64_t COpenSSL_SSL_OP_CIPHER_SERVER_PREFERENCE = SSL_OP_CIPHER_SERVER_PREFERENCE;
static const uint64_t COpenSSL_SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION =
    SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION;
static const uint64_t COpenSSL_SSL_OP_IGNORE_UNEXPECTED_EOF = SSL_OP_IGNORE_UNEXPECTED_EOF;

// SSL_MODE_* and SSL_SESS_CACHE_* are plain macros but typed as long expressions; one Swift type.
static const long COpenSSL_SSL_MODE_ENABLE_PARTIAL_WRITE = SSL_MODE_ENABLE_PARTIAL_WRITE;
static const long COpenSSL_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER = SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
static const long COpenSSL_SSL_MODE_RELEASE_BUFFERS = SSL_MODE_RELEASE_BUFFERS;
static const long COpenSSL_SSL_MODE_NO_AUTO_CHAIN = SSL_MODE_NO_AUTO_CHAIN;
// SSL_BUILD_CHAIN_FLAG_*: plain macros, re-exported with the Int32 type SSL_CTX_build_cert_chain takes.
static const int COpenSSL_SSL_BUILD_CHAIN_FLAG_UNTRUSTED = SSL_BUILD_CHAIN_FLAG_UNTRUSTED;
static const int COpenSSL_SSL_BUILD_CHAIN_FLAG_NO_ROOT = SSL_BUILD_CHAIN_FLAG_NO_ROOT;
static const int COpenSSL_SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR = SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR;
static const int COpenSSL_SSL_BUILD_CHAIN_FLAG_CLEAR_ERROR = SSL_BUILD_CHAIN_FLAG_CLEAR_ERROR;
static const long COpenSSL_SSL_SESS_CACHE_OFF = SSL_SESS_CACHE_OFF;

// sk_GENERAL_NAME_* accessors are generated macros.
static inline int COpenSSL_sk_GENERAL_NAME_num(const GENERAL_NAMES *names) {
    return sk_GENERAL_NAME_num(names);
}

// sk_GENERAL_NAME_value is a generated macro.
static inline const GENERAL_NAME *COpenSSL_sk_GENERAL_NAME_value(const GENERAL_NAMES *names, int index) {
    return sk_GENERAL_NAME_value(names, index);
}

// GENERAL_NAMES_free is declared through DECLARE_ASN1_FUNCTIONS; wrapped for a stable signature.
static inline void COpenSSL_GENERAL_NAMES_free(GENERAL_NAMES *names) {
    GENERAL_NAMES_free(names);
}

// ERR_GET_LIB / ERR_GET_REASON are macros or inline functions depending on the build.
static inline int COpenSSL_ERR_GET_LIB(unsigned long error) {
    return ERR_GET_LIB(error);
}

// See COpenSSL_ERR_GET_LIB.
static inline int COpenSSL_ERR_GET_REASON(unsigned long error) {
    return ERR_GET_REASON(error);
}

// SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED and friends are plain macros; re-exported as one type.
static const int COpenSSL_SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE = SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE;
static const int COpenSSL_SSL_R_CERTIFICATE_VERIFY_FAILED = SSL_R_CERTIFICATE_VERIFY_FAILED;
static const int COpenSSL_ERR_LIB_SSL = ERR_LIB_SSL;
static const int COpenSSL_ERR_LIB_SYS = ERR_LIB_SYS;

#endif
