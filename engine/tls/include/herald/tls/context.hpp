// TLS contexts: a certificate, key and trust settings loaded once, shared by every session made from them.
#pragma once

#include <memory>
#include <mutex>
#include <string>

typedef struct ssl_ctx_st SSL_CTX;

namespace herald::tls {

struct context_settings {
  std::string cert_file;  // PEM, leaf first, chain allowed; ECDSA or RSA key
  std::string key_file;
  std::string ca_file;       // PEM bundle that peer certificates must chain to (with verify_peer)
  bool verify_peer = false;  // server: a client certificate is required and checked against ca_file
  bool client = false;       // a client context (tests, herald-load): cert/key optional
  std::string server_name;   // client: the name the server's certificate must carry ("" = not checked)
};

class context {
 public:
  // Loads everything the settings name; nullptr and error set (the file and OpenSSL's reason) otherwise.
  static std::shared_ptr<context> load(const context_settings& settings, std::string& error);
  ~context();
  context(const context&) = delete;
  context& operator=(const context&) = delete;

  SSL_CTX* raw() const { return ctx_; }
  const context_settings& settings() const { return settings_; }
  bool is_client() const { return settings_.client; }

 private:
  context(SSL_CTX* ctx, context_settings s) : ctx_(ctx), settings_(std::move(s)) {}
  SSL_CTX* ctx_;
  context_settings settings_;
};

// Where new connections take their context from. reload() re-reads the files (SIGHUP) and swaps the
// context for connections accepted after it; open sessions keep the one they started with.
class context_source {
 public:
  explicit context_source(std::shared_ptr<context> initial) : current_(std::move(initial)) {}
  std::shared_ptr<context> current() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  // False (and the old context kept) if the files no longer load; error says why.
  bool reload(std::string& error);
  std::uint64_t reloads() const {
    std::lock_guard lock(mutex_);
    return reloads_;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<context> current_;
  std::uint64_t reloads_ = 0;
};

// Text of OpenSSL's error queue (and clears it): "file: reason; reason".
std::string drain_errors();

}  // namespace herald::tls
