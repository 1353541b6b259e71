// Test certificates with OpenSSL 3's API: keys, X.509 v3 certificates with the extensions a verifier
// checks, PEM files.
#include "herald/client/test_pki.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "herald/tls/context.hpp"

namespace herald::client {

namespace {
struct key_free {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct cert_free {
  void operator()(X509* c) const { X509_free(c); }
};
using key_ptr = std::unique_ptr<EVP_PKEY, key_free>;
using cert_ptr = std::unique_ptr<X509, cert_free>;

key_ptr make_key(key_kind kind) {
  return key_ptr(kind == key_kind::ecdsa_p256 ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048));
}

bool add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

struct cert_spec {
  const char* common_name;
  bool ca = false;
  bool server = false;
  long not_before_s = -3600;  // relative to now
  long not_after_s = 30L * 24 * 3600;
};

cert_ptr make_cert(const cert_spec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
  static long serial = 1;
  cert_ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), spec.not_before_s);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), spec.not_after_s);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Herald tests"),
                             -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.common_name), -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  bool ok =
      add_extension(cert.get(), signer, NID_basic_constraints, spec.ca ? "critical,CA:TRUE" : "CA:FALSE") &&
      add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (spec.ca) {
    ok = ok && add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    ok = ok && add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid") &&
         add_extension(cert.get(), signer, NID_key_usage, "critical,digitalSignature,keyEncipherment") &&
         add_extension(cert.get(), signer, NID_ext_key_usage, spec.server ? "serverAuth" : "clientAuth");
    if (spec.server)
      ok = ok && add_extension(cert.get(), signer, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  }
  if (!ok || X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) == 0) return nullptr;
  return cert;
}

bool write_pem(const std::string& path, X509* cert, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return false;
  const bool ok = cert ? PEM_write_X509(f, cert) == 1
                       : PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  return std::fclose(f) == 0 && ok;
}

bool issue(const std::string& dir, const char* stem, const cert_spec& spec, key_kind kind, X509* ca,
           EVP_PKEY* ca_key, std::string& cert_path, std::string& key_path) {
  key_ptr key = make_key(kind);
  if (!key) return false;
  cert_ptr cert = make_cert(spec, key.get(), ca, ca_key);
  if (!cert) return false;
  cert_path = dir + "/" + stem + ".crt";
  key_path = dir + "/" + stem + ".key";
  return write_pem(cert_path, cert.get(), nullptr) && write_pem(key_path, nullptr, key.get());
}
}  // namespace

bool make_test_pki(const std::string& dir, test_pki& out, std::string& error, key_kind server_key) {
  auto failed = [&](const char* what) {
    error = std::string("test PKI: ") + what + ": " + tls::drain_errors();
    return false;
  };
  key_ptr ca_key = make_key(key_kind::ecdsa_p256);
  key_ptr other_key = make_key(key_kind::ecdsa_p256);
  if (!ca_key || !other_key) return failed("key generation");
  cert_ptr ca = make_cert({"Herald test CA", true}, ca_key.get(), nullptr, nullptr);
  cert_ptr other = make_cert({"Somebody else's CA", true}, other_key.get(), nullptr, nullptr);
  if (!ca || !other) return failed("CA certificate");
  out.ca_cert = dir + "/ca.crt";
  if (!write_pem(out.ca_cert, ca.get(), nullptr)) return failed("writing ca.crt");
  cert_spec server{"localhost"};
  server.server = true;
  cert_spec expired{"expired client"};
  expired.not_before_s = -10L * 24 * 3600;
  expired.not_after_s = -24L * 3600;
  if (!issue(dir, "server", server, server_key, ca.get(), ca_key.get(), out.server_cert, out.server_key))
    return failed("server certificate");
  if (!issue(dir, "client", {"relay.example.net"}, key_kind::ecdsa_p256, ca.get(), ca_key.get(),
             out.client_cert, out.client_key))
    return failed("client certificate");
  if (!issue(dir, "expired", expired, key_kind::ecdsa_p256, ca.get(), ca_key.get(), out.expired_client_cert,
             out.expired_client_key))
    return failed("expired certificate");
  if (!issue(dir, "stranger", {"stranger"}, key_kind::ecdsa_p256, other.get(), other_key.get(),
             out.stranger_client_cert, out.stranger_client_key))
    return failed("stranger certificate");
  return true;
}

test_pki make_test_pki_or_die(key_kind server_key) {
  char tmpl[] = "/tmp/herald-pki-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  test_pki pki;
  std::string error;
  if (!dir || !make_test_pki(dir, pki, error, server_key)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    std::abort();
  }
  return pki;
}

std::shared_ptr<tls::context> server_context(const test_pki& pki, bool verify_peer) {
  tls::context_settings s;
  s.cert_file = pki.server_cert;
  s.key_file = pki.server_key;
  if (verify_peer) {
    s.ca_file = pki.ca_cert;
    s.verify_peer = true;
  }
  std::string error;
  auto ctx = tls::context::load(s, error);
  if (!ctx) std::fprintf(stderr, "server context: %s\n", error.c_str());
  return ctx;
}

std::shared_ptr<tls::context> client_context(const std::string& ca, const std::string& cert,
                                             const std::string& key) {
  tls::context_settings s;
  s.client = true;
  s.ca_file = ca;
  s.cert_file = cert;
  s.key_file = key;
  s.server_name = "localhost";
  std::string error;
  auto ctx = tls::context::load(s, error);
  if (!ctx) std::fprintf(stderr, "client context: %s\n", error.c_str());
  return ctx;
}

}  // namespace herald::client
