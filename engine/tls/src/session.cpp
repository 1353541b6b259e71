// A TLS session over memory I/O: a custom BIO reads the span the reactor fed and appends ciphertext to the
// session's output vector, so no bytes sit in OpenSSL's BIO buffers and no socket is touched.
#include "herald/tls/session.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstring>

namespace herald::tls {

const char* to_string(failure f) {
  switch (f) {
    case failure::none:
      return "none";
    case failure::handshake_timeout:
      return "handshake_timeout";
    case failure::handshake_eof:
      return "handshake_eof";
    case failure::not_tls:
      return "not_tls";
    case failure::protocol_version:
      return "protocol_version";
    case failure::no_shared_cipher:
      return "no_shared_cipher";
    case failure::peer_cert_missing:
      return "peer_cert_missing";
    case failure::peer_cert_expired:
      return "peer_cert_expired";
    case failure::peer_cert_rejected:
      return "peer_cert_rejected";
    case failure::peer_alert:
      return "peer_alert";
    case failure::bad_record:
      return "bad_record";
    case failure::other:
      return "other";
  }
  return "other";
}

struct bio_access {
  static int write(BIO* b, const char* data, std::size_t n, std::size_t* written) {
    auto* s = static_cast<session*>(BIO_get_data(b));
    s->out_.insert(s->out_.end(), data, data + n);
    s->produced_ += n;
    *written = n;
    return 1;
  }
  static int read(BIO* b, char* data, std::size_t cap, std::size_t* got) {
    auto* s = static_cast<session*>(BIO_get_data(b));
    BIO_clear_retry_flags(b);
    if (s->in_.empty()) {
      BIO_set_retry_read(b);
      *got = 0;
      return 0;
    }
    const std::size_t n = std::min(cap, s->in_.size());
    std::memcpy(data, s->in_.data(), n);
    s->in_.remove_prefix(n);
    *got = n;
    return 1;
  }
  static long ctrl(BIO*, int cmd, long, void*) {
    // FLUSH must succeed or OpenSSL reports the handshake as failed; nothing is ever buffered here.
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
  }
  static int create(BIO* b) {
    BIO_set_init(b, 1);
    return 1;
  }
};

namespace {
BIO_METHOD* memory_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "herald-memory");
    BIO_meth_set_write_ex(m, bio_access::write);
    BIO_meth_set_read_ex(m, bio_access::read);
    BIO_meth_set_ctrl(m, bio_access::ctrl);
    BIO_meth_set_create(m, bio_access::create);
    return m;
  }();
  return method;
}

bool any_of(int reason, std::initializer_list<int> reasons) {
  for (int r : reasons)
    if (r == reason) return true;
  return false;
}
}  // namespace

session::session(const context& ctx, role r) {
  ssl_ = SSL_new(ctx.raw());
  if (!ssl_) return;
  BIO* bio = BIO_new(memory_method());
  if (!bio) {
    SSL_free(ssl_);
    ssl_ = nullptr;
    return;
  }
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_, bio, bio);  // one BIO both ways: SSL takes over its single reference
  if (r == role::server) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
    const std::string& name = ctx.settings().server_name;
    if (!name.empty()) {
      SSL_set_tlsext_host_name(ssl_, name.c_str());
      SSL_set1_host(ssl_, name.c_str());
    }
  }
}

session::~session() {
  if (ssl_) SSL_free(ssl_);
}

status session::classify(int rc) {
  const int err = SSL_get_error(ssl_, rc);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
    ERR_clear_error();
    return status::want_more;
  }
  if (err == SSL_ERROR_ZERO_RETURN) {
    ERR_clear_error();
    return status::closed;
  }
  const unsigned long code = ERR_peek_last_error();
  const int reason = ERR_GET_REASON(code);
  detail_ = drain_errors();
  if (!done_) {
    if (any_of(reason, {SSL_R_WRONG_VERSION_NUMBER, SSL_R_HTTP_REQUEST, SSL_R_HTTPS_PROXY_REQUEST,
                        SSL_R_PACKET_LENGTH_TOO_LONG, SSL_R_RECORD_LENGTH_MISMATCH, SSL_R_UNEXPECTED_RECORD,
                        SSL_R_UNEXPECTED_MESSAGE, SSL_R_LENGTH_MISMATCH, SSL_R_LENGTH_TOO_SHORT,
                        SSL_R_BAD_PACKET_LENGTH, SSL_R_ENCRYPTED_LENGTH_TOO_LONG}))
      failure_ = failure::not_tls;
    else if (any_of(reason, {SSL_R_UNSUPPORTED_PROTOCOL, SSL_R_VERSION_TOO_LOW, SSL_R_VERSION_TOO_HIGH,
                             SSL_R_TLSV1_ALERT_PROTOCOL_VERSION, SSL_R_NO_PROTOCOLS_AVAILABLE}))
      failure_ = failure::protocol_version;
    else if (any_of(reason, {SSL_R_NO_SHARED_CIPHER, SSL_R_NO_SHARED_GROUPS, SSL_R_NO_SUITABLE_KEY_SHARE}))
      failure_ = failure::no_shared_cipher;
    else if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
      failure_ = failure::peer_cert_missing;
    else if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
      const long v = SSL_get_verify_result(ssl_);
      failure_ = (v == X509_V_ERR_CERT_HAS_EXPIRED || v == X509_V_ERR_CERT_NOT_YET_VALID)
                     ? failure::peer_cert_expired
                     : failure::peer_cert_rejected;
      detail_ += std::string(detail_.empty() ? "" : "; ") + X509_verify_cert_error_string(v);
    } else if (reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256)
      failure_ = reason == SSL_AD_REASON_OFFSET + SSL_AD_PROTOCOL_VERSION ? failure::protocol_version
                                                                          : failure::peer_alert;
    else
      failure_ = err == SSL_ERROR_SYSCALL ? failure::handshake_eof : failure::other;
  } else {
    failure_ = failure::bad_record;
  }
  return status::failed;
}

status session::handshake() {
  if (done_) return status::ok;
  ERR_clear_error();
  const int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    done_ = true;
    return status::ok;
  }
  return classify(rc);
}

status session::read(char* out, std::size_t cap, std::size_t& n) {
  n = 0;
  ERR_clear_error();
  const int rc = SSL_read_ex(ssl_, out, cap, &n);
  if (rc == 1) return status::ok;
  return classify(rc);
}

bool session::write(std::string_view plaintext) {
  if (plaintext.empty()) return true;
  ERR_clear_error();
  std::size_t written = 0;
  // The memory BIO takes everything, so a write is never partial.
  if (SSL_write_ex(ssl_, plaintext.data(), plaintext.size(), &written) == 1 && written == plaintext.size())
    return true;
  classify(0);
  return false;
}

void session::shutdown() {
  if (!done_) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

std::string session::peer_subject() const {
  X509* cert = SSL_get0_peer_certificate(ssl_);
  if (!cert) return {};
  char buf[512];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  return buf;
}

std::string session::describe() const {
  std::string out = SSL_get_version(ssl_);
  out += ' ';
  out += SSL_get_cipher_name(ssl_);
  const std::string subject = peer_subject();
  if (!subject.empty()) {
    out += " peer=";
    out += subject;
    out += SSL_get_verify_result(ssl_) == X509_V_OK ? " (verified)" : " (not verified)";
  }
  return out;
}

}  // namespace herald::tls
