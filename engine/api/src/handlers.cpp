// Control API handlers: each route validated, applied to the engine, answered with JSON.
#include <charconv>
#include <string>

#include "herald/api/server.hpp"
#include "herald/control/auth.hpp"
#include "herald/control/http_response.hpp"
#include "herald/control/json_writer.hpp"
#include "herald/control/requests.hpp"
#include "herald/control/router.hpp"
#include "herald/core/clock.hpp"

namespace herald::api {

namespace {

using conference::directory_error;

constexpr std::string_view kJson = "application/json";

// The one place directory errors become HTTP statuses and API error codes.
int status_for(directory_error e) {
  switch (e) {
    case directory_error::ok:
      return 200;
    case directory_error::no_such_conference:
    case directory_error::no_such_participant:
    case directory_error::no_such_session:
      return 404;
    case directory_error::duplicate_address:
    case directory_error::session_bound_elsewhere:
      return 409;
    case directory_error::too_many_conferences:
    case directory_error::too_many_participants:
      return 409;
    case directory_error::entropy_unavailable:
      return 503;
  }
  return 500;
}

void directory_failure(std::string& out, directory_error e, bool keep_alive, std::string_view detail = {}) {
  std::string message(conference::to_string(e));
  if (!detail.empty()) {
    message += ": ";
    message += detail;
  }
  control::write_json_error(out, status_for(e), conference::to_string(e), message, keep_alive);
}

std::string_view query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    std::string_view pair = query.substr(0, query.find('&'));
    query = pair.size() < query.size() ? query.substr(pair.size() + 1) : std::string_view{};
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == name)
      return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
  }
  return {};
}

std::size_t parse_size(std::string_view s, std::size_t fallback) {
  std::size_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return (ec == std::errc() && p == s.data() + s.size()) ? v : fallback;
}

void write_participant(control::json_writer& w, const conference::participant& p,
                       const conference::engine& eng) {
  w.begin_object();
  w.key("id").value(p.id);
  w.key("address").value(p.address);
  if (!p.display_name.empty()) w.key("display_name").value(p.display_name);
  w.key("path").value(eng.session_path(p.session_id));
  w.key("bound").value(p.where.bound());
  w.end_object();
}

}  // namespace

bool handlers::authorized(const control::request& req, std::string& out) const {
  if (cfg_.token.empty()) return true;
  control::auth_error a = control::check_bearer(req.authorization, cfg_.token);
  if (a == control::auth_error::ok) return true;
  control::header extra[] = {{"WWW-Authenticate", control::www_authenticate(a)}};
  control::write_json_error(out, 401, "unauthorized", control::to_string(a), req.keep_alive, extra);
  return false;
}

void handlers::handle(const control::request& req, std::string& out) {
  const bool keep_alive = req.keep_alive;
  if (!authorized(req, out)) return;
  // Operational endpoints outside /v1.
  if (req.path == "/healthz" || req.path == "/metrics") {
    if (req.verb != control::method::get) {
      control::header extra[] = {{"Allow", "GET"}};
      control::write_json_error(out, 405, "method_not_allowed", "use GET", keep_alive, extra);
      return;
    }
    if (req.path == "/metrics") return metrics(out, keep_alive);
    if (engine_.draining()) {
      control::write_response(out, 503, kJson, R"({"status":"draining"})", keep_alive);
    } else {
      control::write_response(out, 200, kJson, R"({"status":"ok"})", keep_alive);
    }
    return;
  }
  constexpr std::string_view kMessages = "/v1/messages/";
  if (req.path.substr(0, kMessages.size()) == kMessages) {
    std::string_view id = req.path.substr(kMessages.size());
    if (!control::is_valid_id(id)) {
      control::write_json_error(out, 404, "not_found", "no such path", keep_alive);
      return;
    }
    if (req.verb != control::method::get) {
      control::header extra[] = {{"Allow", "GET"}};
      control::write_json_error(out, 405, "method_not_allowed", "use GET", keep_alive, extra);
      return;
    }
    return get_message(id, out, keep_alive);
  }

  control::route_match route;
  control::route_error re = control::match_route(req.verb, req.path, route);
  if (re != control::route_error::ok) {
    if (re == control::route_error::method_not_allowed) {
      control::header extra[] = {{"Allow", route.allow}};
      control::write_json_error(out, 405, "method_not_allowed", "method not allowed here", keep_alive, extra);
    } else {
      control::write_json_error(out, control::status_for(re),
                                re == control::route_error::not_found ? "not_found" : "not_implemented",
                                "no such route", keep_alive);
    }
    return;
  }
  switch (route.route) {
    case control::route_id::create_conference:
      return create_conference(req, out);
    case control::route_id::get_conference:
      return get_conference(route.id, req.query, out, keep_alive);
    case control::route_id::list_participants:
      return get_conference(route.id, req.query, out, keep_alive);
    case control::route_id::delete_conference: {
      directory_error e = engine_.delete_conference(route.id);
      if (e != directory_error::ok) return directory_failure(out, e, keep_alive);
      control::write_response(out, 204, {}, {}, keep_alive);
      return;
    }
    case control::route_id::add_participant:
      return add_participant(route.id, req, out);
    case control::route_id::add_participants_batch:
      return add_participants_batch(route.id, req, out);
    case control::route_id::remove_participant: {
      directory_error e = engine_.remove_participant(route.id, route.pid);
      if (e != directory_error::ok) return directory_failure(out, e, keep_alive);
      control::write_response(out, 204, {}, {}, keep_alive);
      return;
    }
    case control::route_id::get_participant: {
      std::vector<conference::participant> all;
      directory_error e = engine_.dir().list_participants(route.id, 0, SIZE_MAX, all);
      if (e != directory_error::ok) return directory_failure(out, e, keep_alive);
      for (const auto& p : all) {
        if (p.id != route.pid) continue;
        std::string body;
        control::json_writer w(body);
        write_participant(w, p, engine_);
        control::write_response(out, 200, kJson, body, keep_alive);
        return;
      }
      return directory_failure(out, directory_error::no_such_participant, keep_alive);
    }
    case control::route_id::send_message:
      return send_message(route.id, req, out);
    case control::route_id::health:
      control::write_response(out, engine_.draining() ? 503 : 200, kJson,
                              engine_.draining() ? R"({"status":"draining"})" : R"({"status":"ok"})",
                              keep_alive);
      return;
    case control::route_id::list_conferences:
    case control::route_id::none:
      break;
  }
  control::write_json_error(out, 404, "not_found", "no such route", keep_alive);
}

