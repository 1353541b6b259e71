// Control API handlers: each route validated, applied to the engine, answered with JSON.
#include <string>

#include "herald/api/server.hpp"
#include "herald/control/auth.hpp"
#include "herald/control/http_response.hpp"
#include "herald/control/json_writer.hpp"
#include "herald/control/query.hpp"
#include "herald/control/requests.hpp"
#include "herald/control/router.hpp"
#include "herald/core/ascii.hpp"
#include "herald/core/clock.hpp"
#include "herald/msrp/uri.hpp"
#include "herald/sdp/sdp.hpp"

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
    case directory_error::duplicate_uri:
    case directory_error::session_bound_elsewhere:
    case directory_error::too_many_conferences:
    case directory_error::too_many_participants:
      return 409;
    case directory_error::entropy_unavailable:
      return 503;
  }
  return 500;
}

// What the request named, so the error message says which thing was not found or clashed.
struct subject {
  std::string_view conference_id;
  std::string_view participant_id;
  std::string_view address;  // duplicate_address
  std::string_view uri;      // duplicate_uri
};

std::string describe(directory_error e, const subject& what) {
  // Appended, not `"'" + std::string(v)`: g++ 12 at -O3 warns (-Wrestrict) on that operator+ falsely.
  auto quoted = [](std::string_view v) {
    std::string q;
    q.reserve(v.size() + 2);
    return q.append(1, '\'').append(v).append(1, '\'');
  };
  switch (e) {
    case directory_error::no_such_conference:
      return what.uri.empty() ? "no conference with id " + quoted(what.conference_id)
                              : "no conference with uri " + quoted(what.uri);
    case directory_error::no_such_participant:
      return "no participant with id " + quoted(what.participant_id) + " in conference " +
             quoted(what.conference_id);
    case directory_error::duplicate_address:
      return "address " + quoted(what.address) + " is already a participant of conference " +
             quoted(what.conference_id);
    case directory_error::duplicate_uri:
      return "a conference with uri " + quoted(what.uri) + " already exists";
    case directory_error::too_many_conferences:
      return "the --max-conferences limit is reached";
    case directory_error::too_many_participants:
      return "conference " + quoted(what.conference_id) + " is at the --max-participants limit";
    case directory_error::entropy_unavailable:
      return "the system random source failed; try again";
    default:
      return std::string(conference::to_string(e));
  }
}

void directory_failure(std::string& out, directory_error e, bool keep_alive, const subject& what) {
  control::write_json_error(out, status_for(e), conference::to_string(e), describe(e, what), keep_alive);
}

void write_participant(control::json_writer& w, const conference::participant& p,
                       const conference::engine& eng, std::string_view sdp_answer = {}) {
  w.begin_object();
  w.key("id").value(p.id);
  w.key("address").value(p.address);
  if (!p.display_name.empty()) w.key("display_name").value(p.display_name);
  w.key("path").value(eng.session_path(p.session_id, p.tls));
  w.key("transport").value(p.tls ? "msrps" : "msrp");
  w.key("bound").value(p.where.bound());
  if (p.sip && !p.sip->expected_peer.empty()) w.key("peer_path").value(p.sip->expected_peer);
  if (p.sip && p.sip->dialog) w.key("sip_call_id").value(p.sip->dialog->call_id);
  if (!sdp_answer.empty()) w.key("sdp_answer").value(sdp_answer);
  w.end_object();
}

void write_conference_fields(control::json_writer& w, const conference::conference_info& info) {
  w.key("id").value(info.id).key("uri").value(info.uri);
  if (!info.display_name.empty()) w.key("display_name").value(info.display_name);
  w.key("participant_count").value(static_cast<std::uint64_t>(info.participant_count));
}

constexpr std::size_t kDefaultPage = 100;
constexpr std::size_t kMaxPage = 1000;

// offset/limit (and any other fields given) from the query; false with a 400 written into out.
bool read_query(const control::request& req, std::span<control::query_field> fields, std::string& out) {
  std::string bad;
  control::query_error e = control::parse_query(req.query, fields, bad);
  if (e != control::query_error::ok) {
    control::write_json_error(out, 400, control::to_string(e),
                              "query parameter '" + bad + "': " + std::string(control::to_string(e)),
                              req.keep_alive);
    return false;
  }
  return true;
}

struct page {
  std::size_t offset = 0;
  std::size_t limit = kDefaultPage;
};

