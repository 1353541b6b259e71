// Counts heap allocations process-wide, so benchmarks can report allocations per operation.
#pragma once

#include <cstdint>

namespace herald::bench {
std::uint64_t allocation_count();
}
