// A blocking HTTP/1.1 POST with a deadline, for heraldd's calls to a signalling front end's JSON-RPC.
// One request per connection (Connection: close); never called on a shard.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "herald/core/result.hpp"

namespace herald::signalling {

// http://host:port/path (no TLS, no userinfo); the host an IP literal or a name.
struct http_url {
  std::string host;
  std::uint16_t port = 80;
  std::string path = "/";
};

enum class url_error : std::uint8_t { ok = 0, not_http, bad_host, bad_port };
result<http_url, url_error> parse_http_url(std::string_view url);

struct http_reply {
  int status = 0;  // 0: no reply (connect failed, timed out, or not HTTP)
  std::string body;
  std::string error;  // why status is 0
};

http_reply http_post(const http_url& url, std::string_view content_type, std::string_view body,
                     std::uint64_t timeout_ns);

}  // namespace herald::signalling
