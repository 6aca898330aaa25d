#include "core/device.h"

#include <cstdlib>

#include "core/cuda_backend.h"

namespace ember {

Device parse_device(const std::string& spec) {
  if (spec == "cpu") return Device{};
  if (spec.rfind("cuda", 0) == 0) {
    // As in PyTorch, "cuda" is the current device (ember.cuda.set_device, or any library's
    // cudaSetDevice), read when the string is parsed.
    if (spec == "cuda") return Device{DeviceType::CUDA, cuda::is_available() ? cuda::current_device() : 0};
    if (spec.size() > 5 && spec[4] == ':') {
      char* end = nullptr;
      long idx = std::strtol(spec.c_str() + 5, &end, 10);
      if (*end == '\0' && idx >= 0) return Device{DeviceType::CUDA, static_cast<int>(idx)};
    }
  }
  fail(ErrorKind::Runtime, "Expected one of cpu, cuda device type at start of device string: ", spec);
}

}  // namespace ember
