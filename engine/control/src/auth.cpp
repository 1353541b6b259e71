// Bearer-token check: scheme parsing per RFC 9110 §11.4, comparison by herald::constant_time_equal.
#include "herald/control/auth.hpp"

#include "herald/control/http_request.hpp"
#include "herald/core/ascii.hpp"
#include "herald/core/random.hpp"

namespace herald::control {

namespace {

// token68 (RFC 9110 §11.2).
bool is_token68(std::string_view t) {
  std::size_t i = 0;
  for (; i < t.size(); ++i) {
    char c = t[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
    if (!ok) break;
  }
  std::size_t body = i;
  while (i < t.size() && t[i] == '=') ++i;
  return body > 0 && i == t.size();
}

}  // namespace

auth_error check_bearer(std::string_view authorization, std::string_view expected) {
  if (authorization.empty()) return auth_error::missing;
  // The auth-scheme is case-insensitive (RFC 9110 §11.1); one or more SP separate it from the token.
  if (authorization.size() < 7 || !ascii::iequals(authorization.substr(0, 6), "bearer") ||
      authorization[6] != ' ')
    return auth_error::malformed;
  std::string_view token = authorization.substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  if (!is_token68(token)) return auth_error::malformed;
  if (expected.empty()) return auth_error::invalid;
  return constant_time_equal(token, expected) ? auth_error::ok : auth_error::invalid;
}

std::string_view www_authenticate(auth_error e) {
  switch (e) {
    case auth_error::malformed:
      return "Bearer realm=\"herald\", error=\"invalid_request\"";
    case auth_error::invalid:
      return "Bearer realm=\"herald\", error=\"invalid_token\"";
    default:
      return "Bearer realm=\"herald\"";
  }
}

std::string_view to_string(auth_error e) {
  switch (e) {
    case auth_error::ok:
      return "ok";
    case auth_error::missing:
      return "missing_credentials";
    case auth_error::malformed:
      return "malformed_credentials";
    case auth_error::invalid:
      return "invalid_token";
  }
  return "unknown";
}

}  // namespace herald::control
