// Route table and segment matcher: a handful of fixed patterns, so a linear scan beats any trie.
#include "herald/control/router.hpp"

namespace herald::control {

namespace {

struct route_entry {
  std::string_view pattern;  // '/'-separated; "{id}" and "{pid}" segments capture
  method verb;
  route_id route;
  std::string_view allow;  // every method of this pattern, for 405
};

constexpr route_entry kRoutes[] = {
    {"/v1/conferences", method::get, route_id::list_conferences, "GET, POST"},
    {"/v1/conferences", method::post, route_id::create_conference, "GET, POST"},
    {"/v1/conferences/{id}", method::get, route_id::get_conference, "GET, DELETE"},
    {"/v1/conferences/{id}", method::delete_, route_id::delete_conference, "GET, DELETE"},
    {"/v1/conferences/{id}/participants", method::get, route_id::list_participants, "GET, POST"},
    {"/v1/conferences/{id}/participants", method::post, route_id::add_participant, "GET, POST"},
    {"/v1/conferences/{id}/participants:batch", method::post, route_id::add_participants_batch, "POST"},
    {"/v1/conferences/{id}/participants/{pid}", method::get, route_id::get_participant, "GET, DELETE"},
    {"/v1/conferences/{id}/participants/{pid}", method::delete_, route_id::remove_participant, "GET, DELETE"},
    {"/v1/conferences/{id}/participants/{pid}:remove", method::post, route_id::remove_participant_post,
     "POST"},
    {"/v1/conferences/{id}/messages", method::post, route_id::send_message, "POST"},
    {"/v1/health", method::get, route_id::health, "GET"},
};

// Splits off the segment before the next '/'; more is false once the last segment was taken.
std::string_view next_segment(std::string_view& rest, bool& more) {
  std::size_t slash = rest.find('/');
  std::string_view seg = rest.substr(0, slash);
  more = slash != std::string_view::npos;
  rest = more ? rest.substr(slash + 1) : std::string_view{};
  return seg;
}

// Matches path against pattern segment by segment, capturing params. A trailing slash adds an empty
// segment, so "/v1/conferences/" does not match "/v1/conferences".
bool match_pattern(std::string_view pattern, std::string_view path, std::string_view& id,
                   std::string_view& pid) {
  if (path.empty() || path.front() != '/') return false;
  pattern.remove_prefix(1);
  path.remove_prefix(1);
  bool pattern_more = true, path_more = true;
  while (pattern_more && path_more) {
    std::string_view p = next_segment(pattern, pattern_more);
    std::string_view s = next_segment(path, path_more);
    if (p.starts_with("{id}") || p.starts_with("{pid}")) {
      // A capture, optionally followed by a literal suffix ("{pid}:remove"): ids never hold ':'.
      const std::string_view name = p.substr(0, p.find('}') + 1);
      const std::string_view suffix = p.substr(name.size());
      if (!s.ends_with(suffix)) return false;
      s.remove_suffix(suffix.size());
      if (!is_valid_id(s)) return false;
      (name == "{id}" ? id : pid) = s;
    } else if (p != s) {
      return false;
    }
  }
  return !pattern_more && !path_more;
}

}  // namespace

bool is_valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

route_error match_route(method verb, std::string_view path, route_match& out) {
  out = route_match{};
  std::string_view allow;
  for (const route_entry& r : kRoutes) {
    std::string_view id, pid;
    if (!match_pattern(r.pattern, path, id, pid)) continue;
    if (r.verb == verb) {
      out.route = r.route;
      out.id = id;
      out.pid = pid;
      return route_error::ok;
    }
    allow = r.allow;
  }
  if (allow.empty()) return route_error::not_found;
  out.allow = allow;
  return verb == method::other ? route_error::not_implemented : route_error::method_not_allowed;
}

std::string_view to_string(route_id r) {
  switch (r) {
    case route_id::none:
      return "none";
    case route_id::list_conferences:
      return "list_conferences";
    case route_id::create_conference:
      return "create_conference";
    case route_id::get_conference:
      return "get_conference";
    case route_id::delete_conference:
      return "delete_conference";
    case route_id::list_participants:
      return "list_participants";
    case route_id::add_participant:
      return "add_participant";
    case route_id::add_participants_batch:
      return "add_participants_batch";
    case route_id::get_participant:
      return "get_participant";
    case route_id::remove_participant:
      return "remove_participant";
    case route_id::remove_participant_post:
      return "remove_participant_post";
    case route_id::send_message:
      return "send_message";
    case route_id::health:
      return "health";
  }
  return "unknown";
}

int status_for(route_error e) {
  switch (e) {
    case route_error::ok:
      return 200;
    case route_error::not_found:
      return 404;
    case route_error::method_not_allowed:
      return 405;
    case route_error::not_implemented:
      return 501;
  }
  return 404;
}

}  // namespace herald::control
