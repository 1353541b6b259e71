// Certificates for TLS tests and benchmarks, made with OpenSSL's API at run time (nothing checked in
// expires): a CA, a server certificate for 127.0.0.1/localhost, client certificates that are good,
// expired, or from a CA nobody trusts.
#pragma once

#include <memory>
#include <string>

#include "herald/tls/context.hpp"

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
// make_test_pki in a fresh directory under /tmp; aborts if OpenSSL refuses (tests and benchmarks only).
test_pki make_test_pki_or_die(key_kind server_key = key_kind::ecdsa_p256);

// A server context on the PKI's server certificate (verifying clients against its CA when asked), and a
// client context trusting ca (with its own certificate when given) that checks the name "localhost".
std::shared_ptr<tls::context> server_context(const test_pki& pki, bool verify_peer = false);
std::shared_ptr<tls::context> client_context(const std::string& ca, const std::string& cert = "",
                                             const std::string& key = "");

}  // namespace herald::client