bool read_page(const control::request& req, const control::query_field& offset,
               const control::query_field& limit, page& p, std::string& out) {
  auto bad = [&](std::string_view name, std::string_view range) {
    control::write_json_error(
        out, 400, "bad_number",
        "query parameter '" + std::string(name) + "' must be a whole number " + std::string(range),
        req.keep_alive);
    return false;
  };
  if (offset.present && !control::parse_count(offset.value, SIZE_MAX, p.offset)) return bad("offset", ">= 0");
  if (limit.present && (!control::parse_count(limit.value, kMaxPage, p.limit) || p.limit == 0))
    return bad("limit", "from 1 to 1000");
  return true;
}

// RFC 8259 §11: application/json, parameters allowed (charset is meaningless but harmless).
bool is_json(std::string_view content_type) {
  return ascii::iequals(ascii::trim_wsp(content_type.substr(0, content_type.find(';'))), "application/json");
}

bool is_write(control::method m) {
  return m == control::method::post || m == control::method::put || m == control::method::patch ||
         m == control::method::delete_;
}

msrp::report_mode report_mode_of(control::failure_report_mode m) {
  switch (m) {
    case control::failure_report_mode::yes:
      return msrp::report_mode::yes;
    case control::failure_report_mode::no:
      return msrp::report_mode::no;
    case control::failure_report_mode::partial:
      return msrp::report_mode::partial;
  }
  return msrp::report_mode::unset;
}

}  // namespace

bool handlers::authorized(const control::request& req, std::string& out) const {
  if (cfg_.token.empty()) return true;
  // Liveness answers without the token (probes should not carry a secret) and says nothing else.
  if (req.path == "/healthz" && req.verb == control::method::get) return true;
  control::auth_error a = control::check_bearer(req.authorization, cfg_.token);
  if (a == control::auth_error::ok) return true;
  control::header extra[] = {{"WWW-Authenticate", control::www_authenticate(a)}};
  control::write_json_error(out, 401, "unauthorized", control::to_string(a), req.keep_alive, extra);
  return false;
}

void handlers::health(std::string& out, bool keep_alive) const {
  if (engine_.draining()) {
    control::write_response(out, 503, kJson, R"({"status":"draining"})", keep_alive);
  } else {
    control::write_response(out, 200, kJson, R"({"status":"ok"})", keep_alive);
  }
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
    return health(out, keep_alive);
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
  // While draining nothing may change: reads keep answering (message status above all), writes do not.
  if (is_write(req.verb) && engine_.draining()) {
    control::write_json_error(out, 503, "draining", "server is shutting down; no changes are accepted",
                              keep_alive);
    return;
  }
  // Every body this API takes is JSON; another media type is refused before it is read as one.
  if ((req.has_content_length && req.content_length > 0) && !is_json(req.content_type)) {
    control::write_json_error(
        out, 415, "unsupported_media_type",
        "request body must be application/json (Content-Type was '" + std::string(req.content_type) + "')",
        keep_alive);
    return;
  }
  const subject what{route.id, route.pid, {}, {}};
  switch (route.route) {
    case control::route_id::list_conferences:
      return list_conferences(req, out);
    case control::route_id::create_conference:
      return create_conference(req, out);
    case control::route_id::get_conference:
    case control::route_id::list_participants:
      return get_conference(route.id, req, out);
    case control::route_id::delete_conference: {
      directory_error e = engine_.delete_conference(route.id);
      if (e != directory_error::ok) return directory_failure(out, e, keep_alive, what);
      control::write_response(out, 204, {}, {}, keep_alive);
      return;
    }
    case control::route_id::add_participant:
      return add_participant(route.id, req, out);
    case control::route_id::add_participants_batch:
      return add_participants_batch(route.id, req, out);
    case control::route_id::remove_participant:
    case control::route_id::remove_participant_post: {
      // bye false: the front end itself reports the dialog's end (the client sent BYE), so none is sent.
      // DELETE says it as ?bye=false, the POST form (for front ends that cannot DELETE) in its body.
      control::remove_participant_request how;
      if (route.route == control::route_id::remove_participant) {
        control::query_field fields[] = {{"bye", {}, false}};
        if (!read_query(req, fields, out)) return;
        if (fields[0].present && fields[0].value != "true" && fields[0].value != "false") {
          control::write_json_error(out, 400, "bad_value", "query parameter 'bye' must be true or false",
                                    keep_alive);
          return;
        }
        how.bye = fields[0].value != "false";
      } else if (control::decode_error err = control::decode_remove_participant(req.body, how); !err.ok()) {
        return control::write_decode_error(out, err, keep_alive);
      }
      directory_error e = engine_.remove_participant(route.id, route.pid, how.bye);
      if (e != directory_error::ok) return directory_failure(out, e, keep_alive, what);
      control::write_response(out, 204, {}, {}, keep_alive);
      return;
    }
    case control::route_id::get_participant: {
      conference::participant p;
      directory_error e = engine_.dir().get_participant(route.id, route.pid, p);
      if (e != directory_error::ok) return directory_failure(out, e, keep_alive, what);
      std::string body;
      control::json_writer w(body);
      write_participant(w, p, engine_);
      control::write_response(out, 200, kJson, body, keep_alive);
      return;
    }
    case control::route_id::send_message:
      return send_message(route.id, req, out);
    case control::route_id::health:
      return health(out, keep_alive);
    case control::route_id::none:
      break;
  }
  control::write_json_error(out, 404, "not_found", "no such route", keep_alive);
}

