// JSON request decoding: types checked first (400), then values validated (422), field paths in errors.
#include "herald/control/requests.hpp"

#include <simdjson.h>

#include <charconv>

#include "herald/control/http_response.hpp"
#include "herald/control/json_writer.hpp"
#include "herald/control/validate.hpp"
#include "herald/core/ascii.hpp"

namespace herald::control {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// A JSON path built only when an error needs it: a chain of stack frames, no allocation on success.
struct path {
  const path* parent = nullptr;
  std::string_view key;
  std::size_t index = 0;
  bool is_index = false;

  path field(std::string_view k) const { return path{this, k, 0, false}; }
  path at(std::size_t i) const { return path{this, {}, i, true}; }

  void render(std::string& out) const {
    if (parent) parent->render(out);
    if (is_index) {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, index);
      out.push_back('[');
      out.append(buf, r.ptr);
      out.push_back(']');
    } else if (!key.empty()) {
      if (!out.empty()) out.push_back('.');
      out.append(key);
    }
  }
};

bool fail(decode_error& err, api_error code, const path& where, std::string_view what) {
  err.code = code;
  err.field.clear();
  where.render(err.field);
  err.message = err.field.empty() ? std::string("request body") : err.field;
  err.message.push_back(' ');
  err.message.append(what);
  return false;
}

bool fail_value(decode_error& err, const path& where, value_error e) {
  return fail(err, api_error::invalid_value, where, describe(e));
}

// The DOM parser keeps its buffers between requests; one per thread because shards never share.
simdjson::dom::parser& thread_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

bool parse_json(std::string_view json, element& root, decode_error& err) {
  if (thread_parser().parse(json.data(), json.size()).get(root) != simdjson::SUCCESS)
    return fail(err, api_error::malformed_json, path{}, "is not valid JSON");
  return true;
}

// Collects an object's known members by name, refusing unknown and repeated keys.
template <std::size_t N>
struct members {
  std::string_view names[N];
  element values[N];
  bool present[N] = {};

  explicit members(const std::string_view (&n)[N]) {
    for (std::size_t i = 0; i < N; ++i) names[i] = n[i];
  }

  bool collect(element e, const path& where, decode_error& err) {
    simdjson::dom::object obj;
    if (e.get_object().get(obj) != simdjson::SUCCESS)
      return fail(err, api_error::wrong_type, where, "must be an object");
    for (auto kv : obj) {
      std::size_t i = 0;
      while (i < N && names[i] != kv.key) ++i;
      if (i == N) return fail(err, api_error::unknown_field, where.field(kv.key), "is not a known field");
      if (present[i])
        return fail(err, api_error::duplicate_field, where.field(kv.key), "appears more than once");
      present[i] = true;
      values[i] = kv.value;
    }
    // null is "absent" for every optional member.
    for (std::size_t i = 0; i < N; ++i)
      if (present[i] && values[i].is_null()) present[i] = false;
    return true;
  }

  bool get_string(std::size_t i, const path& where, std::string_view& out, decode_error& err) const {
    if (values[i].get_string().get(out) != simdjson::SUCCESS)
      return fail(err, api_error::wrong_type, where.field(names[i]), "must be a string");
    return true;
  }

  bool require(std::size_t i, const path& where, decode_error& err) const {
    if (!present[i]) return fail(err, api_error::missing_field, where.field(names[i]), "is required");
    return true;
  }
};

bool check_address(std::string_view v, const path& where, decode_error& err) {
  if (value_error e = validate_address(v); e != value_error::ok) return fail_value(err, where, e);
  return true;
}

bool check_text(std::string_view v, std::size_t max, const path& where, decode_error& err) {
  if (value_error e = validate_text(v, max); e != value_error::ok) return fail_value(err, where, e);
  return true;
}

// The address, display name and transport members (at indices 0, 1 and 2 of m): types first, then values.
template <std::size_t N>
bool read_participant(const members<N>& m, const path& where, participant_spec& out, decode_error& err) {
  constexpr std::size_t kAddress = 0, kDisplayName = 1;
  if (!m.require(kAddress, where, err)) return false;
  std::string_view address, name;
  if (!m.get_string(kAddress, where, address, err)) return false;
  if (m.present[kDisplayName] && !m.get_string(kDisplayName, where, name, err)) return false;
  if (!check_address(address, where.field("address"), err)) return false;
  if (m.present[kDisplayName] && !check_text(name, kMaxDisplayNameBytes, where.field("display_name"), err))
    return false;
  out.address.assign(address);
  if (m.present[kDisplayName]) out.display_name.emplace(name);
  constexpr std::size_t kTransport = 2;
  if (m.present[kTransport]) {
    std::string_view transport;
    if (!m.get_string(kTransport, where, transport, err)) return false;
    if (transport == "msrp") {
      out.transport = transport_kind::msrp;
    } else if (transport == "msrps") {
      out.transport = transport_kind::msrps;
    } else {
      fail(err, api_error::invalid_value, where.field("transport"), "must be \"msrp\" or \"msrps\"");
      return false;
    }
  }
  return true;
}

