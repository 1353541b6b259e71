// Final report rendering; the JSON keys are documented in tools/herald-load/README.md.
#include "report.hpp"

#include <cstdio>
#include <string>

namespace herald::load {

namespace {

const char* scenario_name(scenario s) {
  switch (s) {
    case scenario::system:
      return "system";
    case scenario::external:
      return "external";
    case scenario::chat:
      return "chat";
    case scenario::mixed:
      return "mixed";
  }
  return "?";
}

double ms(std::uint64_t us) {
  return static_cast<double>(us) / 1000.0;
}

void human_row(const char* name, const histogram& h) {
  std::printf("  %-22s %9.2f %9.2f %9.2f %9.2f %9.2f  (n=%llu)\n", name, ms(h.percentile(0.5)),
              ms(h.percentile(0.9)), ms(h.percentile(0.99)), ms(h.percentile(0.999)), ms(h.max()),
              static_cast<unsigned long long>(h.count()));
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string json_latency(const histogram& h) {
  char buf[256];
  std::snprintf(buf, sizeof buf, R"({"count":%llu,"p50":%.3f,"p90":%.3f,"p99":%.3f,"p999":%.3f,"max":%.3f})",
                static_cast<unsigned long long>(h.count()), ms(h.percentile(0.5)), ms(h.percentile(0.9)),
                ms(h.percentile(0.99)), ms(h.percentile(0.999)), ms(h.max()));
  return buf;
}

}  // namespace

void print_human(const options& o, const summary& s) {
  std::printf(
      "herald-load: scenario %s, %llu participants over %zu MSRP connections (%zu procs), %.0f msg/s for "
      "%.1f s, "
      "%zu-byte bodies\n",
      scenario_name(o.sc), static_cast<unsigned long long>(o.participants), o.msrp_connections, o.procs,
      o.rate, o.duration_s, o.size);
  std::printf("setup         register %.2f s, bind %.2f s\n", s.setup_register_s, s.setup_bind_s);
  std::printf(
      "messages      scheduled %llu, sent %llu (system %llu, external %llu, chat %llu), send errors %llu\n",
      static_cast<unsigned long long>(s.scheduled), static_cast<unsigned long long>(s.sent),
      static_cast<unsigned long long>(s.sent_by_kind[0]), static_cast<unsigned long long>(s.sent_by_kind[1]),
      static_cast<unsigned long long>(s.sent_by_kind[2]), static_cast<unsigned long long>(s.send_errors));
  std::printf("deliveries    expected %llu, delivered %llu, missing %llu, duplicate %llu, mismatched %llu\n",
              static_cast<unsigned long long>(s.expected), static_cast<unsigned long long>(s.delivered),
              static_cast<unsigned long long>(s.missing), static_cast<unsigned long long>(s.duplicates),
              static_cast<unsigned long long>(s.mismatches));
  std::printf("throughput    %.0f deliveries/s (%.2f s from first scheduled send to last delivery)\n",
              s.deliveries_per_s, s.elapsed_s);
  std::printf("latency (ms)                  p50       p90       p99     p99.9       max\n");
  human_row("delivery", s.delivery_us);
  human_row("first recipient", s.first_us);
  human_row("fan-out completion", s.completion_us);
  human_row("control API POST", s.api_post_us);
  human_row("send lag (scheduled)", s.send_lag_us);
  if (s.connections_lost)
    std::printf("connections   %llu MSRP connections lost during the run\n",
                static_cast<unsigned long long>(s.connections_lost));
  if (s.incomplete_messages)
    std::printf("incomplete    %llu messages\n", static_cast<unsigned long long>(s.incomplete_messages));
  if (s.missing && o.churn == 0) {
    if (s.server_accounted)
      std::printf(
          "heraldd       failed %llu deliveries during the run (%s); %llu missing it did not report "
          "failed\n",
          static_cast<unsigned long long>(s.server_failed),
          s.server_failed_reasons.empty() ? "none" : s.server_failed_reasons.c_str(),
          static_cast<unsigned long long>(s.missing_unreported));
    else
      std::printf("heraldd       its failure counters could not be read: missing deliveries unexplained\n");
  }
  for (const auto& m : s.slowest)
    std::printf("slowest       message %llu (%s): %.2f ms, last recipient %s\n",
                static_cast<unsigned long long>(m.seq), to_string(m.kind), ms(m.completion_us),
                m.last_recipient.c_str());
  if (o.churn > 0) {
    std::printf(
        "churn         %.1f/s: %llu joined, %llu left; heraldd failed %llu participant_removed, %llu "
        "not_connected; %llu received yet settled failed\n",
        o.churn, static_cast<unsigned long long>(s.joins), static_cast<unsigned long long>(s.leaves),
        static_cast<unsigned long long>(s.failed_removed),
        static_cast<unsigned long long>(s.failed_not_connected),
        static_cast<unsigned long long>(s.received_then_failed));
    std::printf(
        "churn checks  outside membership %llu, unexplained failures %llu, unverified messages %llu, "
        "count mismatches %llu, other errors %llu\n",
        static_cast<unsigned long long>(s.outside_membership),
        static_cast<unsigned long long>(s.unexplained_failures),
        static_cast<unsigned long long>(s.unverified), static_cast<unsigned long long>(s.count_mismatches),
        static_cast<unsigned long long>(s.churn_errors));
  }
  if (s.heraldd_rss_kib >= 0)
    std::printf("heraldd RSS   %ld KiB (%.0f bytes per participant)\n", s.heraldd_rss_kib,
                static_cast<double>(s.heraldd_rss_kib) * 1024.0 / static_cast<double>(o.participants));
  if (!s.rss.empty()) {
    const rss_verdict& v = s.rss_judged;
    constexpr double mib = 1024.0 * 1024.0;
    if (v.valid)
      std::printf(
          "RSS curve     start %.1f MiB, after warm-up %.1f MiB (mean of 10-30%%), end %.1f MiB (mean of "
          "80-100%%), growth %+.1f%%, peak %.1f MiB, %zu samples; slope %+.2f / %+.2f MiB/min inside the "
          "early / late window\n",
          v.first_bytes / mib, v.early_mean_bytes / mib, v.late_mean_bytes / mib, v.growth_pct,
          v.peak_bytes / mib, s.rss.size(), v.early_slope_bytes_per_s * 60 / mib,
          v.late_slope_bytes_per_s * 60 / mib);
    else
      std::printf("RSS curve     %zu samples: too few to judge growth\n", s.rss.size());
  }
  for (const auto& e : s.errors) std::printf("error         %s\n", e.c_str());
  std::printf("result        %s\n", s.ok() ? "OK" : "FAILED");
}

void print_json(const options& o, const summary& s) {
  std::string j = "{";
  auto num = [&](const char* k, double v, bool integer = true) {
    char buf[96];
    std::snprintf(buf, sizeof buf, integer ? "\"%s\":%.0f," : "\"%s\":%.3f,", k, v);
    j += buf;
  };
  j += "\"scenario\":" + json_string(scenario_name(o.sc)) + ",";
  num("participants", static_cast<double>(o.participants));
  num("msrp_connections", static_cast<double>(o.msrp_connections));
  num("procs", static_cast<double>(o.procs));
  num("rate_per_s", o.rate, false);
  num("duration_s", o.duration_s, false);
  num("size_bytes", static_cast<double>(o.size));
  num("chat_senders", static_cast<double>(o.chat_senders));
  num("register_s", s.setup_register_s, false);
  num("bind_s", s.setup_bind_s, false);
  j += "\"messages\":{";
  num("scheduled", static_cast<double>(s.scheduled));
  num("sent", static_cast<double>(s.sent));
  num("send_errors", static_cast<double>(s.send_errors));
  num("system", static_cast<double>(s.sent_by_kind[0]));
  num("external", static_cast<double>(s.sent_by_kind[1]));
  num("chat", static_cast<double>(s.sent_by_kind[2]));
  num("incomplete", static_cast<double>(s.incomplete_messages));
  j.back() = '}';
  j += ",\"deliveries\":{";
  num("expected", static_cast<double>(s.expected));
  num("delivered", static_cast<double>(s.delivered));
  num("missing", static_cast<double>(s.missing));
  num("duplicates", static_cast<double>(s.duplicates));
  num("mismatches", static_cast<double>(s.mismatches));
  if (o.churn == 0 && s.server_accounted) {
    num("server_failed", static_cast<double>(s.server_failed));
    num("missing_unreported", static_cast<double>(s.missing_unreported));
  }
  j.back() = '}';
  j += ",";
  num("deliveries_per_s", s.deliveries_per_s, false);
  num("elapsed_s", s.elapsed_s, false);
  j += "\"latency_ms\":{\"delivery\":" + json_latency(s.delivery_us) +
       ",\"first\":" + json_latency(s.first_us) + ",\"completion\":" + json_latency(s.completion_us) +
       ",\"api_post\":" + json_latency(s.api_post_us) + ",\"send_lag\":" + json_latency(s.send_lag_us) + "},";
  j += "\"slowest\":[";
  for (const auto& m : s.slowest) {
    char buf[128];
    std::snprintf(buf, sizeof buf, R"({"seq":%llu,"kind":"%s","completion_ms":%.3f,"last_recipient":)",
                  static_cast<unsigned long long>(m.seq), to_string(m.kind), ms(m.completion_us));
    j += buf + json_string(m.last_recipient) + "},";
  }
  if (j.back() == ',') j.pop_back();
  j += "],";
  num("connections_lost", static_cast<double>(s.connections_lost));
  num("bind_failures", static_cast<double>(s.bind_failures));
  if (o.churn > 0) {
    j += "\"churn\":{";
    num("per_s", o.churn, false);
    num("joins", static_cast<double>(s.joins));
    num("leaves", static_cast<double>(s.leaves));
    num("failed_participant_removed", static_cast<double>(s.failed_removed));
    num("failed_not_connected", static_cast<double>(s.failed_not_connected));
    num("received_then_failed", static_cast<double>(s.received_then_failed));
    num("outside_membership", static_cast<double>(s.outside_membership));
    num("unexplained_failures", static_cast<double>(s.unexplained_failures));
    num("unverified_messages", static_cast<double>(s.unverified));
    num("count_mismatches", static_cast<double>(s.count_mismatches));
    num("errors", static_cast<double>(s.churn_errors));
    j.back() = '}';
    j += ",";
  }
  if (!s.rss.empty()) {
    const rss_verdict& v = s.rss_judged;
    j += "\"rss\":{";
    num("samples", static_cast<double>(s.rss.size()));
    j += std::string("\"judged\":") + (v.valid ? "true," : "false,");
    num("first_bytes", v.first_bytes);
    num("early_mean_bytes", v.early_mean_bytes);
    num("late_mean_bytes", v.late_mean_bytes);
    num("last_bytes", v.last_bytes);
    num("peak_bytes", v.peak_bytes);
    num("growth_pct", v.growth_pct, false);
    num("early_slope_bytes_per_s", v.early_slope_bytes_per_s, false);
    num("late_slope_bytes_per_s", v.late_slope_bytes_per_s, false);
    num("max_growth_pct", o.max_rss_growth_pct, false);
    j.back() = '}';
    j += ",";
  }
  num("heraldd_rss_kib", static_cast<double>(s.heraldd_rss_kib));
  num("heraldd_rss_bytes_per_participant",
      s.heraldd_rss_kib < 0
          ? -1.0
          : static_cast<double>(s.heraldd_rss_kib) * 1024.0 / static_cast<double>(o.participants));
  j += "\"errors\":[";
  for (const auto& e : s.errors) j += json_string(e) + ",";
  if (j.back() == ',') j.pop_back();
  j += "],\"ok\":";
  j += s.ok() ? "true" : "false";
  j += "}\n";
  std::fputs(j.c_str(), stdout);
}

}  // namespace herald::load
