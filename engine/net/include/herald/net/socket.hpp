// TCP socket helpers: listeners (optionally SO_REUSEPORT per shard), blocking connects for tools, host:port.
#pragma once

#include <cstdint>
#include <string_view>

#include "herald/core/result.hpp"

namespace herald::net {

// Non-blocking listening socket on an IPv4/IPv6 literal or "localhost"; fd or -errno.
int listen_tcp(std::string_view host, std::uint16_t port, bool reuseport, int backlog = 1024);

// The bound port of a socket (after binding port 0); port or -errno.
int local_port(int fd);

// Blocking connect, for tests and tools; fd (blocking, TCP_NODELAY on) or -errno.
int connect_tcp(std::string_view host, std::uint16_t port);

// Creates a non-blocking TCP socket for `host` and fills the sockaddr to connect to; fd or -errno.
struct sockaddr_buffer {
  alignas(8) unsigned char bytes[128];  // sockaddr_storage-sized, without dragging in <sys/socket.h>
  unsigned len = 0;
};
int make_connect_socket(std::string_view host, std::uint16_t port, sockaddr_buffer& out);

int set_nodelay(int fd, bool on);
int set_nonblocking(int fd, bool on);

enum class address_error : std::uint8_t { ok = 0, missing_port, bad_port, empty_host };

struct host_port {
  std::string_view host;  // brackets stripped from "[::1]:2855"
  std::uint16_t port = 0;
};

// "host:port" or "[v6]:port"; host points into the input.
result<host_port, address_error> parse_host_port(std::string_view text);

}  // namespace herald::net
