// A TLS session over memory I/O: a custom BIO reads the span the reactor fed and appends ciphertext to the
// session's output vector, so no bytes sit in OpenSSL's BIO buffers and no socket is touched.
#include "herald/tls/session.hpp"

#include <linux/tls.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <cerrno>
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

struct session::sealer {
  EVP_CIPHER_CTX* ctx = nullptr;
  unsigned char key[32] = {};
  std::size_t key_len = 0;
  unsigned char iv[12] = {};
  std::uint64_t sequence = 0;
  ~sealer() {
    EVP_CIPHER_CTX_free(ctx);
    OPENSSL_cleanse(key, sizeof key);
  }
};

// The key log is where OpenSSL hands out traffic secrets (the same channel SSLKEYLOGFILE uses); only the
// server's application secret is kept, and only by the session it belongs to.
struct keylog_access {
  static void callback(const SSL* ssl, const char* line) {
    constexpr std::string_view label = "SERVER_TRAFFIC_SECRET_0 ";
    const std::string_view text(line);
    if (!text.starts_with(label)) return;
    auto* s = static_cast<session*>(SSL_get_app_data(ssl));
    if (!s || !s->server_) return;
    const std::string_view hex = text.substr(text.rfind(' ') + 1);
    s->traffic_secret_.clear();
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
      auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
      s->traffic_secret_.push_back(char(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
    }
  }
};

void install_keylog(SSL_CTX* ctx) {
  SSL_CTX_set_keylog_callback(ctx, keylog_access::callback);
}

namespace {
// HKDF-Expand-Label (RFC 8446 §7.1) with an empty context, for outputs no longer than the hash.
bool expand_label(const EVP_MD* md, std::string_view secret, std::string_view label, unsigned char* out,
                  std::size_t length) {
  unsigned char info[64];
  std::size_t n = 0;
  info[n++] = 0;
  info[n++] = static_cast<unsigned char>(length);
  info[n++] = static_cast<unsigned char>(6 + label.size());
  std::memcpy(info + n, "tls13 ", 6);
  n += 6;
  std::memcpy(info + n, label.data(), label.size());
  n += label.size();
  info[n++] = 0;  // context: empty
  info[n++] = 1;  // HKDF-Expand's T(1) counter
  unsigned char t[EVP_MAX_MD_SIZE];
  unsigned int t_len = 0;
  if (!HMAC(md, secret.data(), int(secret.size()), info, n, t, &t_len) || t_len < length) return false;
  std::memcpy(out, t, length);
  OPENSSL_cleanse(t, sizeof t);
  return true;
}

// Records in a span of TLS ciphertext (5-byte headers, lengths followed).
std::size_t count_records(const char* p, std::size_t n) {
  std::size_t records = 0;
  for (std::size_t off = 0; off + 5 <= n; ++records)
    off += 5 + ((std::size_t(std::uint8_t(p[off + 3])) << 8) | std::uint8_t(p[off + 4]));
  return records;
}
}  // namespace

session::session(const context& ctx, role r) {
  ssl_ = SSL_new(ctx.raw());
  if (!ssl_) return;
  server_ = r == role::server;
  SSL_set_app_data(ssl_, this);
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
  const std::size_t before = out_.size();
  const int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    done_ = true;
    // What the completing call wrote is already under the application secret (TLS 1.3 session
    // tickets): those records are the sequence numbers the sealer starts after.
    if (server_) start_sealing(count_records(out_.data() + before, out_.size() - before));
    return status::ok;
  }
  return classify(rc);
}

void session::start_sealing(std::size_t records_already_written) {
  std::string secret;
  secret.swap(traffic_secret_);
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_);
  const std::string_view name = cipher ? SSL_CIPHER_get_name(cipher) : "";
  const bool aes128 = name == "TLS_AES_128_GCM_SHA256", aes256 = name == "TLS_AES_256_GCM_SHA384";
  if (SSL_version(ssl_) == TLS1_3_VERSION && (aes128 || aes256) && !secret.empty()) {
    const EVP_MD* md = aes128 ? EVP_sha256() : EVP_sha384();
    const std::size_t key_len = aes128 ? 16 : 32;
    unsigned char key[32];
    auto s = std::make_unique<sealer>();
    s->ctx = EVP_CIPHER_CTX_new();
    s->sequence = records_already_written;
    if (s->ctx && expand_label(md, secret, "key", key, key_len) &&
        expand_label(md, secret, "iv", s->iv, 12) &&
        EVP_EncryptInit_ex(s->ctx, aes128 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(), nullptr, key, nullptr) ==
            1) {
      std::memcpy(s->key, key, key_len);
      s->key_len = key_len;
      sealer_ = std::move(s);
    }
    OPENSSL_cleanse(key, sizeof key);
  }
  OPENSSL_cleanse(secret.data(), secret.size());
}