bool decode_participant(element e, const path& where, participant_spec& out, decode_error& err) {
  members<3> m({"address", "display_name", "transport"});
  return m.collect(e, where, err) && read_participant(m, where, out, err);
}

bool decode_external(element e, const path& where, external_body_spec& out, decode_error& err) {
  enum { kUrl, kContentType, kSize, kExpiration, kContentId };
  members<5> m({"url", "content_type", "size", "expiration", "content_id"});
  if (!m.collect(e, where, err) || !m.require(kUrl, where, err) || !m.require(kContentType, where, err))
    return false;
  std::string_view url, ct, expiration, content_id;
  if (!m.get_string(kUrl, where, url, err) || !m.get_string(kContentType, where, ct, err)) return false;
  if (m.present[kExpiration] && !m.get_string(kExpiration, where, expiration, err)) return false;
  if (m.present[kContentId] && !m.get_string(kContentId, where, content_id, err)) return false;
  if (m.present[kSize]) {
    const element& s = m.values[kSize];
    if (!s.is_int64() && !s.is_uint64())
      return fail(err, api_error::wrong_type, where.field("size"), "must be an integer");
    if (s.is_int64() && s.get_int64().value_unsafe() < 0)
      return fail(err, api_error::invalid_value, where.field("size"), "must not be negative");
    out.size = s.is_uint64() ? s.get_uint64().value_unsafe()
                             : static_cast<std::uint64_t>(s.get_int64().value_unsafe());
  }
  if (value_error v = validate_url(url); v != value_error::ok) return fail_value(err, where.field("url"), v);
  if (value_error v = validate_content_type(ct); v != value_error::ok)
    return fail_value(err, where.field("content_type"), v);
  if (m.present[kContentId]) {
    if (value_error v = validate_content_id(content_id); v != value_error::ok)
      return fail_value(err, where.field("content_id"), v);
    out.content_id.emplace(content_id);
  }
  if (m.present[kExpiration]) {
    auto when = parse_http_date(expiration);
    if (!when.ok()) return fail_value(err, where.field("expiration"), when.error());
    out.expiration.emplace(expiration);
    out.expiration_unix = when.value();
  }
  out.url.assign(url);
  out.content_type.assign(ct);
  return true;
}

}  // namespace

std::string_view to_string(api_error e) {
  switch (e) {
    case api_error::ok:
      return "ok";
    case api_error::malformed_json:
      return "malformed_json";
    case api_error::wrong_type:
      return "wrong_type";
    case api_error::missing_field:
      return "missing_field";
    case api_error::unknown_field:
      return "unknown_field";
    case api_error::duplicate_field:
      return "duplicate_field";
    case api_error::conflicting_fields:
      return "conflicting_fields";
    case api_error::invalid_value:
      return "invalid_value";
    case api_error::too_many_items:
      return "too_many_items";
  }
  return "unknown";
}

int status_for(api_error e) {
  switch (e) {
    case api_error::ok:
      return 200;
    case api_error::invalid_value:
    case api_error::too_many_items:
      return 422;
    default:
      return 400;
  }
}

void write_decode_error(std::string& out, const decode_error& err, bool keep_alive) {
  std::string body;
  json_writer w(body);
  w.begin_object().key("error").begin_object();
  w.key("code").value(to_string(err.code)).key("message").value(err.message);
  if (!err.field.empty()) w.key("field").value(err.field);
  w.end_object().end_object();
  write_response(out, status_for(err.code), "application/json", body, keep_alive);
}

decode_error decode_create_conference(std::string_view json, create_conference_request& out) {
  decode_error err;
  element root;
  if (!parse_json(json, root, err)) return err;
  enum { kUri, kDisplayName };
  members<2> m({"uri", "display_name"});
  const path top;
  if (!m.collect(root, top, err) || !m.require(kUri, top, err)) return err;
  std::string_view uri, name;
  if (!m.get_string(kUri, top, uri, err)) return err;
  if (m.present[kDisplayName] && !m.get_string(kDisplayName, top, name, err)) return err;
  if (!check_address(uri, top.field("uri"), err)) return err;
  if (m.present[kDisplayName] && !check_text(name, kMaxDisplayNameBytes, top.field("display_name"), err))
    return err;
  out = create_conference_request{};
  out.uri.assign(uri);
  if (m.present[kDisplayName]) out.display_name.emplace(name);
  return err;
}

