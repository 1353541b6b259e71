// GET /metrics: Prometheus text exposition of engine and per-shard loop counters.
#include <cstdio>
#include <string>

#include "herald/api/server.hpp"
#include "herald/control/http_response.hpp"

namespace herald::api {

namespace {
void metric(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}
void sample(std::string& out, const char* name, std::string_view labels, std::uint64_t value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}
std::string shard_label(std::size_t i) {
  return "shard=\"" + std::to_string(i) + "\"";
}
}  // namespace

void handlers::metrics(std::string& out, bool keep_alive) {
  std::vector<conference::shard_metrics> shards = engine_.metrics();
  std::string text;
  text.reserve(8192);
  metric(text, "herald_conferences", "gauge", "Conferences in the directory.");
  sample(text, "herald_conferences", {}, engine_.dir().conference_count());
  metric(text, "herald_participants", "gauge", "Registered participants.");
  sample(text, "herald_participants", {}, engine_.dir().participant_count());
  metric(text, "herald_participants_bound", "gauge", "Participants with a bound MSRP session.");
  sample(text, "herald_participants_bound", {}, engine_.dir().bound_count());
  metric(text, "herald_messages_tracked", "gauge", "Messages whose delivery state is retained.");
  sample(text, "herald_messages_tracked", {}, engine_.tracker().size());
  metric(text, "herald_deliveries_pending", "gauge", "Recipients not yet delivered or failed.");
  sample(text, "herald_deliveries_pending", {}, engine_.tracker().pending_total());

  // Per-message state still held: each returns to 0 once every message has settled, its frames are
  // written and --message-retention has passed (the memory-back-to-baseline check watches these).
  conference::message_memory mem = engine_.memory();
  metric(text, "herald_message_records_live", "gauge",
         "Message records still referenced (tracker, shards, API).");
  sample(text, "herald_message_records_live", {}, mem.records_live);
  metric(text, "herald_outbound_slices", "gauge",
         "Fan-out slices a shard holds (in its mailbox or an outbound slot) until settled and written.");
  sample(text, "herald_outbound_slices", {}, mem.slices_live);
  metric(text, "herald_fanout_templates", "gauge", "Per-message frame templates not yet fully written.");
  sample(text, "herald_fanout_templates", {}, mem.templates_live);
  metric(text, "herald_fanout_body_bytes", "gauge", "Message body bytes held by those templates.");
  sample(text, "herald_fanout_body_bytes", {}, mem.body_bytes_live);
  metric(text, "herald_pending_counters", "gauge", "Conferences holding a pending-deliveries counter.");
  sample(text, "herald_pending_counters", {}, mem.pending_counters);
  metric(text, "herald_api_connections", "gauge", "Open control API connections.");
  sample(text, "herald_api_connections", {}, api_connections_);

  metric(text, "herald_deliveries_total", "counter",
         "Deliveries by outcome (delivered: confirmed; sent: written, no error, no confirmation asked) and "
         "failure reason.");
  std::uint64_t delivered = 0, sent = 0;
  std::uint64_t failed[conference::failure_reason_count] = {};
  for (const auto& s : shards) {
    delivered += s.out.delivered;
    sent += s.out.sent;
    for (std::size_t r = 0; r < conference::failure_reason_count; ++r) failed[r] += s.out.failed[r];
  }
  sample(text, "herald_deliveries_total", "outcome=\"delivered\"", delivered);
  sample(text, "herald_deliveries_total", "outcome=\"sent\"", sent);
  for (std::size_t r = 1; r < conference::failure_reason_count; ++r) {
    auto why = static_cast<conference::failure_reason>(r);
    std::string labels = "outcome=\"failed\",reason=\"" + std::string(conference::to_string(why)) + "\"";
    sample(text, "herald_deliveries_total", labels, failed[r] + engine_.failed_outside_shards(why));
  }

  struct shard_gauge {
    const char* name;
    const char* type;
    const char* help;
    std::uint64_t (*get)(const conference::shard_metrics&);
  };
  static const shard_gauge gauges[] = {
      {"herald_connections", "gauge", "Open MSRP connections.", [](const auto& m) { return m.connections; }},
      {"herald_sessions", "gauge", "Bound MSRP sessions.", [](const auto& m) { return m.sessions; }},
      {"herald_queue_bytes", "gauge", "Outbound bytes queued.", [](const auto& m) { return m.queued_bytes; }},
      {"herald_reassembly_bytes", "gauge", "Bytes of incoming chunked messages in progress.",
       [](const auto& m) { return m.reassembly_bytes; }},
      {"herald_stamp_backlog", "gauge",
       "Fan-out messages not fully stamped yet (a backlog; queued messages are stamped together).",
       [](const auto& m) { return m.stamp_backlog; }},
      {"herald_frames_stamped_total", "counter", "MSRP SEND frames stamped.",
       [](const auto& m) { return m.frames_stamped; }},
      {"herald_responses_received_total", "counter", "MSRP responses received.",
       [](const auto& m) { return m.in.responses_received; }},
      {"herald_reports_received_total", "counter", "MSRP REPORTs received.",
       [](const auto& m) { return m.in.reports_received; }},
      {"herald_sends_received_total", "counter", "MSRP SENDs received.",
       [](const auto& m) { return m.in.sends_received; }},
      {"herald_binds_total", "counter", "Sessions bound.", [](const auto& m) { return m.in.bind_ok; }},
      {"herald_binds_rejected_total", "counter", "Session binds refused (481/403/506).",
       [](const auto& m) { return m.in.bind_rejected; }},
      {"herald_malformed_answered_total", "counter",
       "Malformed MSRP requests answered with their RFC 4975 status (400/413/415) and skipped.",
       [](const auto& m) { return m.in.malformed_answered; }},
      {"herald_malformed_skipped_total", "counter",
       "Malformed MSRP responses and REPORTs skipped (they are never answered).",
       [](const auto& m) { return m.in.malformed_skipped; }},
      {"herald_malformed_closed_total", "counter",
       "Connections closed for a malformed MSRP message that could not be answered or skipped.",
       [](const auto& m) { return m.in.malformed_closed; }},
      {"herald_slow_senders_closed_total", "counter",
       "Connections closed because a started MSRP message did not finish within --header-timeout.",
       [](const auto& m) { return m.in.slow_senders_closed; }},
      {"herald_outbox_full_total", "counter",
       "Message slices a shard refused with every outbound slot in use (their recipients fail outbox_full).",
       [](const auto& m) { return m.outbox_full; }},
      {"herald_participant_messages_total", "counter", "Messages fanned out from participants.",
       [](const auto& m) { return m.in.participant_messages; }},
      {"herald_loop_iterations_total", "counter", "Reactor loop iterations.",
       [](const auto& m) { return m.loop.loop_iterations; }},
      {"herald_sendmsg_total", "counter", "sendmsg submissions.",
       [](const auto& m) { return m.loop.sends_submitted; }},
      {"herald_sendmsg_iovecs_total", "counter", "iovecs handed to sendmsg.",
       [](const auto& m) { return m.loop.send_iovecs; }},
      {"herald_frames_written_total", "counter", "Frames fully written.",
       [](const auto& m) { return m.loop.frames_written; }},
      {"herald_bytes_written_total", "counter", "Bytes written.",
       [](const auto& m) { return m.loop.bytes_written; }},
      {"herald_bytes_received_total", "counter", "Bytes received.",
       [](const auto& m) { return m.loop.bytes_received; }},
      {"herald_slow_consumers_total", "counter", "Connections closed as slow consumers.",
       [](const auto& m) { return m.loop.slow_consumers; }},
      {"herald_accept_fd_exhausted_total", "counter", "Accepts refused for lack of file descriptors.",
       [](const auto& m) { return m.loop.accept_fd_exhausted; }},
      {"herald_tls_connections", "gauge", "msrps connections open (handshaking or established).",
       [](const auto& m) { return m.loop.tls_open; }},
      {"herald_tls_handshakes_total", "counter", "msrps handshakes completed.",
       [](const auto& m) { return m.loop.tls_handshakes; }},
      {"herald_tls_plaintext_bytes_total", "counter", "Plaintext bytes encrypted into msrps records.",
       [](const auto& m) { return m.loop.tls_plaintext_bytes; }},
      {"herald_tls_ciphertext_bytes_total", "counter", "msrps ciphertext bytes written (user-space records).",
       [](const auto& m) { return m.loop.tls_ciphertext_bytes; }},
      {"herald_tls_ktls_total", "counter",
       "msrps connections whose records the kernel seals (kTLS transmit).",
       [](const auto& m) { return m.loop.tls_ktls; }},
  };
  for (const auto& g : gauges) {
    metric(text, g.name, g.type, g.help);
    for (std::size_t i = 0; i < shards.size(); ++i) sample(text, g.name, shard_label(i), g.get(shards[i]));
  }
  // Every reason is listed, zero or not, so an alert on one of them has a series from the start.
  metric(text, "herald_tls_failures_total", "counter",
         "msrps connections closed because TLS failed, by reason (a failed handshake never reaches MSRP).");
  for (std::size_t i = 0; i < shards.size(); ++i) {
    for (std::size_t r = 1; r < tls::failure_count; ++r) {
      const std::string labels =
          shard_label(i) + ",reason=\"" + tls::to_string(static_cast<tls::failure>(r)) + "\"";
      sample(text, "herald_tls_failures_total", labels, shards[i].loop.tls_failures[r]);
    }
  }
  if (cfg_.tls && control_shard_) {
    const reactor::loop_stats& api = control_shard_->stats();
    metric(text, "herald_control_tls_handshakes_total", "counter",
           "HTTPS handshakes completed on the control API.");
    sample(text, "herald_control_tls_handshakes_total", {}, api.tls_handshakes);
    metric(text, "herald_control_tls_failures_total", "counter",
           "Control API connections closed because TLS failed, by reason.");
    for (std::size_t r = 1; r < tls::failure_count; ++r) {
      const std::string labels =
          std::string("reason=\"") + tls::to_string(static_cast<tls::failure>(r)) + "\"";
      sample(text, "herald_control_tls_failures_total", labels, api.tls_failures[r]);
    }
  }
  if (cfg_.more_metrics) cfg_.more_metrics(text);
  control::write_response(out, 200, "text/plain; version=0.0.4", text, keep_alive);
}

}  // namespace herald::api
