// Control API request bodies: JSON decoded (simdjson DOM) and validated into plain command structs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::control {

enum class api_error : std::uint8_t {
  ok = 0,
  malformed_json,      // 400: not JSON, invalid UTF-8, trailing bytes
  wrong_type,          // 400
  missing_field,       // 400
  unknown_field,       // 400: catches typos such as "succes_report" instead of ignoring them
  duplicate_field,     // 400: two parsers could pick different copies
  conflicting_fields,  // 400: e.g. both body and body_base64
  invalid_value,       // 422: well-typed but unsafe or malformed (CR/LF/NUL, bad URI, bad date, ...)
  too_many_items,      // 422: array longer than decode_limits allow
};

struct decode_error {
  api_error code = api_error::ok;
  std::string field;  // JSON path of the offending value, e.g. "participants[3].address"; empty for the root
  std::string message;  // human-readable, includes the field path
  bool ok() const { return code == api_error::ok; }
};

std::string_view to_string(api_error e);
int status_for(api_error e);  // 200, 400 or 422

// Appends the HTTP response for a failed decode: {"error":{"code":…,"message":…,"field":…}}.
void write_decode_error(std::string& out, const decode_error& err, bool keep_alive);

struct decode_limits {
  std::size_t max_batch = 100'000;       // participants per :batch request
  std::size_t max_recipients = 100'000;  // entries of a message's "to"
};

// How a participant reaches its session: msrp (TCP) or msrps (TLS; RFC 4975 §6, the msrps scheme).
enum class transport_kind : std::uint8_t { msrp = 0, msrps };

// {"address":"sip:alice@example.com","display_name":"Alice","transport":"msrps"}
struct participant_spec {
  std::string address;
  std::optional<std::string> display_name;
  std::optional<transport_kind> transport;  // absent: the focus's default (msrp if it serves it)
};

// POST /v1/conferences {"uri":"sip:team@example.com","display_name":"Team"}
struct create_conference_request {
  std::string uri;
  std::optional<std::string> display_name;
};

// The SIP dialog a signalling front end created the participant for (its INVITE), so heraldd can have
// the front end end it (BYE) when the participant goes. Each field is SIP header text (no CR/LF/NUL).
struct sip_dialog_spec {
  std::string call_id;
  std::string local_uri;      // the conference as the client addressed it (the INVITE's To URI)
  std::string local_tag;      // the To tag of the front end's 200
  std::string remote_uri;     // the client (the INVITE's From URI)
  std::string remote_tag;     // the INVITE's From tag
  std::string remote_target;  // the client's Contact URI: where an in-dialog request goes
};

// POST /v1/conferences/{id}/participants: a participant_spec, optionally with the SDP offer of the
// INVITE that brought it (RFC 4975 §8) and the dialog to end when it leaves.
struct add_participant_request : participant_spec {
  std::optional<std::string> sdp_offer;
  std::optional<sip_dialog_spec> sip;
};

// POST /v1/conferences/{id}/participants:batch {"participants":[…]} or a bare […]
struct add_participants_batch_request {
  std::vector<participant_spec> participants;
};

// Failure-Report header values (RFC 4975 §7.1.2).
enum class failure_report_mode : std::uint8_t { yes = 0, no, partial };

enum class body_kind : std::uint8_t { text = 0, binary, external };

// message/external-body reference (RFC 4483, RFC 2046 §5.2.3).
struct external_body_spec {
  std::string url;                        // http or https
  std::string content_type;               // of the referenced content
  std::optional<std::string> content_id;  // of the encapsulated headers (RFC 2046 §5.2.3), without <>
  std::optional<std::uint64_t> size;
  std::optional<std::string> expiration;        // IMF-fixdate as sent
  std::optional<std::int64_t> expiration_unix;  // the same instant, seconds since the epoch
};

// POST /v1/conferences/{id}/messages
struct send_message_request {
  std::vector<std::string> to;  // empty: every participant of the conference
  std::string content_type;     // of body (text / binary); "message/external-body" for external
  body_kind kind = body_kind::text;
  std::string body;             // UTF-8 text as sent, or the decoded base64 bytes
  external_body_spec external;  // kind == external only
  bool success_report = false;  // true: Success-Report: yes (RFC 4975 §7.1.2); false: the header is left out
  std::optional<failure_report_mode> failure_report;  // absent: no header, which means yes (§7.1.2)
  std::optional<std::string> subject;
};

// POST /v1/conferences/{id}/participants/{pid}:remove {"bye":false}: the DELETE for front ends that can
// only POST (Kamailio 5.6's http_client); bye false when the front end reports the client's own BYE.
struct remove_participant_request {
  bool bye = true;
};

// Each returns a decode_error whose code is ok on success. The JSON parser is per thread and reused.
decode_error decode_create_conference(std::string_view json, create_conference_request& out);
decode_error decode_add_participant(std::string_view json, add_participant_request& out);
decode_error decode_remove_participant(std::string_view json, remove_participant_request& out);
decode_error decode_add_participants_batch(std::string_view json, add_participants_batch_request& out,
                                           const decode_limits& lim = {});
decode_error decode_send_message(std::string_view json, send_message_request& out,
                                 const decode_limits& lim = {});

}  // namespace herald::control
