// Blocking HTTP POST: non-blocking connect and poll against one deadline, Content-Length or close framing.
#include "herald/signalling/http_post.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "herald/core/ascii.hpp"
#include "herald/core/clock.hpp"

namespace herald::signalling {

result<http_url, url_error> parse_http_url(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (!ascii::istarts_with(url, scheme)) return url_error::not_http;
  std::string_view rest = url.substr(scheme.size());
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  http_url out;
  if (slash != std::string_view::npos) out.path.assign(rest.substr(slash));
  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return url_error::bad_host;
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return url_error::bad_host;
      port = authority.substr(close + 2);
    }
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty() || host.find('@') != std::string_view::npos) return url_error::bad_host;
  for (char c : host)
    if (ascii::is_control(c) || c == ' ') return url_error::bad_host;
  if (!port.empty()) {
    std::uint64_t p = 0;
    if (!ascii::parse_u64(port, p) || p == 0 || p > 65535) return url_error::bad_port;
    out.port = static_cast<std::uint16_t>(p);
  }
  out.host.assign(host);
  return out;
}

namespace {

struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

int remaining_ms(std::uint64_t deadline) {
  const std::uint64_t now = monotonic_ns();
  return now >= deadline ? 0 : static_cast<int>((deadline - now) / 1'000'000 + 1);
}

// Waits for `events` on fd until the deadline; false on timeout or error.
bool wait_for(int fd, short events, std::uint64_t deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    const int ms = remaining_ms(deadline);
    if (ms == 0) return false;
    const int rc = ::poll(&p, 1, ms);
    if (rc > 0) return true;
    if (rc == 0 || errno != EINTR) return false;
  }
}

}  // namespace

http_reply http_post(const http_url& url, std::string_view content_type, std::string_view body,
                     std::uint64_t timeout_ns) {
  http_reply reply;
  const std::uint64_t deadline = monotonic_ns() + timeout_ns;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(url.port);
  if (int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    reply.error = std::string("cannot resolve ") + url.host + ": " + gai_strerror(rc);
    return reply;
  }
  fd_guard sock;
  int connect_errno = 0;
  for (addrinfo* a = found; a && sock.fd < 0; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0 ||
        (errno == EINPROGRESS && wait_for(fd, POLLOUT, deadline))) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0) {
        sock.fd = fd;
        break;
      }
      connect_errno = err;
    } else {
      connect_errno = errno ? errno : ETIMEDOUT;
    }
    ::close(fd);
  }
  ::freeaddrinfo(found);
  if (sock.fd < 0) {
    reply.error = "cannot connect to " + url.host + ":" + port + ": " + std::strerror(connect_errno);
    return reply;
  }
  std::string request = "POST " + url.path + " HTTP/1.1\r\nHost: " + url.host + ":" + port +
                        "\r\nContent-Type: " + std::string(content_type) +
                        "\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\nConnection: close\r\n\r\n";
  request.append(body);
  for (std::string_view left = request; !left.empty();) {
    const ssize_t n = ::send(sock.fd, left.data(), left.size(), MSG_NOSIGNAL);
    if (n > 0) {
      left.remove_prefix(static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EAGAIN && wait_for(sock.fd, POLLOUT, deadline)) {
      continue;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      reply.error = "send failed or timed out";
      return reply;
    }
  }
  std::string in;
  std::size_t head_end = std::string::npos, content_length = std::string::npos;
  char buf[4096];
  while (true) {
    if (head_end != std::string::npos && content_length != std::string::npos &&
        in.size() >= head_end + content_length)
      break;
    const ssize_t n = ::recv(sock.fd, buf, sizeof buf, 0);
    if (n == 0) break;  // closed: the body ends here
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN && wait_for(sock.fd, POLLIN, deadline)) continue;
      reply.error = "no reply within the timeout";
      return reply;
    }
    in.append(buf, static_cast<std::size_t>(n));
    if (in.size() > (1u << 20)) {
      reply.error = "reply over 1 MiB";
      return reply;
    }
    if (head_end == std::string::npos && (head_end = in.find("\r\n\r\n")) != std::string::npos) {
      head_end += 4;
      const std::string_view head(in.data(), head_end);
      for (std::size_t at = head.find("\r\n"); at != std::string_view::npos; at = head.find("\r\n", at + 2)) {
        const std::string_view line = head.substr(at + 2, head.find("\r\n", at + 2) - at - 2);
        if (ascii::istarts_with(line, "content-length:")) {
          std::uint64_t v = 0;
          if (ascii::parse_u64(ascii::trim_wsp(line.substr(15)), v))
            content_length = static_cast<std::size_t>(v);
        }
      }
    }
  }
  if (head_end == std::string::npos || in.compare(0, 5, "HTTP/") != 0 || in.size() < 12) {
    reply.error = "not an HTTP reply";
    return reply;
  }
  std::uint64_t status = 0;
  if (!ascii::parse_u64(std::string_view(in).substr(9, 3), status)) {
    reply.error = "bad HTTP status line";
    return reply;
  }
  reply.status = static_cast<int>(status);
  reply.body = in.substr(head_end, content_length == std::string::npos ? std::string::npos : content_length);
  return reply;
}

}  // namespace herald::signalling
