// Kernel TLS: the probe (TCP_ULP "tls" can only be set on a connected TCP socket, so a loopback pair is
// made for it and thrown away) and the self-test that must pass before heraldd lets the kernel seal.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "herald/tls/context.hpp"
#include "herald/tls/session.hpp"

namespace herald::tls {

int probe_ktls() {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) return -errno;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int rc = 0;
  int client = -1;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 || ::listen(listener, 1) < 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) < 0) {
    rc = -errno;
  } else if ((client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
             ::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    rc = -errno;
  } else if (::setsockopt(client, SOL_TCP, TCP_ULP, "tls", sizeof "tls") < 0) {
    rc = -errno;
  }
  if (client >= 0) ::close(client);
  ::close(listener);
  return rc;
}

}  // namespace herald::tls

namespace herald::tls {

namespace {
struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

bool send_all(int fd, std::vector<char>& bytes) {
  std::size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += std::size_t(n);
  }
  bytes.clear();
  return true;
}

// Reads what is there within timeout_ms and feeds it to s; false on EOF or error.
bool receive(int fd, session& s, std::vector<char>& buf, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return true;
  const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
  if (n <= 0) return n < 0 && errno == EAGAIN;
  s.feed({buf.data(), std::size_t(n)});
  return true;
}
}  // namespace

int ktls_self_test(const context& server_ctx) {
  if (const int rc = probe_ktls(); rc != 0) return rc;
  fd_guard listener{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)}, client{-1}, server{-1};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listener.fd < 0 || ::bind(listener.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
      ::listen(listener.fd, 1) < 0 ||
      ::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&addr), &len) < 0)
    return -errno;
  client.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (client.fd < 0 || ::connect(client.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    return -errno;
  server.fd = ::accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (server.fd < 0) return -errno;
  context_settings cs;
  cs.client = true;  // the self-test checks the records, not the certificate
  std::string error;
  std::shared_ptr<context> client_ctx = context::load(cs, error);
  if (!client_ctx) return -EINVAL;
  session srv(server_ctx, session::role::server), cli(*client_ctx, session::role::client);
  std::vector<char> buf(16 * 1024);
  char plain[1024];
  std::size_t n = 0;
  cli.handshake();
  for (int round = 0; round < 50 && !(srv.handshake_done() && cli.handshake_done() && srv.output().empty());
       ++round) {
    if (!send_all(client.fd, cli.output()) || !receive(server.fd, srv, buf, 100)) return -EPROTO;
    if (srv.handshake() == status::failed || !send_all(server.fd, srv.output())) return -EPROTO;
    if (!receive(client.fd, cli, buf, 100)) return -EPROTO;
    if (cli.handshake() == status::failed) return -EPROTO;
    while (cli.input_left() && cli.read(plain, sizeof plain, n) == status::ok) {
    }
  }
  if (!srv.handshake_done() || !srv.seals_records()) return -ENOTSUP;
  if (const int rc = srv.enable_ktls_tx(server.fd); rc != 0) return rc;
  static constexpr std::string_view probe = "herald kTLS self-test: records sealed by the kernel";
  if (::send(server.fd, probe.data(), probe.size(), MSG_NOSIGNAL) != ssize_t(probe.size())) return -errno;
  std::string got;
  for (int round = 0; round < 20 && got.size() < probe.size(); ++round) {
    if (!receive(client.fd, cli, buf, 100)) return -EPROTO;
    while (cli.read(plain, sizeof plain, n) == status::ok) got.append(plain, n);
  }
  return got == probe ? 0 : -EPROTO;
}

}  // namespace herald::tls
