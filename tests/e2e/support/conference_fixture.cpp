// Conference fixture implementation.
#include "conference_fixture.hpp"

#include <poll.h>

namespace herald::e2e {

using namespace herald::client;

bool conference_fixture::start(const std::vector<std::string>& args) { return daemon.start(args); }

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
      body += R"({"address":"sip:u)" + std::to_string(i) + R"(@example.com"})";
    }
    body += "]}";
    r = http_request(daemon.control_port(), "POST", "/v1/conferences/" + conference_id + "/participants:batch", body);
    if (r.status != 201) return false;
    // Pull each {"id":…,"address":…,"path":…} out in order.
    std::size_t at = 0;
    for (std::size_t i = base; i < end; ++i) {
      at = r.body.find("{\"id\":", at);
      if (at == std::string::npos) return false;
      std::size_t close = r.body.find('}', at);
      std::string_view obj(r.body.data() + at, close - at + 1);
      participants.push_back({json_field(obj, "id"), json_field(obj, "address"), json_field(obj, "path"), 0});
      at = close;
    }
  }
  return participants.size() == count;
}

bool conference_fixture::connect_all(std::size_t connections) {
  for (std::size_t i = 0; i < connections; ++i) {
    auto p = std::make_unique<msrp_peer>();
    p->tag = "c" + std::to_string(i);
    if (p->connect(daemon.msrp_port()) != 0) return false;
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