void handlers::list_conferences(const control::request& req, std::string& out) {
  control::query_field fields[] = {{"offset", {}, false}, {"limit", {}, false}, {"uri", {}, false}};
  if (!read_query(req, fields, out)) return;
  std::string json;
  control::json_writer w(json);
  if (fields[2].present) {
    // A front end's lookup by the INVITE's Request-URI: one conference or 404.
    if (fields[0].present || fields[1].present) {
      control::write_json_error(out, 400, "conflicting_parameters",
                                "uri is a lookup: it takes no offset or limit", req.keep_alive);
      return;
    }
    conference::conference_info info;
    directory_error e = engine_.dir().find_conference_by_uri(fields[2].value, info);
    if (e != directory_error::ok)
      return directory_failure(out, e, req.keep_alive, subject{{}, {}, {}, fields[2].value});
    w.begin_object();
    write_conference_fields(w, info);
    w.end_object();
    control::write_response(out, 200, kJson, json, req.keep_alive);
    return;
  }
  page p;
  if (!read_page(req, fields[0], fields[1], p, out)) return;
  std::vector<conference::conference_info> list;
  std::size_t total = 0;
  engine_.dir().list_conferences(p.offset, p.limit, list, total);
  w.begin_object().key("total").value(static_cast<std::uint64_t>(total));
  w.key("offset")
      .value(static_cast<std::uint64_t>(p.offset))
      .key("limit")
      .value(static_cast<std::uint64_t>(p.limit));
  w.key("conferences").begin_array();
  for (const auto& info : list) {
    w.begin_object();
    write_conference_fields(w, info);
    w.end_object();
  }
  w.end_array().end_object();
  control::write_response(out, 200, kJson, json, req.keep_alive);
}

void handlers::create_conference(const control::request& req, std::string& out) {
  control::create_conference_request body;
  control::decode_error err = control::decode_create_conference(req.body, body);
  if (!err.ok()) return control::write_decode_error(out, err, req.keep_alive);
  conference::conference_info info;
  directory_error e = engine_.dir().create_conference(body.uri, body.display_name.value_or(""), info);
  if (e != directory_error::ok)
    return directory_failure(out, e, req.keep_alive, subject{{}, {}, {}, body.uri});
  std::string json;
  control::json_writer w(json);
  w.begin_object().key("id").value(info.id).key("uri").value(info.uri);
  if (!info.display_name.empty()) w.key("display_name").value(info.display_name);
  w.end_object();
  control::write_response(out, 201, kJson, json, req.keep_alive);
}

void handlers::get_conference(std::string_view id, const control::request& req, std::string& out) {
  control::query_field fields[] = {{"offset", {}, false}, {"limit", {}, false}};
  page p;
  if (!read_query(req, fields, out) || !read_page(req, fields[0], fields[1], p, out)) return;
  conference::conference_info info;
  directory_error e = engine_.dir().get_conference(id, info);
  if (e != directory_error::ok) return directory_failure(out, e, req.keep_alive, subject{id, {}, {}, {}});
  std::vector<conference::participant> list;
  engine_.dir().list_participants(id, p.offset, p.limit, list);
  std::string json;
  control::json_writer w(json);
  w.begin_object();
  write_conference_fields(w, info);
  w.key("offset")
      .value(static_cast<std::uint64_t>(p.offset))
      .key("limit")
      .value(static_cast<std::uint64_t>(p.limit));
  w.key("participants").begin_array();
  for (const auto& participant : list) write_participant(w, participant, engine_);
  w.end_array().end_object();
  control::write_response(out, 200, kJson, json, req.keep_alive);
}

