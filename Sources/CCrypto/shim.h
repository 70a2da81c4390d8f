#ifndef ZTP_CCRYPTO_SHIM_H
#define ZTP_CCRYPTO_SHIM_H
// OpenSSL 3's libcrypto, for the record layer's ChaCha20-Poly1305 only (EVP interface).
#include <openssl/evp.h>
#endif
