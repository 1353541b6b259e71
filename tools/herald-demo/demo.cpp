// herald-demo: the README's first command. Starts heraldd, fans three kinds of message out to a
// 300-participant conference over 10 multiplexed MSRP connections, checks every delivery and reports.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "herald/client/daemon_process.hpp"
#include "herald/client/http_client.hpp"
#include "herald/client/msrp_peer.hpp"
#include "herald/cpim/external_body.hpp"
#include "herald/cpim/parser.hpp"

namespace {

using namespace herald::client;

constexpr std::size_t kParticipants = 300;
constexpr std::size_t kConnections = 10;
constexpr char kConferenceUri[] = "sip:demo@example.com";

struct participant {
  std::string id, address, path;
  std::size_t peer = 0;
};

struct demo {
  daemon_process daemon;
  std::string conference_id;
  std::vector<participant> participants;
  std::vector<std::unique_ptr<msrp_peer>> peers;
  std::map<std::string, std::size_t> by_own_path;  // the To-Path heraldd uses towards participant i
  std::vector<std::size_t> seen;                   // SENDs already examined per peer
  std::string sample;                              // one received frame, for the reader
  bool ok = true;

  bool fail(const std::string& what) {
    std::printf("FAILED: %s\n", what.c_str());
    ok = false;
    return false;
  }

  bool setup() {
    if (!daemon.start({"--shards", "2"})) return fail("heraldd did not start:\n" + daemon.log());
    http_reply r =
        http_request(daemon.control_port(), "POST", "/v1/conferences",
                     std::string(R"({"uri":")") + kConferenceUri + R"(","display_name":"Demo Conference"})");
    if (r.status != 201) return fail("create conference: " + std::to_string(r.status) + " " + r.body);
    conference_id = json_field(r.body, "id");
    std::string body = R"({"participants":[)";
    for (std::size_t i = 0; i < kParticipants; ++i) {
      if (i) body += ',';
      body += R"({"address":"sip:user)" + std::to_string(i) + R"(@example.com","display_name":"User )" +
              std::to_string(i) + "\"}";
    }
    body += "]}";
    r = http_request(daemon.control_port(), "POST",
                     "/v1/conferences/" + conference_id + "/participants:batch", body);
    if (r.status != 201) return fail("register participants: " + std::to_string(r.status) + " " + r.body);
    std::size_t at = 0;
    for (std::size_t i = 0; i < kParticipants; ++i) {
      at = r.body.find("{\"id\":", at);
      if (at == std::string::npos) return fail("batch reply is short: " + r.body.substr(0, 200));
      std::size_t close = r.body.find('}', at);
      std::string_view obj(r.body.data() + at, close - at + 1);
      participants.push_back(
          {json_field(obj, "id"), json_field(obj, "address"), json_field(obj, "path"), i % kConnections});
      at = close;
    }
    std::vector<std::vector<std::string>> paths(kConnections);
    for (auto& p : participants) paths[p.peer].push_back(p.path);
    for (std::size_t c = 0; c < kConnections; ++c) {
      auto peer = std::make_unique<msrp_peer>();
      peer->tag = "demo" + std::to_string(c);
      if (int rc = peer->connect(daemon.msrp_port()); rc != 0) return fail("connect: " + std::to_string(rc));
      peers.push_back(std::move(peer));
    }
    for (std::size_t c = 0; c < kConnections; ++c)
      for (int s : peers[c]->bind(paths[c]))
        if (s != 200) return fail("session bind answered " + std::to_string(s));
    for (std::size_t i = 0; i < participants.size(); ++i)
      by_own_path[peers[participants[i].peer]->own_path(participants[i].path)] = i;
    seen.assign(kConnections, 0);
    std::printf("heraldd up (msrp :%u, control :%u); conference %s \"Demo Conference\"\n", daemon.msrp_port(),
                daemon.control_port(), kConferenceUri);
    std::printf("%zu participants bound over %zu MSRP connections\n\n", participants.size(), kConnections);
    return true;
  }

