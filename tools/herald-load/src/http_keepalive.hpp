// A blocking HTTP/1.1 client that keeps its connection open across requests (the control API driver
// posts hundreds of messages a second; a TCP handshake per message would cap the rate).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace herald::load {

struct http_result {
  int status = 0;  // 0: no reply
  std::string body;
};

class http_keepalive {
 public:
  http_keepalive(std::string host, std::uint16_t port) : host_(std::move(host)), port_(port) {}
  http_keepalive(const http_keepalive&) = delete;
  http_keepalive& operator=(const http_keepalive&) = delete;
  ~http_keepalive() { close(); }

  // Reconnects once if the kept connection turns out to be closed.
  http_result request(std::string_view method, std::string_view target, std::string_view body = "",
                      int timeout_ms = 60000);
  void close();

 private:
  bool connect();
  http_result attempt(std::string_view method, std::string_view target, std::string_view body, int timeout_ms,
                      bool& retry);

  std::string host_;
  std::uint16_t port_;
  int fd_ = -1;
  std::string in_;
};

}  // namespace herald::load
