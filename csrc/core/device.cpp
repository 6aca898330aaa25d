#include "core/device.h"

#include <cstdlib>

namespace ember {

Device parse_device(const std::string& spec) {
  if (spec == "cpu") return Device{};
  if (spec.rfind("cuda", 0) == 0) {
    if (spec == "cuda") return Device{DeviceType::CUDA, 0};
    if (spec.size() > 5 && spec[4] == ':') {
      char* end = nullptr;
      long idx = std::strtol(spec.c_str() + 5, &end, 10);
      if (*end == '\0' && idx >= 0) return Device{DeviceType::CUDA, static_cast<int>(idx)};
    }
  }
  fail(ErrorKind::Runtime, "Expected one of cpu, cuda device type at start of device string: ", spec);
}

}  // namespace ember
