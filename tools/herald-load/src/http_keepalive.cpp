// Keep-alive HTTP/1.1 client: Content-Length bodies only (all heraldd sends).
#include "http_keepalive.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace herald::load {

namespace {
std::uint64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::uint64_t(ts.tv_sec) * 1000 + std::uint64_t(ts.tv_nsec) / 1000000;
}
bool iequal_prefix(std::string_view line, std::string_view name) {
  if (line.size() < name.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) !=
        std::tolower(static_cast<unsigned char>(name[i])))
      return false;
  return true;
}
}  // namespace

bool http_keepalive::connect() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  if (::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1 ||
      ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    close();
    return false;
  }
  in_.clear();
  return true;
}

void http_keepalive::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

http_result http_keepalive::request(std::string_view method, std::string_view target, std::string_view body,
                                    int timeout_ms) {
  bool retry = false;
  http_result r = attempt(method, target, body, timeout_ms, retry);
  if (r.status == 0 && retry) r = attempt(method, target, body, timeout_ms, retry);
  return r;
}

http_result http_keepalive::attempt(std::string_view method, std::string_view target, std::string_view body,
                                    int timeout_ms, bool& retry) {
  http_result reply;
  // Only a kept connection that died before answering is worth one retry.
  retry = fd_ >= 0;
  if (fd_ < 0 && !connect()) return reply;
  std::string req;
  req.reserve(160 + body.size());
  req.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(host_).append("\r\n");
  if (!body.empty() || method == "POST")
    req.append("Content-Type: application/json\r\nContent-Length: ")
        .append(std::to_string(body.size()))
        .append("\r\n");
  req.append("\r\n").append(body);
  std::string_view rest = req;
  while (!rest.empty()) {
    ssize_t n = ::send(fd_, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      close();
      return reply;
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  std::uint64_t deadline = now_ms() + static_cast<std::uint64_t>(timeout_ms);
  std::size_t head_end = std::string::npos, length = 0;
  bool close_after = false;
  for (;;) {
    if (head_end == std::string::npos) {
      head_end = in_.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::string_view head(in_.data(), head_end);
        reply.status = in_.size() > 12 ? std::atoi(in_.c_str() + 9) : 0;
        std::size_t at = 0;
        while ((at = head.find("\r\n", at)) != std::string_view::npos) {
          at += 2;
          std::string_view line = head.substr(at, head.find("\r\n", at) - at);
          if (iequal_prefix(line, "content-length:")) length = std::strtoull(line.data() + 15, nullptr, 10);
          if (iequal_prefix(line, "connection: close")) close_after = true;
        }
      }
    }
    if (head_end != std::string::npos && in_.size() >= head_end + 4 + length) break;
    std::uint64_t now = now_ms();
    if (now >= deadline) {
      close();
      reply.status = 0;
      return reply;
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(deadline - now)) <= 0) continue;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      close();
      reply.status = 0;
      return reply;
    }
    retry = false;
    in_.append(buf, static_cast<std::size_t>(n));
  }
  retry = false;
  reply.body = in_.substr(head_end + 4, length);
  in_.erase(0, head_end + 4 + length);
  if (close_after) close();
  return reply;
}

}  // namespace herald::load
