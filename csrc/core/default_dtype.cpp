#include "core/default_dtype.h"

#include <atomic>

namespace ember {

namespace {
std::atomic<DType> g_default_dtype{DType::Float32};  // Note [Default dtype]
}  // namespace

DType default_dtype() { return g_default_dtype.load(std::memory_order_relaxed); }

void set_default_dtype(DType d) {
  EMBER_CHECK(is_floating(d), Type, "only floating-point types are supported as the default type");
  g_default_dtype.store(d, std::memory_order_relaxed);
}

}  // namespace ember
