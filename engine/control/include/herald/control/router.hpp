// Control API routes: method + path pattern -> route id with its {id} / {pid} path parameters.
#pragma once

#include <cstdint>
#include <string_view>

#include "herald/control/http_request.hpp"

namespace herald::control {

enum class route_id : std::uint8_t {
  none = 0,
  list_conferences,         // GET    /v1/conferences
  create_conference,        // POST   /v1/conferences
  get_conference,           // GET    /v1/conferences/{id}
  delete_conference,        // DELETE /v1/conferences/{id}
  list_participants,        // GET    /v1/conferences/{id}/participants
  add_participant,          // POST   /v1/conferences/{id}/participants
  add_participants_batch,   // POST   /v1/conferences/{id}/participants:batch
  get_participant,          // GET    /v1/conferences/{id}/participants/{pid}
  remove_participant,       // DELETE /v1/conferences/{id}/participants/{pid}
  remove_participant_post,  // POST   /v1/conferences/{id}/participants/{pid}:remove
  send_message,             // POST   /v1/conferences/{id}/messages
  health,                   // GET    /v1/health
};

enum class route_error : std::uint8_t {
  ok = 0,
  not_found,           // 404
  method_not_allowed,  // 405, answer with Allow: route_match::allow
  not_implemented,     // 501: a method the server does not know at all (RFC 9110 §9.1)
};

struct route_match {
  route_id route = route_id::none;
  std::string_view id;     // {id}, views into the path
  std::string_view pid;    // {pid}
  std::string_view allow;  // for 405: the methods the path does accept, e.g. "GET, DELETE"
};

// Path ids are opaque [A-Za-z0-9_-]{1,64}; anything else does not match a pattern, so it is a 404.
bool is_valid_id(std::string_view id);

route_error match_route(method verb, std::string_view path, route_match& out);

std::string_view to_string(route_id r);
int status_for(route_error e);

}  // namespace herald::control
