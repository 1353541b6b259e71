// Certificates for TLS tests and benchmarks, made with OpenSSL's API at run time (nothing checked in
// expires): a CA, a server certificate for 127.0.0.1/localhost, client certificates that are good,
// expired, or from a CA nobody trusts.
#pragma once

#include <string>

namespace herald::client {

enum class key_kind { ecdsa_p256, rsa_2048 };

struct test_pki {
  std::string ca_cert;
  std::string server_cert, server_key;                    // signed by the CA; SAN DNS:localhost, IP:127.0.0.1
  std::string client_cert, client_key;                    // signed by the CA, valid
  std::string expired_client_cert, expired_client_key;    // signed by the CA, expired yesterday
  std::string stranger_client_cert, stranger_client_key;  // signed by another CA
};

// Writes every file under dir (which must exist); false with error set if OpenSSL refused something.
bool make_test_pki(const std::string& dir, test_pki& out, std::string& error,
                   key_kind server_key = key_kind::ecdsa_p256);

}  // namespace herald::client
