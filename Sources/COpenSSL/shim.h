// COpenSSL: OpenSSL 3 for Swift. Swift cannot import OpenSSL's function-like and expression macros,
// so this header wraps the ones Arbiter needs as static inline functions.
#ifndef C_OPENSSL_SHIM_H
#define C_OPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#endif