bool handlers::choose_transport(std::optional<control::transport_kind> asked, bool& tls, std::string& out,
                                bool keep_alive) const {
  // Without a choice, plaintext where the focus serves it (what a TCP/MSRP client expects), else msrps.
  tls = asked ? *asked == control::transport_kind::msrps : !engine_.serves_plaintext();
  if (tls ? engine_.serves_tls() : engine_.serves_plaintext()) return true;
  control::write_json_error(out, 422, "transport_unavailable",
                            tls ? "transport msrps: this focus has no --msrps listener"
                                : "transport msrp: this focus serves only msrps",
                            keep_alive);
  return false;
}

void handlers::add_participant(std::string_view id, const control::request& req, std::string& out) {
  control::add_participant_request body;
  control::decode_error err = control::decode_add_participant(req.body, body);
  if (!err.ok()) return control::write_decode_error(out, err, req.keep_alive);
  // A front end's INVITE: its SDP offer must have an MSRP line Herald can answer (else the front end
  // answers 488), and the offer's path names the one endpoint that may bind the session.
  std::optional<conference::signalling> sip;
  sdp::session_description offer;
  std::size_t chosen = 0;
  bool tls = false;
  if (!choose_transport(body.transport, tls, out, req.keep_alive)) return;
  if (body.sdp_offer) {
    auto parsed = sdp::parse(*body.sdp_offer);
    result<std::size_t, sdp::sdp_error> usable = parsed.ok()
                                                     ? sdp::choose_msrp_media(*parsed, engine_.serves_tls())
                                                     : result<std::size_t, sdp::sdp_error>(parsed.error());
    if (!usable.ok()) {
      control::write_json_error(
          out, 422, "sdp_not_acceptable",
          "sdp_offer cannot be answered: " + std::string(sdp::to_string(usable.error())), req.keep_alive);
      return;
    }
    offer = *parsed;
    chosen = *usable;
    // The offer's m= line decides (RFC 4975 §8.1: TCP/TLS/MSRP is msrps), whatever the default.
    tls = offer.media[chosen].tls();
    if (!tls && !engine_.serves_plaintext()) {
      control::write_json_error(out, 422, "sdp_not_acceptable",
                                "sdp_offer cannot be answered: this focus serves only TCP/TLS/MSRP",
                                req.keep_alive);
      return;
    }
    sip.emplace();
    sip->expected_peer.assign(msrp::last_uri(offer.media[chosen].path));
  }
  if (body.sip) {
    if (!sip) sip.emplace();
    const control::sip_dialog_spec& d = *body.sip;
    sip->dialog = conference::sip_dialog{d.call_id,    d.local_uri,  d.local_tag,
                                         d.remote_uri, d.remote_tag, d.remote_target};
  }
  conference::participant p;
  directory_error e =
      engine_.dir().add_participant(id, body.address, body.display_name.value_or(""), p, std::move(sip), tls);
  if (e != directory_error::ok)
    return directory_failure(out, e, req.keep_alive, subject{id, {}, body.address, {}});
  std::string json;
  control::json_writer w(json);
  if (!body.sdp_offer) {
    write_participant(w, p, engine_);
  } else {
    const std::string path = engine_.session_path(p.session_id, tls);
    const conference::host_port advertised = engine_.advertised(tls);
    sdp::answer_params a;
    a.address = advertised.host;
    a.port = advertised.port;
    a.tls = tls;
    a.path = path;
    a.max_size = engine_.config().max_message_bytes;
    a.session_id = static_cast<std::uint64_t>(wall_seconds());
    write_participant(w, p, engine_, sdp::answer(offer, chosen, a));
  }
  control::write_response(out, 201, kJson, json, req.keep_alive);
}

