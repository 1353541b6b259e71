// Conference fixture implementation.
#include "conference_fixture.hpp"

#include <poll.h>

#include "herald/cpim/parser.hpp"

namespace herald::e2e {

using namespace herald::client;

std::string base64(std::string_view in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += k[v & 63];
  }
  if (in.size() - i == 1) {
    unsigned v = (unsigned char)in[i] << 16;
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += "==";
  } else if (in.size() - i == 2) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

cpim_view parse(const received_send& s) {
  cpim_view v;
  cpim::message m;
  if (cpim::parse_final(s.body, m) != cpim::parse_error::ok) return v;
  v.parsed = true;
  if (const cpim::address* from = m.from()) v.from = std::string(from->uri);
  if (const cpim::header* to = m.find(cpim::header_kind::to)) v.to = std::string(to->addr.uri);
  v.content_type = std::string(m.content_type);
  v.body = std::string(m.body);
  if (m.has_datetime) v.datetime = m.datetime;
  return v;
}

bool parse_batch_reply(std::string_view body, std::size_t count, std::vector<participant_handle>& out) {
  // Each {"id":…,"address":…,"path":…} in order.
  std::size_t at = 0;
  for (std::size_t i = 0; i < count; ++i) {
    at = body.find("{\"id\":", at);
    if (at == std::string_view::npos) return false;
    std::size_t close = body.find('}', at);
    std::string_view obj = body.substr(at, close - at + 1);
    out.push_back({json_field(obj, "id"), json_field(obj, "address"), json_field(obj, "path"), 0});
    at = close;
  }
  return true;
}

bool conference_fixture::start(const std::vector<std::string>& args) {
  return daemon.start(args);
}

bool conference_fixture::create(std::size_t count, std::string uri, std::string display_name) {
  conference_uri = uri;
  http_reply r = http_request(daemon.control_port(), "POST", "/v1/conferences",
                              R"({"uri":")" + uri + R"(","display_name":")" + display_name + R"("})");
  if (r.status != 201) return false;
  conference_id = json_field(r.body, "id");
  // Registered in batches of 10,000 to keep each request modest.
  for (std::size_t base = 0; base < count; base += 10000) {
    std::string body = R"({"participants":[)";
    std::size_t end = std::min(count, base + 10000);
    for (std::size_t i = base; i < end; ++i) {
      if (i != base) body += ',';
      body += R"({"address":"sip:u)" + std::to_string(i) + R"(@example.com")";
      if (!transport.empty()) body += R"(,"transport":")" + transport + '"';
      body += '}';
    }
    body += "]}";
    r = http_request(daemon.control_port(), "POST",
                     "/v1/conferences/" + conference_id + "/participants:batch", body);
    if (r.status != 201 || !parse_batch_reply(r.body, end - base, participants)) return false;
  }
  return participants.size() == count;
}

bool conference_fixture::connect_all(std::size_t connections, const std::map<std::size_t, int>& rcvbuf) {
  for (std::size_t i = 0; i < connections; ++i) {
    auto p = std::make_unique<msrp_peer>();
    p->tag = "c" + std::to_string(i);
    auto small = rcvbuf.find(i);
    if (connect_peer(*p, small == rcvbuf.end() ? 0 : small->second) != 0) return false;
    peers.push_back(std::move(p));
  }
  std::vector<std::vector<std::string>> paths(connections);
  for (std::size_t i = 0; i < participants.size(); ++i) {
    participants[i].peer = i % connections;
    paths[i % connections].push_back(participants[i].path);
  }
  for (std::size_t c = 0; c < connections; ++c) {
    std::vector<int> statuses = peers[c]->bind(paths[c]);
    for (int s : statuses)
      if (s != 200) return false;
  }
  return true;
}

http_reply conference_fixture::post_message(const std::string& json) {
  return http_request(daemon.control_port(), "POST", "/v1/conferences/" + conference_id + "/messages", json);
}

http_reply conference_fixture::message_status(const std::string& message_id) {
  return http_request(daemon.control_port(), "GET", "/v1/messages/" + message_id);
}

std::string conference_fixture::wait_complete(const std::string& message_id, int timeout_ms) {
  std::uint64_t deadline = now_ms() + static_cast<std::uint64_t>(timeout_ms);
  http_reply r;
  while (now_ms() < deadline) {
    for (auto& p : peers) p->pump_once(0);
    r = message_status(message_id);
    if (r.status == 200 && json_int(r.body, "pending") == 0) return r.body;
    pump_some(10);
  }
  return r.body;
}

std::size_t conference_fixture::add_peer(const std::string& tag) {
  auto p = std::make_unique<msrp_peer>();
  p->tag = tag;
  connect_peer(*p);
  peers.push_back(std::move(p));
  return peers.size() - 1;
}

int conference_fixture::connect_peer(msrp_peer& p, int rcvbuf) {
  return tls ? p.connect_tls(daemon.msrps_port(), *tls, rcvbuf) : p.connect(daemon.msrp_port(), rcvbuf);
}

int conference_fixture::wait_response(msrp_peer& p, const std::string& tid, int timeout_ms) {
  int status = 0;
  auto seen = [&] {
    for (const auto& r : p.responses)
      if (r.transaction_id == tid) {
        status = r.status;
        return true;
      }
    return false;
  };
  p.pump_until(seen, timeout_ms);
  return status;
}

std::map<std::size_t, std::vector<const received_send*>> conference_fixture::by_participant() const {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < participants.size(); ++i)
    if (participants[i].peer < peers.size())
      index[peers[participants[i].peer]->own_path(participants[i].path)] = i;
  std::map<std::size_t, std::vector<const received_send*>> out;
  for (const auto& p : peers)
    for (const auto& s : p->sends) {
      auto it = index.find(s.to_path);
      out[it == index.end() ? SIZE_MAX : it->second].push_back(&s);
    }
  return out;
}

failure_entry failure_of(const std::string& status_body, const std::string& address) {
  failure_entry f;
  std::size_t at = status_body.find("{\"address\":\"" + address + "\"");
  if (at == std::string::npos) return f;
  std::string_view obj(status_body.data() + at, status_body.find('}', at) - at + 1);
  f.found = true;
  f.status = json_int(obj, "status");
  f.reason = json_field(obj, "reason");
  return f;
}

std::vector<std::string> failure_reasons(const std::string& status_body) {
  std::vector<std::string> out;
  for (std::size_t at = status_body.find("\"reason\":"); at != std::string::npos;
       at = status_body.find("\"reason\":", at + 1)) {
    std::size_t close = status_body.find('}', at);
    out.push_back(json_field(std::string_view(status_body.data() + at, close - at + 1), "reason"));
  }
  return out;
}

std::size_t conference_fixture::total_sends() const {
  std::size_t n = 0;
  for (const auto& p : peers) n += p->sends.size();
  return n;
}

void conference_fixture::pump_some(int timeout_ms) {
  std::vector<pollfd> fds;
  for (auto& p : peers)
    if (p->connected() && p->policy.read) fds.push_back({p->fd(), POLLIN, 0});
  if (fds.empty()) {
    ::poll(nullptr, 0, timeout_ms);
    return;
  }
  ::poll(fds.data(), fds.size(), timeout_ms);
  for (auto& p : peers)
    if (p->connected() && p->policy.read) p->pump_once(0);
}

}  // namespace herald::e2e
