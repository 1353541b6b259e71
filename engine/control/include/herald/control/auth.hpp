// Bearer-token check for the control API (RFC 6750 §2.1), constant-time in the token's bytes.
#pragma once

#include <cstdint>
#include <string_view>

namespace herald::control {

enum class auth_error : std::uint8_t {
  ok = 0,
  missing,    // no Authorization field: 401 with "WWW-Authenticate: Bearer"
  malformed,  // not "Bearer <token68>": 401 with error="invalid_request" (RFC 6750 §3.1)
  invalid,    // wrong token: 401 with error="invalid_token"
};

// authorization is the Authorization field value (request::authorization); expected the configured
// token. An empty expected token refuses everything, so a missing configuration fails closed.
auth_error check_bearer(std::string_view authorization, std::string_view expected);

// The WWW-Authenticate value to send with the 401 for e (RFC 6750 §3).
std::string_view www_authenticate(auth_error e);

std::string_view to_string(auth_error e);

}  // namespace herald::control
