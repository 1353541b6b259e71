// Socket helpers over the BSD API; every failure is returned as -errno.
#include "herald/net/socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace herald::net {

namespace {

static_assert(sizeof(sockaddr_buffer::bytes) >= sizeof(sockaddr_storage));

// Literal addresses only: Herald binds configured addresses, it does not resolve names on the data path.
int to_sockaddr(std::string_view host, std::uint16_t port, sockaddr_storage& ss, socklen_t& len) {
  std::string h(host);
  if (h.empty() || h == "localhost") h = "127.0.0.1";
  std::memset(&ss, 0, sizeof ss);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  if (inet_pton(AF_INET, h.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(sockaddr_in);
    return 0;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET6, h.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
    return 0;
  }
  return -EINVAL;
}

}  // namespace

int set_nodelay(int fd, bool on) {
  int v = on ? 1 : 0;
  return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v) == 0 ? 0 : -errno;
}

int set_nonblocking(int fd, bool on) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return -errno;
  fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
  return fcntl(fd, F_SETFL, fl) == 0 ? 0 : -errno;
}

int listen_tcp(std::string_view host, std::uint16_t port, bool reuseport, int backlog) {
  sockaddr_storage ss;
  socklen_t len = 0;
  if (int rc = to_sockaddr(host, port, ss, len); rc < 0) return rc;
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // One listener per shard with SO_REUSEPORT: the kernel spreads accepts, no acceptor thread hand-off.
  if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, backlog) != 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

int local_port(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return -errno;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return -EAFNOSUPPORT;
}

int make_connect_socket(std::string_view host, std::uint16_t port, sockaddr_buffer& out) {
  sockaddr_storage ss;
  socklen_t len = 0;
  if (int rc = to_sockaddr(host, port, ss, len); rc < 0) return rc;
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  set_nodelay(fd, true);
  std::memcpy(out.bytes, &ss, len);
  out.len = len;
  return fd;
}

int connect_tcp(std::string_view host, std::uint16_t port) {
  sockaddr_storage ss;
  socklen_t len = 0;
  if (int rc = to_sockaddr(host, port, ss, len); rc < 0) return rc;
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  set_nodelay(fd, true);
  return fd;
}

result<host_port, address_error> parse_host_port(std::string_view text) {
  host_port out;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    auto close_br = text.find(']');
    if (close_br == std::string_view::npos) return address_error::empty_host;
    out.host = text.substr(1, close_br - 1);
    rest = text.substr(close_br + 1);
    if (rest.empty() || rest.front() != ':') return address_error::missing_port;
    rest.remove_prefix(1);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return address_error::missing_port;
    out.host = text.substr(0, colon);
    rest = text.substr(colon + 1);
  }
  if (out.host.empty()) return address_error::empty_host;
  if (rest.empty() || rest.size() > 5) return address_error::bad_port;
  unsigned port = 0;
  for (char c : rest) {
    if (c < '0' || c > '9') return address_error::bad_port;
    port = port * 10 + unsigned(c - '0');
  }
  if (port > 65535) return address_error::bad_port;
  out.port = std::uint16_t(port);
  return out;
}

}  // namespace herald::net
