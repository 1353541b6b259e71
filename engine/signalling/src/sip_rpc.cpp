// The --sip-rpc worker: BYE requests for leaving SIP participants, through the front end's JSON-RPC.
#include "herald/signalling/sip_rpc.hpp"

#include "herald/control/json_writer.hpp"
#include "herald/core/log.hpp"

namespace herald::signalling {

std::string bye_request(const conference::sip_dialog& d, std::uint64_t id, std::uint32_t cseq) {
  // From us (the conference, the dialog's local side) to the client: its Contact is the Request-URI.
  const std::string headers = "From: <" + d.local_uri + ">;tag=" + d.local_tag + "\r\nTo: <" + d.remote_uri +
                              ">;tag=" + d.remote_tag + "\r\nCall-ID: " + d.call_id +
                              "\r\nCSeq: " + std::to_string(cseq) + " BYE\r\nMax-Forwards: 70\r\n";
  std::string json;
  control::json_writer w(json);
  w.begin_object().key("jsonrpc").value("2.0").key("method").value("tm.t_uac_start");
  // method, Request-URI, next hop (none: the URI's), send socket (any), headers, body.
  w.key("params")
      .begin_array()
      .value("BYE")
      .value(d.remote_target)
      .value("")
      .value("")
      .value(headers)
      .value("");
  w.end_array().key("id").value(id).end_object();
  return json;
}

sip_rpc::sip_rpc(conference::engine& eng, sip_rpc_config cfg) : engine_(eng), cfg_(std::move(cfg)) {}

sip_rpc::~sip_rpc() {
  stop();
}

void sip_rpc::start() {
  worker_ = std::thread([this] { run(); });
}

void sip_rpc::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void sip_rpc::enqueue(job j) {
  {
    std::lock_guard lock(mutex_);
    if (jobs_.size() >= cfg_.max_queue) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      HERALD_LOG(warn, "sip rpc queue full: a leave is not signalled").kv("queued", jobs_.size());
      return;
    }
    jobs_.push_back(std::move(j));
  }
  wake_.notify_one();
}

void sip_rpc::end_dialog(conference::sip_dialog dialog) {
  enqueue(std::move(dialog));
}

void sip_rpc::session_ended(std::string conference_id, std::string participant_id) {
  enqueue(session_loss{std::move(conference_id), std::move(participant_id)});
}

void sip_rpc::run() {
  while (true) {
    job j;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, nothing left
      j = std::move(jobs_.front());
      jobs_.pop_front();
    }
    if (auto* dialog = std::get_if<conference::sip_dialog>(&j)) {
      send_bye(*dialog);
      continue;
    }
    // The session went while the participant stayed: the participant goes too (its dialog was for that
    // session), and its dialog is ended through end_dialog like any removal, queued behind this job.
    const auto& lost = std::get<session_loss>(j);
    const conference::directory_error e = engine_.remove_participant(lost.conference_id, lost.participant_id);
    HERALD_LOG(info, "sip participant's msrp session ended: removed")
        .kv("conference", lost.conference_id)
        .kv("participant", lost.participant_id)
        .kv("result", conference::to_string(e));
  }
}

void sip_rpc::send_bye(const conference::sip_dialog& dialog) {
  const std::string request = bye_request(dialog, next_id_++, 1);
  http_reply r = http_post(cfg_.url, "application/json", request, cfg_.timeout_ns);
  // A JSON-RPC fault comes back as HTTP 200 with an "error" member.
  const bool ok = r.status == 200 && r.body.find("\"error\"") == std::string::npos;
  (ok ? sent_ : failed_).fetch_add(1, std::memory_order_relaxed);
  if (ok) {
    HERALD_LOG(info, "sip bye requested").kv("call_id", dialog.call_id);
  } else {
    HERALD_LOG(warn, "sip bye request failed")
        .kv("call_id", dialog.call_id)
        .kv("status", static_cast<std::uint64_t>(r.status))
        .kv("error", r.status ? r.body : r.error);
  }
}

sip_rpc::counters sip_rpc::stats() const {
  counters c;
  c.byes_sent = sent_.load(std::memory_order_relaxed);
  c.byes_failed = failed_.load(std::memory_order_relaxed);
  c.dropped = dropped_.load(std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  c.queued = jobs_.size();
  return c;
}

}  // namespace herald::signalling
