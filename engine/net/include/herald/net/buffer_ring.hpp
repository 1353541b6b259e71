// A provided-buffer ring registered by hand (liburing 2.3 has no io_uring_setup_buf_ring): N buffers of M
// bytes.
#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "herald/net/ring.hpp"

namespace herald::net {

class buffer_ring {
 public:
  buffer_ring() = default;
  buffer_ring(const buffer_ring&) = delete;
  buffer_ring& operator=(const buffer_ring&) = delete;
  ~buffer_ring() { reset(); }

  // count must be a power of two <= 32768 (the kernel's ring size rule); 0 or -errno.
  int init(ring& r, std::uint16_t group_id, std::uint32_t count, std::uint32_t buffer_bytes);
  void reset();

  // The bytes the kernel wrote into buffer `bid` (from the CQE: flags >> IORING_CQE_BUFFER_SHIFT).
  std::string_view view(std::uint16_t bid, std::uint32_t len) const {
    return {base_ + std::size_t(bid) * buffer_bytes_, len};
  }
  // Hands buffer `bid` back to the kernel; call once its bytes have been consumed or copied.
  void recycle(std::uint16_t bid);

  std::uint16_t group_id() const { return group_id_; }
  std::uint32_t count() const { return count_; }
  std::uint32_t buffer_bytes() const { return buffer_bytes_; }
  bool registered() const { return br_ != nullptr; }

 private:
  ring* ring_ = nullptr;
  io_uring_buf_ring* br_ = nullptr;
  char* base_ = nullptr;
  std::size_t ring_bytes_ = 0;
  std::size_t data_bytes_ = 0;
  std::uint32_t count_ = 0;
  std::uint32_t buffer_bytes_ = 0;
  std::uint16_t group_id_ = 0;
};

}  // namespace herald::net
