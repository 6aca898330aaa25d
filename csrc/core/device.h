// Where a tensor's memory lives. The CPU is always there; CUDA devices exist when the build
// has the CUDA backend and the machine has a driver and a GPU (see Note [CUDA is optional]).
#pragma once
#include <string>

#include "core/error.h"

namespace ember {

enum class DeviceType : uint8_t { CPU = 0, CUDA = 1 };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = -1;  // -1 for the CPU; the CUDA ordinal otherwise

  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }

  std::string str() const {
    if (is_cpu()) return "cpu";
    return "cuda:" + std::to_string(index);
  }
};

inline Device cpu_device() { return Device{}; }

// Parses "cpu", "cuda", "cuda:1".
Device parse_device(const std::string& spec);

}  // namespace ember
