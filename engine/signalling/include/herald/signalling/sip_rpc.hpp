// heraldd --sip-rpc: a SIP participant's leaving reaches its front end, which ends the dialog. The front
// end's JSON-RPC over HTTP is called with Kamailio's tm.t_uac_start, which sends an in-dialog BYE built from
// the dialog the front end gave when it created the participant (Kamailio's own dlg.terminate_dlg builds a
// BYE without the remote tag for a dialog it answered itself). One worker thread does the calls; the engine
// only queues, from a shard or the API thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <variant>

#include "herald/conference/engine.hpp"
#include "herald/signalling/http_post.hpp"

namespace herald::signalling {

struct sip_rpc_config {
  http_url url;
  std::uint64_t timeout_ns = 2'000'000'000ULL;  // per call: connect, send, reply
  std::size_t max_queue = 100'000;              // beyond, a leave is logged and dropped, not blocked on
};

// The JSON-RPC request that has the front end send the BYE for `dialog` (CSeq `cseq`, JSON-RPC id `id`).
std::string bye_request(const conference::sip_dialog& dialog, std::uint64_t id, std::uint32_t cseq);

class sip_rpc final : public conference::signalling_sink {
 public:
  sip_rpc(conference::engine& eng, sip_rpc_config cfg);
  ~sip_rpc() override;
  sip_rpc(const sip_rpc&) = delete;
  sip_rpc& operator=(const sip_rpc&) = delete;

  void start();
  // Finishes what is queued (each call still bounded by the timeout), then joins the worker.
  void stop();

  void end_dialog(conference::sip_dialog dialog) override;
  void session_ended(std::string conference_id, std::string participant_id) override;

  struct counters {
    std::uint64_t byes_sent = 0;    // the front end accepted the request
    std::uint64_t byes_failed = 0;  // no reply, an HTTP error or a JSON-RPC error
    std::uint64_t dropped = 0;      // the queue was full
    std::uint64_t queued = 0;       // now
  };
  counters stats() const;

 private:
  struct session_loss {
    std::string conference_id;
    std::string participant_id;
  };
  using job = std::variant<conference::sip_dialog, session_loss>;
  void enqueue(job j);
  void run();
  void send_bye(const conference::sip_dialog& dialog);

  conference::engine& engine_;
  sip_rpc_config cfg_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<job> jobs_;
  bool stopping_ = false;
  std::thread worker_;
  std::uint64_t next_id_ = 1;
  std::atomic<std::uint64_t> sent_{0}, failed_{0}, dropped_{0};
};

}  // namespace herald::signalling