bool session::seal(char* record, std::size_t n, std::uint8_t content_type) {
  sealer& s = *sealer_;
  unsigned char nonce[12];
  std::memcpy(nonce, s.iv, sizeof nonce);
  for (int i = 0; i < 8; ++i) nonce[4 + i] ^= static_cast<unsigned char>(s.sequence >> (56 - 8 * i));
  const std::size_t length = n + record_trailer_bytes;
  auto* r = reinterpret_cast<unsigned char*>(record);
  r[0] = 23;  // opaque_type: application_data, whatever the inner type (RFC 8446 §5.2)
  r[1] = 3;
  r[2] = 3;
  r[3] = static_cast<unsigned char>(length >> 8);
  r[4] = static_cast<unsigned char>(length);
  r[5 + n] = content_type;
  int len = 0;
  if (EVP_EncryptInit_ex(s.ctx, nullptr, nullptr, nullptr, nonce) != 1 ||
      EVP_EncryptUpdate(s.ctx, nullptr, &len, r, 5) != 1 ||
      EVP_EncryptUpdate(s.ctx, r + 5, &len, r + 5, int(n + 1)) != 1 ||
      EVP_EncryptFinal_ex(s.ctx, r + 5 + n + 1, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(s.ctx, EVP_CTRL_AEAD_GET_TAG, 16, r + 5 + n + 1) != 1) {
    failure_ = failure::other;
    detail_ = drain_errors();
    return false;
  }
  ++s.sequence;
  const std::size_t total = record_header_bytes + length;
  out_.insert(out_.end(), record, record + total);
  produced_ += total;
  return true;
}

status session::read(char* out, std::size_t cap, std::size_t& n) {
  n = 0;
  ERR_clear_error();
  const std::size_t before = out_.size();
  const int rc = SSL_read_ex(ssl_, out, cap, &n);
  if (sealer_) {
    // Once the sealer writes, OpenSSL's write sequence is stale: what it wrote now (an alert about a bad
    // record) would be garbage to the peer, so it is dropped. A KeyUpdate the peer requests would need
    // an answer under new keys before our next record (RFC 8446 §4.6.3); the sealer does not rotate keys,
    // so the connection ends instead. Clients ask for one after ~2^24 records, if ever.
    out_.resize(before);
    if (SSL_get_key_update_type(ssl_) != SSL_KEY_UPDATE_NONE) {
      ERR_clear_error();
      failure_ = failure::other;
      detail_ = "the peer asked for a TLS 1.3 key update, which this focus does not answer";
      return status::failed;
    }
  }
  if (rc == 1) return status::ok;
  return classify(rc);
}

bool session::write(std::string_view plaintext) {
  if (plaintext.empty()) return true;
  if (sealer_) {
    char record[record_header_bytes + 16384 + record_trailer_bytes];
    while (!plaintext.empty()) {
      const std::size_t n = std::min<std::size_t>(plaintext.size(), 16384);
      std::memcpy(record + record_header_bytes, plaintext.data(), n);
      if (!seal(record, n)) return false;
      plaintext.remove_prefix(n);
    }
    return true;
  }
  ERR_clear_error();
  std::size_t written = 0;
  // The memory BIO takes everything, so a write is never partial.
  if (SSL_write_ex(ssl_, plaintext.data(), plaintext.size(), &written) == 1 && written == plaintext.size())
    return true;
  classify(0);
  return false;
}

int session::enable_ktls_tx(int fd) {
  if (!sealer_ || !out_.empty()) return -ENOTSUP;
  const sealer& s = *sealer_;
  if (::setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof "tls") != 0) return -errno;
  unsigned char sequence[8];
  for (int i = 0; i < 8; ++i) sequence[i] = static_cast<unsigned char>(s.sequence >> (56 - 8 * i));
  // For TLS 1.3 the kernel's nonce is salt (4) || iv (8) XOR the sequence, as RFC 8446 §5.3 builds it.
  auto install = [&](auto& info, int cipher) {
    info.info.version = TLS_1_3_VERSION;
    info.info.cipher_type = static_cast<__u16>(cipher);
    std::memcpy(info.key, s.key, sizeof info.key);
    std::memcpy(info.salt, s.iv, 4);
    std::memcpy(info.iv, s.iv + 4, 8);
    std::memcpy(info.rec_seq, sequence, 8);
    const int rc = ::setsockopt(fd, SOL_TLS, TLS_TX, &info, sizeof info);
    const int err = errno;
    OPENSSL_cleanse(&info, sizeof info);
    return rc == 0 ? 0 : -err;
  };
  int rc;
  if (s.key_len == 16) {
    tls12_crypto_info_aes_gcm_128 info{};
    rc = install(info, TLS_CIPHER_AES_GCM_128);
  } else {
    tls12_crypto_info_aes_gcm_256 info{};
    rc = install(info, TLS_CIPHER_AES_GCM_256);
  }
  if (rc == 0) ktls_tx_ = true;
  return rc;
}

void session::shutdown() {
  if (!done_) return;
  if (sealer_) {
    char record[record_header_bytes + 2 + record_trailer_bytes];
    record[5] = 1;  // alert level warning
    record[6] = 0;  // close_notify
    seal(record, 2, 21);
    return;
  }
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
