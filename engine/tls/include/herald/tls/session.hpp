// One TLS connection's state machine over memory I/O: the reactor feeds it the ciphertext it received and
// sends the ciphertext it produced, so a handshake never blocks a shard and records ride the same
// coalesced send path as plaintext.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "herald/tls/context.hpp"

typedef struct ssl_st SSL;
typedef struct bio_st BIO;

namespace herald::tls {

// Why a TLS connection ended before (or instead of) carrying data; each is a /metrics label.
enum class failure : std::uint8_t {
  none = 0,
  handshake_timeout,   // --tls-handshake-timeout passed before the handshake finished
  handshake_eof,       // the peer closed during the handshake
  not_tls,             // plaintext or garbage where a TLS record was expected
  protocol_version,    // the peer offered only protocols below TLS 1.2 (or above what we speak)
  no_shared_cipher,    // no cipher suite or group in common
  peer_cert_missing,   // verify_peer and the client sent no certificate
  peer_cert_expired,   // verify_peer and its certificate is expired (or not yet valid)
  peer_cert_rejected,  // verify_peer and its certificate does not chain to --tls-ca (or is otherwise bad)
  peer_alert,          // the peer aborted with an alert (it rejected our certificate, say)
  bad_record,          // after the handshake: a record that does not decrypt or parse
  other,
};
inline constexpr std::size_t failure_count = static_cast<std::size_t>(failure::other) + 1;
const char* to_string(failure f);

enum class status : std::uint8_t {
  ok = 0,     // progress: handshake done / plaintext returned / written
  want_more,  // needs more ciphertext from the peer
  closed,     // the peer sent close_notify
  failed,     // last_failure() says why; the connection must close
};

class session {
 public:
  enum class role : std::uint8_t { server, client };
  session(const context& ctx, role r);
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;
  bool valid() const { return ssl_ != nullptr; }

  // Ciphertext received from the peer: the calls that follow consume it. The caller goes on with
  // handshake() and then read() until input_left() is false before the bytes go away: they are not
  // copied (the reactor's receive buffer is recycled as soon as it returns).
  void feed(std::string_view ciphertext) { in_ = ciphertext; }
  bool input_left() const { return !in_.empty(); }

  // Advances the handshake; ok once it is complete (then read() may return data that came with it).
  status handshake();
  bool handshake_done() const { return done_; }
  // Decrypts into out[0, cap): ok with n > 0, want_more, closed or failed.
  status read(char* out, std::size_t cap, std::size_t& n);
  // Encrypts plaintext into output(); OpenSSL cuts records at 16 KiB. False on an internal error.
  bool write(std::string_view plaintext);
  // Queues close_notify into output().
  void shutdown();

  // Record sealing without SSL_write. After a TLS 1.3 handshake with an AES-GCM suite (the default),
  // a server session protects its records itself (RFC 8446 §5.2) from the application traffic secret:
  // the caller builds the plaintext inside a record buffer and it is encrypted in place, which saves
  // OpenSSL's copy into its write buffer and the BIO's copy out of it. Other suites and TLS 1.2 go
  // through SSL_write (write()); write() and shutdown() use the sealer themselves when it is on.
  static constexpr std::size_t record_header_bytes = 5;
  static constexpr std::size_t record_trailer_bytes = 17;  // inner content type + 16-byte tag
  bool seals_records() const { return sealer_ != nullptr; }
  // record[0, 5) is free for the header, record[5, 5 + n) holds the plaintext (n <= 16384) and
  // record[5 + n, 5 + n + 17) is free: seals it in place and appends the whole record to output().
  bool seal(char* record, std::size_t n, std::uint8_t content_type = 23);

  // Kernel TLS for transmit: hands the sealer's key, IV and next sequence number to the kernel (TCP_ULP
  // "tls", then SOL_TLS TLS_TX) so plaintext written to fd leaves as records the kernel seals. Only once
  // everything this session produced has been written to fd. 0, or -errno (-ENOTSUP without a sealer).
  int enable_ktls_tx(int fd);
  bool ktls_tx() const { return ktls_tx_; }

  // Ciphertext produced and not yet taken, in order. The reactor swaps it with an empty vector to send it.
  std::vector<char>& output() { return out_; }
  // Bytes of ciphertext produced since the session began (the position frames are matched against).
  std::uint64_t produced() const { return produced_; }

  failure last_failure() const { return failure_; }
  std::string failure_detail() const { return detail_; }  // OpenSSL's words for it
  // After the handshake: "TLSv1.3 TLS_AES_128_GCM_SHA256" and, when the peer sent a certificate, its
  // subject and whether it verified.
  std::string describe() const;
  std::string peer_subject() const;
  SSL* native_handle() const { return ssl_; }  // for tests and tools that drive OpenSSL directly

 private:
  friend struct bio_access;
  friend struct keylog_access;
  struct sealer;
  status classify(int rc);
  void start_sealing(std::size_t records_already_written);
  SSL* ssl_ = nullptr;
  std::string_view in_;
  std::vector<char> out_;
  std::uint64_t produced_ = 0;
  failure failure_ = failure::none;
  std::string detail_;
  bool done_ = false;
  bool server_ = false;
  bool ktls_tx_ = false;
  std::string traffic_secret_;  // SERVER_TRAFFIC_SECRET_0 from the key log, until the sealer takes it
  std::unique_ptr<sealer> sealer_;
};

// Whether the kernel takes TLS offload here (setsockopt TCP_ULP "tls" on a connected TCP socket):
// 0 if it does, else -errno (ENOENT where the tls module is absent, as on the CI machine).
int probe_ktls();

// A TLS 1.3 connection over loopback with kTLS transmit on the server side, checked end to end by an
// OpenSSL client: 0 if the kernel's records decrypt to what was written, else -errno (-EPROTO if they
// did not). heraldd uses kTLS only where this passes.
int ktls_self_test(const context& server);

}  // namespace herald::tls
