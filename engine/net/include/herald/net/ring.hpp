// An io_uring instance set up with the best flags this kernel accepts, plus the probed op support.
#pragma once

#include <liburing.h>

#include <string>

namespace herald::net {

// What the running kernel gave us; the reactor picks its code paths from this, never from #ifdefs.
struct features {
  unsigned setup_flags = 0;  // the IORING_SETUP_* flags the ring was created with
  bool single_issuer = false;
  bool defer_taskrun = false;
  bool coop_taskrun = false;
  bool ext_arg = false;           // wait with a timeout without spending an SQE
  bool submit_stable = false;     // iovecs/msghdr may be reused after submit
  bool multishot_accept = false;  // IORING_ACCEPT_MULTISHOT (5.19)
  bool multishot_recv = false;    // IORING_RECV_MULTISHOT (6.0)
  bool buffer_ring = false;       // IORING_REGISTER_PBUF_RING (5.19)
  bool send_zc = false;           // IORING_OP_SEND_ZC (6.0)
  bool msg_ring = false;          // IORING_OP_MSG_RING (5.18)

  // One line for the startup log, e.g. "flags=single_issuer|defer_taskrun multishot_recv=1 ...".
  std::string describe() const;
};

// Lets tests force the fallback paths on a kernel that has everything.
struct ring_options {
  unsigned entries = 4096;
  bool try_single_issuer = true;
  bool try_defer_taskrun = true;
  bool try_coop_taskrun = true;
  bool allow_multishot_accept = true;
  bool allow_multishot_recv = true;
  bool allow_buffer_ring = true;
  bool allow_send_zc = true;
  bool allow_msg_ring = true;
};

class ring {
 public:
  ring() = default;
  ring(const ring&) = delete;
  ring& operator=(const ring&) = delete;
  ~ring();

  // Creates the ring on the calling thread (SINGLE_ISSUER binds it to this thread); 0 or -errno.
  // Tries SINGLE_ISSUER|DEFER_TASKRUN|COOP_TASKRUN first and drops flags while the kernel says EINVAL.
  int init(const ring_options& opts = {});
  bool initialized() const { return initialized_; }
  // Tears the ring down now (cancelling every op), before the memory those ops point at is freed.
  void exit();

  io_uring* raw() { return &ring_; }
  const features& feats() const { return features_; }

  // An SQE, submitting the queue first if it is full; nullptr only if the kernel refuses to take SQEs.
  io_uring_sqe* get_sqe();
  int submit() { return io_uring_submit(&ring_); }

 private:
  io_uring ring_{};
  features features_{};
  bool initialized_ = false;
};

}  // namespace herald::net