void handlers::add_participants_batch(std::string_view id, const control::request& req, std::string& out) {
  control::add_participants_batch_request body;
  control::decode_error err = control::decode_add_participants_batch(req.body, body);
  if (!err.ok()) return control::write_decode_error(out, err, req.keep_alive);
  std::vector<conference::new_participant> entries;
  entries.reserve(body.participants.size());
  for (auto& p : body.participants) {
    bool tls = false;
    if (!choose_transport(p.transport, tls, out, req.keep_alive)) return;
    entries.push_back({std::move(p.address), p.display_name.value_or(""), tls});
  }
  std::vector<conference::participant> added;
  std::string duplicate;
  directory_error e = engine_.dir().add_participants(id, std::move(entries), added, duplicate);
  if (e != directory_error::ok)
    return directory_failure(out, e, req.keep_alive, subject{id, {}, duplicate, {}});
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
  conference::message_submission msg;
  msg.conference_id = std::string(id);
  msg.to = std::move(body.to);
  msg.subject = body.subject.value_or("");
  if (body.success_report) msg.success_report = msrp::report_mode::yes;
  if (body.failure_report) msg.failure_report = report_mode_of(*body.failure_report);
  if (body.kind == control::body_kind::external) {
    conference::external_reference x;
    x.url = body.external.url;
    x.content_type = body.external.content_type;
    x.content_id = body.external.content_id.value_or("");
    x.has_size = body.external.size.has_value();
    x.size = body.external.size.value_or(0);
    x.has_expiration = body.external.expiration_unix.has_value();
    x.expiration = body.external.expiration_unix.value_or(0);
    msg.external = std::move(x);
  } else {
    msg.content_type = std::move(body.content_type);
    msg.body = shared_buffer::copy_of(body.body, fanout::body_headroom_bytes);
  }
  conference::submit_result r = engine_.submit(std::move(msg));
  std::string json;
  control::json_writer w(json);
  switch (r.error) {
    case conference::submit_error::ok:
      w.begin_object().key("id").value(r.record->id());
      w.key("recipients").value(static_cast<std::uint64_t>(r.record->recipients())).end_object();
      control::write_response(out, 202, kJson, json, req.keep_alive);
      return;
    case conference::submit_error::unknown_recipients:
      w.begin_object().key("error").begin_object();
      w.key("code").value("unknown_recipients");
      w.key("message").value(std::to_string(r.unknown.size()) +
                             " recipient(s) are not participants of conference '" + std::string(id) + "'");
      w.key("addresses").begin_array();
      for (const auto& a : r.unknown) w.value(a);
      w.end_array().end_object().end_object();
      control::write_response(out, 422, kJson, json, req.keep_alive);
      return;
    case conference::submit_error::no_such_conference:
      return directory_failure(out, directory_error::no_such_conference, req.keep_alive,
                               subject{id, {}, {}, {}});
    case conference::submit_error::draining:
      control::write_json_error(out, 503, "draining", "server is shutting down", req.keep_alive);
      return;
    case conference::submit_error::too_many_pending:
      control::write_json_error(out, 429, "too_many_pending",
                                "conference '" + std::string(id) +
                                    "' has --max-pending-deliveries undelivered recipients; retry later",
                                req.keep_alive);
      return;
    case conference::submit_error::body_too_large:
      control::write_json_error(out, 413, "body_too_large", "message body exceeds --max-message-size",
                                req.keep_alive);
      return;
    case conference::submit_error::unreadable_content:
    case conference::submit_error::unusable_content:
      control::write_json_error(out, 422, "bad_content", r.detail, req.keep_alive);
      return;
  }
}

void handlers::get_message(std::string_view id, std::string& out, bool keep_alive) {
  auto record = engine_.tracker().find(id);
  if (!record) {
    control::write_json_error(
        out, 404, "no_such_message",
        "no message with id '" + std::string(id) + "' (unknown, or past --message-retention)", keep_alive);
    return;
  }
  constexpr std::size_t kMaxFailuresListed = 1000;
  std::size_t n = record->recipients();
  // Counts are read before the total pending is derived, each at most one loop iteration behind the
  // recipients' states (message_record::add_settled).
  std::size_t delivered = record->delivered(), sent = record->sent(), failed = record->failed();
  std::string json;
  control::json_writer w(json);
  w.begin_object().key("id").value(record->id());
  w.key("recipients").value(static_cast<std::uint64_t>(n));
  w.key("delivered").value(static_cast<std::uint64_t>(delivered));
  w.key("sent").value(static_cast<std::uint64_t>(sent));
  w.key("failed").value(static_cast<std::uint64_t>(failed));
  w.key("pending").value(static_cast<std::uint64_t>(n - delivered - sent - failed));
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