  std::size_t new_sends() const {
    std::size_t n = 0;
    for (std::size_t c = 0; c < peers.size(); ++c) n += peers[c]->sends.size() - seen[c];
    return n;
  }

  // Reads every connection until `want` new SENDs arrived, then for a quiet 200 ms so duplicates show.
  void collect(std::size_t want, int timeout_ms) {
    std::uint64_t deadline = now_ms() + static_cast<std::uint64_t>(timeout_ms);
    while (new_sends() < want && now_ms() < deadline)
      for (auto& p : peers) p->pump_once(new_sends() < want ? 1 : 0);
    std::uint64_t quiet = now_ms() + 200;
    while (now_ms() < quiet)
      for (auto& p : peers) p->pump_once(1);
  }

  // Checks the SENDs that arrived since the last call: exactly the targets, once each, CPIM To = the
  // recipient, From = expected_from. Returns how many were delivered correctly.
  std::size_t check(const std::vector<bool>& target, const std::string& expected_from, const char* kind,
                    bool external) {
    std::vector<int> got(participants.size(), 0);
    std::size_t good = 0;
    for (std::size_t c = 0; c < peers.size(); ++c) {
      for (std::size_t k = seen[c]; k < peers[c]->sends.size(); ++k) {
        const received_send& s = peers[c]->sends[k];
        auto it = by_own_path.find(s.to_path);
        if (it == by_own_path.end()) {
          fail(std::string(kind) + ": SEND to an unknown path " + s.to_path);
          continue;
        }
        std::size_t i = it->second;
        herald::cpim::message m;
        if (herald::cpim::parse_final(s.body, m) != herald::cpim::parse_error::ok) {
          fail(std::string(kind) + ": unparsable CPIM for " + participants[i].address);
          continue;
        }
        const herald::cpim::header* to = m.find(herald::cpim::header_kind::to);
        std::string from = m.from() ? std::string(m.from()->uri) : "";
        if (!to || to->addr.uri != participants[i].address || from != expected_from) {
          fail(std::string(kind) + ": wrong CPIM To/From for " + participants[i].address);
          continue;
        }
        if (external && !herald::cpim::parse_external_body(m.content_type, m.body).ok()) {
          fail(std::string(kind) + ": bad message/external-body for " + participants[i].address);
          continue;
        }
        if (++got[i] == 1 && target[i]) ++good;
        if (sample.empty() && !external) sample = frame_text(s);
      }
      seen[c] = peers[c]->sends.size();
    }
    for (std::size_t i = 0; i < participants.size(); ++i) {
      if (got[i] > 1)
        fail(std::string(kind) + ": " + participants[i].address + " got it " + std::to_string(got[i]) +
             " times");
      if (got[i] && !target[i])
        fail(std::string(kind) + ": " + participants[i].address + " was not a target");
      if (!got[i] && target[i]) fail(std::string(kind) + ": " + participants[i].address + " got nothing");
    }
    return good;
  }

  // The frame in the order heraldd's encoder writes its headers (msrp_peer keeps parsed fields, not bytes).
  static std::string frame_text(const received_send& s) {
    std::string f = "MSRP " + s.transaction_id + " SEND\nTo-Path: " + s.to_path +
                    "\nFrom-Path: " + s.from_path + "\nMessage-ID: " + s.message_id + "\n";
    if (!s.success_report.empty()) f += "Success-Report: " + s.success_report + "\n";
    if (!s.failure_report.empty()) f += "Failure-Report: " + s.failure_report + "\n";
    f += "Byte-Range: " + s.byte_range + "\nContent-Type: " + s.content_type + "\n\n";
    for (char ch : s.body)
      if (ch != '\r') f += ch;
    f += "\n-------" + s.transaction_id + s.flag + "\n";
    return f;
  }