void handlers::create_conference(const control::request& req, std::string& out) {
  control::create_conference_request body;
  control::decode_error err = control::decode_create_conference(req.body, body);
  if (!err.ok()) return control::write_decode_error(out, err, req.keep_alive);
  conference::conference_info info;
  directory_error e = engine_.dir().create_conference(body.uri, body.display_name.value_or(""), info);
  if (e != directory_error::ok) return directory_failure(out, e, req.keep_alive);
  std::string json;
  control::json_writer w(json);
  w.begin_object().key("id").value(info.id).key("uri").value(info.uri);
  if (!info.display_name.empty()) w.key("display_name").value(info.display_name);
  w.end_object();
  control::write_response(out, 201, kJson, json, req.keep_alive);
}

void handlers::get_conference(std::string_view id, std::string_view query, std::string& out,
                              bool keep_alive) {
  conference::conference_info info;
  directory_error e = engine_.dir().get_conference(id, info);
  if (e != directory_error::ok) return directory_failure(out, e, keep_alive);
  std::size_t offset = parse_size(query_param(query, "offset"), 0);
  std::size_t limit = std::min<std::size_t>(parse_size(query_param(query, "limit"), 100), 1000);
  std::vector<conference::participant> page;
  engine_.dir().list_participants(id, offset, limit, page);
  std::string json;
  control::json_writer w(json);
  w.begin_object().key("id").value(info.id).key("uri").value(info.uri);
  if (!info.display_name.empty()) w.key("display_name").value(info.display_name);
  w.key("participant_count").value(static_cast<std::uint64_t>(info.participant_count));
  w.key("offset")
      .value(static_cast<std::uint64_t>(offset))
      .key("limit")
      .value(static_cast<std::uint64_t>(limit));
  w.key("participants").begin_array();
  for (const auto& p : page) write_participant(w, p, engine_);
  w.end_array().end_object();
  control::write_response(out, 200, kJson, json, keep_alive);
}

void handlers::add_participant(std::string_view id, const control::request& req, std::string& out) {
  control::add_participant_request body;
  control::decode_error err = control::decode_add_participant(req.body, body);
  if (!err.ok()) return control::write_decode_error(out, err, req.keep_alive);
  conference::participant p;
  directory_error e = engine_.dir().add_participant(id, body.address, body.display_name.value_or(""), p);
  if (e != directory_error::ok) return directory_failure(out, e, req.keep_alive, body.address);
  std::string json;
  control::json_writer w(json);
  write_participant(w, p, engine_);
  control::write_response(out, 201, kJson, json, req.keep_alive);
}