namespace {

bool decode_sip_dialog(element e, const path& where, sip_dialog_spec& out, decode_error& err) {
  enum { kCallId, kLocalUri, kLocalTag, kRemoteUri, kRemoteTag, kRemoteTarget, kCount };
  members<kCount> m({"call_id", "local_uri", "local_tag", "remote_uri", "remote_tag", "remote_target"});
  if (!m.collect(e, where, err)) return false;
  std::string* fields[kCount] = {&out.call_id,    &out.local_uri,  &out.local_tag,
                                 &out.remote_uri, &out.remote_tag, &out.remote_target};
  for (std::size_t i = 0; i < kCount; ++i) {
    std::string_view v;
    if (!m.require(i, where, err) || !m.get_string(i, where, v, err)) return false;
    // Header text: these are written into the BYE heraldd asks the front end to send.
    if (v.empty()) return fail(err, api_error::invalid_value, where.field(m.names[i]), "must not be empty");
    if (!check_text(v, kMaxSipFieldBytes, where.field(m.names[i]), err)) return false;
    fields[i]->assign(v);
  }
  return true;
}

}  // namespace

decode_error decode_add_participant(std::string_view json, add_participant_request& out) {
  decode_error err;
  element root;
  if (!parse_json(json, root, err)) return err;
  // A batch entry's fields plus the signalling front end's.
  enum { kAddress, kDisplayName, kTransport, kSdpOffer, kSip, kCount };
  members<kCount> m({"address", "display_name", "transport", "sdp_offer", "sip"});
  const path top;
  add_participant_request p;
  if (!m.collect(root, top, err) || !read_participant(m, top, p, err)) return err;
  std::string_view offer;
  if (m.present[kSdpOffer] && !m.get_string(kSdpOffer, top, offer, err)) return err;
  if (m.present[kSdpOffer]) {
    // SDP is text lines; the SDP parser checks the rest (sdp_not_acceptable, 422).
    if (offer.empty() || offer.size() > kMaxSdpBytes) {
      fail(err, api_error::invalid_value, top.field("sdp_offer"), "must be 1 to 16384 bytes");
      return err;
    }
    p.sdp_offer.emplace(offer);
  }
  if (m.present[kSip]) {
    sip_dialog_spec dialog;
    if (!decode_sip_dialog(m.values[kSip], top.field("sip"), dialog, err)) return err;
    p.sip = std::move(dialog);
  }
  out = std::move(p);
  return err;
}

decode_error decode_remove_participant(std::string_view json, remove_participant_request& out) {
  decode_error err;
  out = remove_participant_request{};
  if (json.empty()) return err;
  element root;
  if (!parse_json(json, root, err)) return err;
  members<1> m({"bye"});
  const path top;
  if (!m.collect(root, top, err)) return err;
  if (m.present[0] && m.values[0].get_bool().get(out.bye) != simdjson::SUCCESS)
    fail(err, api_error::wrong_type, top.field("bye"), "must be a boolean");
  return err;
}

decode_error decode_add_participants_batch(std::string_view json, add_participants_batch_request& out,
                                           const decode_limits& lim) {
  decode_error err;
  element root;
  if (!parse_json(json, root, err)) return err;
  const path top;
  path list = top;
  simdjson::dom::array arr;
  if (root.is_array()) {
    arr = root.get_array().value_unsafe();
  } else {
    members<1> m({"participants"});
    if (!m.collect(root, top, err) || !m.require(0, top, err)) return err;
    list = top.field("participants");
    if (m.values[0].get_array().get(arr) != simdjson::SUCCESS) {
      fail(err, api_error::wrong_type, list, "must be an array");
      return err;
    }
  }
  const std::size_t n = arr.size();
  if (n == 0) {
    fail(err, api_error::invalid_value, list, "must not be empty");
    return err;
  }
  if (n > lim.max_batch) {
    fail(err, api_error::too_many_items, list, "has more entries than the batch limit");
    return err;
  }
  std::vector<participant_spec> parsed;
  parsed.reserve(n);
  std::size_t i = 0;
  for (element e : arr) {
    parsed.emplace_back();
    if (!decode_participant(e, list.at(i), parsed.back(), err)) return err;
    ++i;
  }
  out.participants = std::move(parsed);
  return err;
}

