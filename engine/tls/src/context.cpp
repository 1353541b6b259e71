// Loading certificates, keys and trust into an SSL_CTX with Herald's protocol and cipher policy.
#include "herald/tls/context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace herald::tls {

void install_keylog(SSL_CTX* ctx);  // session.cpp

namespace {
// TLS 1.2 suites: forward secret AEAD only (ECDHE with AES-GCM or ChaCha20-Poly1305), ECDSA or RSA
// certificates. TLS 1.3 keeps OpenSSL's defaults, which are exactly its AEAD suites.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* groups = "X25519:P-256:P-384";

bool fail(std::string& error, const std::string& what) {
  error = what;
  const std::string reasons = drain_errors();
  if (!reasons.empty()) error += ": " + reasons;
  return false;
}

bool configure(SSL_CTX* ctx, const context_settings& s, std::string& error) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1 || SSL_CTX_set1_groups_list(ctx, groups) != 1)
    return fail(error, "cannot apply the TLS protocol policy");
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Idle connections give their 16 KiB+ record buffers back: 10^4 idle participants must not pin 340 MB.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (!s.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, s.cert_file.c_str()) != 1)
      return fail(error, "cannot load the certificate chain from " + s.cert_file);
    const std::string& key = s.key_file.empty() ? s.cert_file : s.key_file;
    if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1)
      return fail(error, "cannot load the private key from " + key);
    if (SSL_CTX_check_private_key(ctx) != 1)
      return fail(error, "the private key in " + key + " does not match the certificate in " + s.cert_file);
  } else if (!s.client) {
    error = "a TLS server needs a certificate (--tls-cert) and key (--tls-key)";
    return false;
  }
  if (!s.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, s.ca_file.c_str(), nullptr) != 1)
      return fail(error, "cannot load trusted certificates from " + s.ca_file);
    if (!s.client) {
      STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(s.ca_file.c_str());
      if (names) SSL_CTX_set_client_CA_list(ctx, names);
    }
  } else if (s.verify_peer) {
    error = "peer verification (--tls-verify-peer) needs the trusted certificates (--tls-ca)";
    return false;
  }
  if (s.verify_peer || (s.client && !s.ca_file.empty())) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (s.client ? 0 : SSL_VERIFY_FAIL_IF_NO_PEER_CERT), nullptr);
  }
  if (!s.client) install_keylog(ctx);  // the record sealer's traffic secret (session.cpp)
  static const unsigned char id_context[] = "herald";
  SSL_CTX_set_session_id_context(ctx, id_context, sizeof id_context - 1);
  return true;
}
}  // namespace

std::string drain_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

std::shared_ptr<context> context::load(const context_settings& settings, std::string& error) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(settings.client ? TLS_client_method() : TLS_server_method());
  if (!ctx) {
    fail(error, "cannot create a TLS context");
    return nullptr;
  }
  if (!configure(ctx, settings, error)) {
    SSL_CTX_free(ctx);
    return nullptr;
  }
  return std::shared_ptr<context>(new context(ctx, settings));
}

context::~context() {
  SSL_CTX_free(ctx_);
}

bool context_source::reload(std::string& error) {
  context_settings settings;
  {
    std::lock_guard lock(mutex_);
    settings = current_->settings();
  }
  std::shared_ptr<context> fresh = context::load(settings, error);
  if (!fresh) return false;
  std::lock_guard lock(mutex_);
  current_ = std::move(fresh);
  ++reloads_;
  return true;
}

}  // namespace herald::tls