void handlers::add_participants_batch(std::string_view id, const control::request& req, std::string& out) {
  control::add_participants_batch_request body;
  control::decode_error err = control::decode_add_participants_batch(req.body, body);
  if (!err.ok()) return control::write_decode_error(out, err, req.keep_alive);
  std::vector<std::pair<std::string, std::string>> entries;
  entries.reserve(body.participants.size());
  for (auto& p : body.participants) entries.emplace_back(std::move(p.address), p.display_name.value_or(""));
  std::vector<conference::participant> added;
  std::string duplicate;
  directory_error e = engine_.dir().add_participants(id, std::move(entries), added, duplicate);
  if (e != directory_error::ok) return directory_failure(out, e, req.keep_alive, duplicate);
  std::string json;
  json.reserve(added.size() * 128);
  control::json_writer w(json);
  w.begin_object().key("participants").begin_array();
  for (const auto& p : added) write_participant(w, p, engine_);
  w.end_array().end_object();
  control::write_response(out, 201, kJson, json, req.keep_alive);
}

void handlers::send_message(std::string_view id, const control::request& req, std::string& out) {
  control::send_message_request body;
  control::decode_error err = control::decode_send_message(req.body, body);
  if (!err.ok()) return control::write_decode_error(out, err, req.keep_alive);
  conference::system_message msg;
  msg.conference_id = std::string(id);
  msg.to = std::move(body.to);
  msg.subject = body.subject.value_or("");
  if (body.kind == control::body_kind::external) {
    conference::external_reference x;
    x.url = body.external.url;
    x.content_type = body.external.content_type;
    x.has_size = body.external.size.has_value();
    x.size = body.external.size.value_or(0);
    x.has_expiration = body.external.expiration_unix.has_value();
    x.expiration = body.external.expiration_unix.value_or(0);
    msg.external = std::move(x);
  } else {
    msg.content_type = std::move(body.content_type);
    msg.body = shared_buffer::copy_of(body.body, fanout::body_headroom_bytes);
  }
  conference::send_result r = engine_.send_system_message(std::move(msg));
  std::string json;
  control::json_writer w(json);
  switch (r.error) {
    case conference::send_error::ok:
      w.begin_object().key("id").value(r.record->id());
      w.key("recipients").value(static_cast<std::uint64_t>(r.record->recipients())).end_object();
      control::write_response(out, 202, kJson, json, req.keep_alive);
      return;
    case conference::send_error::unknown_recipients:
      w.begin_object().key("error").begin_object();
      w.key("code").value("unknown_recipients").key("message").value("recipients are not participants");
      w.key("addresses").begin_array();
      for (const auto& a : r.unknown) w.value(a);
      w.end_array().end_object().end_object();
      control::write_response(out, 422, kJson, json, req.keep_alive);
      return;
    case conference::send_error::no_such_conference:
      return directory_failure(out, directory_error::no_such_conference, req.keep_alive);
    case conference::send_error::draining:
      control::write_json_error(out, 503, "draining", "server is shutting down", req.keep_alive);
      return;
    case conference::send_error::too_many_pending:
      control::write_json_error(out, 429, "too_many_pending", "too many pending deliveries", req.keep_alive);
      return;
    case conference::send_error::body_too_large:
      control::write_json_error(out, 413, "body_too_large", "message body exceeds --max-message-size",
                                req.keep_alive);
      return;
    case conference::send_error::bad_content:
      control::write_json_error(out, 422, "bad_content", r.detail, req.keep_alive);
      return;
  }
}

void handlers::get_message(std::string_view id, std::string& out, bool keep_alive) {
  auto record = engine_.tracker().find(id);
  if (!record) {
    control::write_json_error(out, 404, "no_such_message", "no such message (or past retention)", keep_alive);
    return;
  }
  constexpr std::size_t kMaxFailuresListed = 1000;
  std::size_t n = record->recipients();
  std::size_t delivered = record->delivered(), failed = record->failed();
  std::string json;
  control::json_writer w(json);
  w.begin_object().key("id").value(record->id());
  w.key("recipients").value(static_cast<std::uint64_t>(n));
  w.key("delivered").value(static_cast<std::uint64_t>(delivered));
  w.key("failed").value(static_cast<std::uint64_t>(failed));
  w.key("pending").value(static_cast<std::uint64_t>(n - delivered - failed));
  if (std::uint64_t done = record->completed_ns())
    w.key("completion_ms").value(static_cast<std::uint64_t>((done - record->created_ns()) / 1'000'000));
  if (std::uint64_t written = record->last_written_ns())
    w.key("written_ms").value(static_cast<std::uint64_t>((written - record->created_ns()) / 1'000'000));
  w.key("failures").begin_array();
  std::size_t listed = 0;
  for (std::size_t i = 0; i < n && listed < kMaxFailuresListed; ++i) {
    if (record->state(i) != conference::delivery_state::failed) continue;
    w.begin_object().key("address").value(record->address(i));
    w.key("status").value(static_cast<std::uint64_t>(record->status(i)));
    w.key("reason").value(conference::to_string(record->reason(i))).end_object();
    ++listed;
  }
  w.end_array();
  w.key("failures_truncated").value(failed > listed);
  w.end_object();
  control::write_response(out, 200, kJson, json, keep_alive);
}

}  // namespace herald::api