decode_error decode_send_message(std::string_view json, send_message_request& out, const decode_limits& lim) {
  decode_error err;
  element root;
  if (!parse_json(json, root, err)) return err;
  enum { kTo, kContentType, kBody, kBodyBase64, kExternal, kSuccessReport, kFailureReport, kSubject, kCount };
  members<kCount> m({"to", "content_type", "body", "body_base64", "external", "success_report",
                     "failure_report", "subject"});
  const path top;
  if (!m.collect(root, top, err)) return err;

  // Types and presence first, so every 400 wins over any 422.
  const int kinds = int(m.present[kBody]) + int(m.present[kBodyBase64]) + int(m.present[kExternal]);
  if (kinds == 0) {
    fail(err, api_error::missing_field, top, "needs one of body, body_base64 or external");
    return err;
  }
  if (kinds > 1) {
    fail(err, api_error::conflicting_fields, top, "must have exactly one of body, body_base64 or external");
    return err;
  }
  std::string_view content_type, body, body_base64, failure, subject;
  if (m.present[kContentType] && !m.get_string(kContentType, top, content_type, err)) return err;
  if (!m.present[kExternal] && !m.require(kContentType, top, err)) return err;
  if (m.present[kBody] && !m.get_string(kBody, top, body, err)) return err;
  if (m.present[kBodyBase64] && !m.get_string(kBodyBase64, top, body_base64, err)) return err;
  if (m.present[kFailureReport] && !m.get_string(kFailureReport, top, failure, err)) return err;
  if (m.present[kSubject] && !m.get_string(kSubject, top, subject, err)) return err;
  bool success_report = false;
  if (m.present[kSuccessReport] &&
      m.values[kSuccessReport].get_bool().get(success_report) != simdjson::SUCCESS) {
    fail(err, api_error::wrong_type, top.field("success_report"), "must be a boolean");
    return err;
  }
  simdjson::dom::array to;
  if (m.present[kTo]) {
    if (m.values[kTo].get_array().get(to) != simdjson::SUCCESS) {
      fail(err, api_error::wrong_type, top.field("to"), "must be an array of strings");
      return err;
    }
    std::size_t i = 0;
    for (element e : to) {
      if (!e.is_string()) {
        fail(err, api_error::wrong_type, top.field("to").at(i), "must be a string");
        return err;
      }
      ++i;
    }
  }

  send_message_request msg;
  if (m.present[kTo]) {
    const path to_path = top.field("to");
    const std::size_t n = to.size();
    // An empty list is almost certainly a client bug; "everyone" is spelled by omitting "to".
    if (n == 0) {
      fail(err, api_error::invalid_value, to_path, "must not be empty; omit it to address every participant");
      return err;
    }
    if (n > lim.max_recipients) {
      fail(err, api_error::too_many_items, to_path, "has more entries than the recipient limit");
      return err;
    }
    msg.to.reserve(n);
    std::size_t i = 0;
    for (element e : to) {
      std::string_view a = e.get_string().value_unsafe();
      if (!check_address(a, to_path.at(i), err)) return err;
      msg.to.emplace_back(a);
      ++i;
    }
  }
  if (m.present[kContentType]) {
    if (value_error v = validate_content_type(content_type); v != value_error::ok) {
      fail_value(err, top.field("content_type"), v);
      return err;
    }
  }
  if (m.present[kBody]) {
    msg.kind = body_kind::text;
    msg.body.assign(body);
  } else if (m.present[kBodyBase64]) {
    msg.kind = body_kind::binary;
    if (value_error v = decode_base64(body_base64, msg.body); v != value_error::ok) {
      fail_value(err, top.field("body_base64"), v);
      return err;
    }
  } else {
    msg.kind = body_kind::external;
    // The outer type of a reference is fixed (RFC 4483 §2); a different one would contradict it.
    if (m.present[kContentType] &&
        !ascii::iequals(content_type.substr(0, content_type.find(';')), "message/external-body")) {
      fail(err, api_error::invalid_value, top.field("content_type"),
           "must be message/external-body (or omitted) when external is used");
      return err;
    }
    if (!decode_external(m.values[kExternal], top.field("external"), msg.external, err)) return err;
    if (!m.present[kContentType]) content_type = "message/external-body";
  }
  msg.content_type.assign(content_type);
  msg.success_report = success_report;
  if (m.present[kFailureReport]) {
    if (failure == "yes") {
      msg.failure_report = failure_report_mode::yes;
    } else if (failure == "no") {
      msg.failure_report = failure_report_mode::no;
    } else if (failure == "partial") {
      msg.failure_report = failure_report_mode::partial;
    } else {
      fail(err, api_error::invalid_value, top.field("failure_report"),
           "must be \"yes\", \"no\" or \"partial\"");
      return err;
    }
  }
  if (m.present[kSubject]) {
    if (!check_text(subject, kMaxSubjectBytes, top.field("subject"), err)) return err;
    msg.subject.emplace(subject);
  }
  out = std::move(msg);
  return err;
}

}  // namespace herald::control
