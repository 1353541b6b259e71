// The kernel-TLS probe: TCP_ULP "tls" can only be set on a connected TCP socket, so a loopback pair is
// made for it and thrown away.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

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
