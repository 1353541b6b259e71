// herald-load's merged results and their two renderings: a human table and one JSON object.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "histogram.hpp"
#include "options.hpp"
#include "rss.hpp"

namespace herald::load {

struct slow_message {
  std::uint64_t seq = 0;
  message_kind kind = message_kind::system;
  std::uint64_t completion_us = 0;
  std::string last_recipient;
};

struct summary {
  std::uint64_t scheduled = 0, sent = 0, send_errors = 0;
  std::uint64_t sent_by_kind[3] = {0, 0, 0};
  std::uint64_t expected = 0, delivered = 0, missing = 0, duplicates = 0, mismatches = 0;
  std::uint64_t incomplete_messages = 0, connections_lost = 0, bind_failures = 0;
  double elapsed_s = 0;  // from the schedule start to the last delivery
  double deliveries_per_s = 0;
  histogram delivery_us, first_us, completion_us, api_post_us, send_lag_us;
  std::vector<slow_message> slowest;
  std::vector<std::string> errors;  // first few examples, any kind
  long heraldd_rss_kib = -1;
  int heraldd_exit = 0;  // with --spawn
  double setup_register_s = 0, setup_bind_s = 0;

  // --churn
  std::uint64_t joins = 0, leaves = 0;
  std::uint64_t failed_removed = 0, failed_not_connected = 0;  // from heraldd's per-message reports
  std::uint64_t received_then_failed = 0;  // received, yet settled failed (participant_removed) by heraldd
  std::uint64_t outside_membership = 0;    // reached a participant before it joined or after it left
  std::uint64_t unexplained_failures = 0;  // failures churn does not explain
  std::uint64_t unverified = 0;            // API messages whose heraldd report could not be had
  std::uint64_t count_mismatches = 0;  // heraldd's delivered count != what the right participants received
  std::uint64_t churn_errors = 0;      // failed registrations/removals, bad reports, /metrics disagreeing

  // Without --churn, heraldd's failure counters over the run (from /metrics): deliveries the participants
  // never received are either failed by heraldd with a reason, or lost (heraldd did not report them).
  bool server_accounted = false;  // both /metrics reads worked
  std::uint64_t server_failed = 0;
  std::string server_failed_reasons;     // "reason=N ..."
  std::uint64_t missing_unreported = 0;  // missing beyond what heraldd reported failed: lost

  // --rss-csv / --max-rss-growth
  std::vector<rss_sample> rss;
  rss_verdict rss_judged;
  bool rss_too_much = false;  // growth above --max-rss-growth (or not judgeable)

  bool ok() const {
    return send_errors == 0 && missing == 0 && duplicates == 0 && mismatches == 0 && connections_lost == 0 &&
           bind_failures == 0 && heraldd_exit == 0 && sent == scheduled && outside_membership == 0 &&
           unexplained_failures == 0 && unverified == 0 && count_mismatches == 0 && churn_errors == 0 &&
           !rss_too_much;
  }
};

void print_human(const options& o, const summary& s);
void print_json(const options& o, const summary& s);

}  // namespace herald::load
