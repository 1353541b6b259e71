// A minimal blocking HTTP/1.1 client for driving heraldd's control API from tests and tools.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace herald::client {

struct http_reply {
  int status = 0;  // 0: no reply (connection failed or timed out)
  std::string body;
  std::string headers;
};

// One request on a fresh connection ("Connection: close"); bearer token added when non-empty.
http_reply http_request(std::uint16_t port, std::string_view method, std::string_view target,
                        std::string_view body = "", std::string_view token = "", int timeout_ms = 30000);

// Pulls a string or integer field out of a flat JSON reply: enough for tests, not a JSON parser.
std::string json_field(std::string_view json, std::string_view key);
std::int64_t json_int(std::string_view json, std::string_view key);

}  // namespace herald::client