  // A system message via the control API; returns the GET /v1/messages/{id} status once complete.
  void system_message(const char* title, const std::string& json, const std::vector<bool>& target,
                      bool external) {
    std::size_t want = 0;
    for (bool t : target) want += t;
    http_reply r =
        http_request(daemon.control_port(), "POST", "/v1/conferences/" + conference_id + "/messages", json);
    if (r.status != 202) {
      fail(std::string(title) + ": POST answered " + std::to_string(r.status) + " " + r.body);
      return;
    }
    std::string id = json_field(r.body, "id");
    collect(want, 20000);
    std::string status;
    for (std::uint64_t deadline = now_ms() + 20000; now_ms() < deadline;) {
      status = http_request(daemon.control_port(), "GET", "/v1/messages/" + id).body;
      if (json_int(status, "pending") == 0) break;
      for (auto& p : peers) p->pump_once(5);
    }
    std::size_t good = check(target, kConferenceUri, title, external);
    std::printf("%-34s recipients %4lld  delivered %4lld  failed %lld  completion %3lld ms  (checked %zu)\n",
                title, static_cast<long long>(json_int(r.body, "recipients")),
                static_cast<long long>(json_int(status, "delivered")),
                static_cast<long long>(json_int(status, "failed")),
                static_cast<long long>(json_int(status, "completion_ms")), good);
    if (json_int(status, "delivered") != static_cast<std::int64_t>(want))
      fail(std::string(title) + ": " + status);
  }

  // Participant 0 sends a CPIM message over its own session; heraldd fans it out to everyone else.
  void participant_message() {
    const participant& sender = participants[0];
    std::string cpim =
        "From: <" + sender.address + ">\r\nTo: <" + kConferenceUri +
        ">\r\nDateTime: 2026-01-01T12:00:00Z\r\n\r\nContent-Type: text/plain\r\n\r\nHi all, user0 here.";
    msrp_peer& p = *peers[sender.peer];
    std::uint64_t start = now_ms();
    std::string tid = p.send(sender.path, "message/cpim", cpim);
    std::vector<bool> target(participants.size(), true);
    target[0] = false;
    std::size_t want = participants.size() - 1;
    std::uint64_t last = start;
    std::uint64_t deadline = start + 20000;
    while (new_sends() < want && now_ms() < deadline) {
      for (auto& q : peers) q->pump_once(new_sends() < want ? 1 : 0);
      last = now_ms();
    }
    collect(want, 1);
    int answer = 0;
    for (const auto& resp : p.responses)
      if (resp.transaction_id == tid) answer = resp.status;
    if (answer != 200) fail("participant message: SEND answered " + std::to_string(answer));
    std::size_t good = check(target, sender.address, "participant message", false);
    std::printf("%-34s recipients %4zu  delivered %4zu  failed %zu  completion %3llu ms  (client-side)\n",
                "(c) participant message (user0)", want, good, want - good,
                static_cast<unsigned long long>(last - start));
  }
};

}  // namespace

int main() {
  demo d;
  if (!d.setup()) return 1;
  std::vector<bool> all(kParticipants, true);
  d.system_message("(a) system message to all",
                   R"({"content_type":"text/plain","body":"Welcome to the Demo Conference!"})", all, false);
  std::vector<bool> subset(kParticipants, false);
  std::string to;
  for (std::size_t i = 0; i < kParticipants; i += 6) {
    subset[i] = true;
    to += std::string(to.empty() ? "" : ",") + "\"" + d.participants[i].address + "\"";
  }
  d.system_message(
      "(b) external-body to every 6th",
      R"({"to":[)" + to +
          R"(],"external":{"url":"https://cdn.example.com/demo/keynote.mp4","content_type":"video/mp4","size":73400320,"expiration":"Fri, 01 Jan 2027 00:00:00 GMT"}})",
      subset, true);
  d.participant_message();
  std::printf("\nOne delivered frame as heraldd wrote it (CRLFs shown as line breaks):\n%s\n",
              d.sample.c_str());
  int rc = d.daemon.stop();
  if (rc != 0) d.fail("heraldd exited with " + std::to_string(rc));
  std::printf("heraldd stopped (exit %d). %s\n", rc,
              d.ok ? "OK: every message reached every target exactly once with the right CPIM To/From."
                   : "FAILED: see above.");
  return d.ok ? 0 : 1;
}
