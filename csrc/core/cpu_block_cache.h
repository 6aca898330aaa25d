// A cache of large freed CPU buffers, reused by later allocations of the same size.
#pragma once
#include <cstddef>
#include <memory>

namespace ember {

// A 64-byte-aligned block of exactly `rounded` bytes (a multiple of 64), or null when out of
// memory. Its deleter hands large blocks back to the cache instead of the system.
std::shared_ptr<void> cpu_alloc_cached(size_t rounded);

}  // namespace ember
