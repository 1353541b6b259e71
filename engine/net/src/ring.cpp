// Ring setup with flag fallback, and the op probe that fills `features`.
#include "herald/net/ring.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

namespace herald::net {

namespace {

// Buffer rings have no opcode to probe: register a one-entry ring and take it back.
bool probe_buffer_ring(io_uring* r) {
  const std::size_t bytes = 4096;
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return false;
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<unsigned long>(mem);
  reg.ring_entries = 1;
  reg.bgid = 0xfffe;
  const bool ok = io_uring_register_buf_ring(r, &reg, 0) == 0;
  if (ok) io_uring_unregister_buf_ring(r, 0xfffe);
  munmap(mem, bytes);
  return ok;
}

}  // namespace

ring::~ring() {
  exit();
}

void ring::exit() {
  if (initialized_) io_uring_queue_exit(&ring_);
  initialized_ = false;
}

int ring::init(const ring_options& opts) {
  if (initialized_) return -EALREADY;
  const unsigned si = opts.try_single_issuer ? IORING_SETUP_SINGLE_ISSUER : 0;
  const unsigned dt = (opts.try_single_issuer && opts.try_defer_taskrun) ? IORING_SETUP_DEFER_TASKRUN : 0;
  const unsigned coop = opts.try_coop_taskrun ? IORING_SETUP_COOP_TASKRUN : 0;
  // Most capable first: DEFER_TASKRUN runs completions only when we wait, so no IPIs mid-batch.
  const unsigned attempts[] = {si | dt | coop, si | dt, si | coop, si, coop, 0};
  int rc = -EINVAL;
  unsigned chosen = 0;
  for (unsigned flags : attempts) {
    io_uring_params p{};
    p.flags = flags | IORING_SETUP_SUBMIT_ALL;
    rc = io_uring_queue_init_params(opts.entries, &ring_, &p);
    if (rc == -EINVAL) {
      p = io_uring_params{};
      p.flags = flags;
      rc = io_uring_queue_init_params(opts.entries, &ring_, &p);
    }
    if (rc == 0) {
      chosen = flags;
      features_.ext_arg = (p.features & IORING_FEAT_EXT_ARG) != 0;
      features_.submit_stable = (p.features & IORING_FEAT_SUBMIT_STABLE) != 0;
      break;
    }
    if (rc != -EINVAL) return rc;
  }
  if (rc != 0) return rc;
  initialized_ = true;
  features_.setup_flags = chosen;
  features_.single_issuer = (chosen & IORING_SETUP_SINGLE_ISSUER) != 0;
  features_.defer_taskrun = (chosen & IORING_SETUP_DEFER_TASKRUN) != 0;
  features_.coop_taskrun = (chosen & IORING_SETUP_COOP_TASKRUN) != 0;

  io_uring_probe* probe = io_uring_get_probe_ring(&ring_);
  if (probe) {
    // Multishot flags are not visible to the probe; SEND_ZC and multishot recv both landed in 6.0,
    // MSG_RING (5.18) predates multishot accept (5.19) by one release, so we key on the later ops.
    const bool has_send_zc = io_uring_opcode_supported(probe, IORING_OP_SEND_ZC);
    const bool has_socket = io_uring_opcode_supported(probe, IORING_OP_SOCKET);  // 5.19
    features_.send_zc = opts.allow_send_zc && has_send_zc;
    features_.msg_ring = opts.allow_msg_ring && io_uring_opcode_supported(probe, IORING_OP_MSG_RING);
    features_.multishot_accept = opts.allow_multishot_accept && has_socket;
    features_.multishot_recv = opts.allow_multishot_recv && has_send_zc;
    io_uring_free_probe(probe);
  }
  features_.buffer_ring = opts.allow_buffer_ring && probe_buffer_ring(&ring_);
  // Multishot recv needs somewhere to put each read: without a buffer ring it cannot run.
  if (!features_.buffer_ring) features_.multishot_recv = false;
  return 0;
}

io_uring_sqe* ring::get_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe) return sqe;
  io_uring_submit(&ring_);
  return io_uring_get_sqe(&ring_);
}

std::string features::describe() const {
  std::string s = "flags=";
  bool any = false;
  auto flag = [&](bool on, const char* name) {
    if (!on) return;
    if (any) s += '|';
    s += name;
    any = true;
  };
  flag(single_issuer, "single_issuer");
  flag(defer_taskrun, "defer_taskrun");
  flag(coop_taskrun, "coop_taskrun");
  if (!any) s += "none";
  auto field = [&](const char* name, bool v) {
    s += ' ';
    s += name;
    s += v ? "=1" : "=0";
  };
  field("ext_arg", ext_arg);
  field("submit_stable", submit_stable);
  field("multishot_accept", multishot_accept);
  field("multishot_recv", multishot_recv);
  field("buffer_ring", buffer_ring);
  field("send_zc", send_zc);
  field("msg_ring", msg_ring);
  return s;
}

}  // namespace herald::net
