// Registers the provided-buffer ring with IORING_REGISTER_PBUF_RING using page-aligned mmap memory.
#include "herald/net/buffer_ring.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

namespace herald::net {

int buffer_ring::init(ring& r, std::uint16_t group_id, std::uint32_t count, std::uint32_t buffer_bytes) {
  if (br_) return -EALREADY;
  if (count == 0 || count > 32768 || (count & (count - 1)) != 0 || buffer_bytes == 0) return -EINVAL;
  const std::size_t page = std::size_t(sysconf(_SC_PAGESIZE));
  ring_bytes_ = (count * sizeof(io_uring_buf) + page - 1) / page * page;
  data_bytes_ = std::size_t(count) * buffer_bytes;
  // The kernel requires the ring itself to be page aligned; the buffers ride in the same mapping.
  void* mem =
      mmap(nullptr, ring_bytes_ + data_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return -errno;
  auto* br = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_ring_init(br);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<unsigned long>(mem);
  reg.ring_entries = count;
  reg.bgid = group_id;
  int rc = io_uring_register_buf_ring(r.raw(), &reg, 0);
  if (rc != 0) {
    munmap(mem, ring_bytes_ + data_bytes_);
    return rc;
  }
  ring_ = &r;
  br_ = br;
  base_ = static_cast<char*>(mem) + ring_bytes_;
  count_ = count;
  buffer_bytes_ = buffer_bytes;
  group_id_ = group_id;
  const int mask = io_uring_buf_ring_mask(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    io_uring_buf_ring_add(br_, base_ + std::size_t(i) * buffer_bytes, buffer_bytes, std::uint16_t(i), mask,
                          int(i));
  }
  io_uring_buf_ring_advance(br_, int(count));
  return 0;
}

void buffer_ring::recycle(std::uint16_t bid) {
  io_uring_buf_ring_add(br_, base_ + std::size_t(bid) * buffer_bytes_, buffer_bytes_, bid,
                        io_uring_buf_ring_mask(count_), 0);
  io_uring_buf_ring_advance(br_, 1);
}

void buffer_ring::reset() {
  if (!br_) return;
  if (ring_ && ring_->initialized()) io_uring_unregister_buf_ring(ring_->raw(), group_id_);
  munmap(br_, ring_bytes_ + data_bytes_);
  br_ = nullptr;
  base_ = nullptr;
  ring_ = nullptr;
}

}  // namespace herald::net
