// Storage: one block of memory on one device, shared by every tensor that views it.
// The block is owned through a shared_ptr<void> so that memory ember did not allocate (a NumPy
// array handed to from_numpy) can be kept alive by whatever owns it. Memory ember allocated is
// resizable: Tensor.resize_ may swap in a bigger block (Note [Resizing a tensor], core/tensor.cpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/device.h"

namespace ember {

class Storage {
 public:
  Storage(std::shared_ptr<void> data, size_t nbytes, Device device, bool resizable = false)
      : data_(std::move(data)), nbytes_(nbytes), device_(device), resizable_(resizable) {}

  void* data() const { return data_.get(); }
  // The block itself, for a view that must outlive a later replace() (a NumPy array of a tensor).
  const std::shared_ptr<void>& block() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  bool resizable() const { return resizable_; }
  // Memory that nothing outside ember can see (ember.tensor's private NumPy copy) may be resized too.
  void set_resizable(bool r) { resizable_ = r; }
  // A new block for every tensor that views this storage (the caller copied what it keeps).
  void replace(std::shared_ptr<void> data, size_t nbytes) {
    data_ = std::move(data);
    nbytes_ = nbytes;
  }

 private:
  std::shared_ptr<void> data_;
  size_t nbytes_;
  Device device_;
  bool resizable_;
};

// Allocates `nbytes` on `device` (64-byte aligned on the CPU). Throws ErrorKind::Memory (Python's
// ember.OutOfMemoryError, a RuntimeError as PyTorch's) when the allocation cannot be had, never aborts.
std::shared_ptr<Storage> allocate_storage(size_t nbytes, Device device);

// Bytes of CPU storage ember allocated that are alive now, and the most alive at once since the
// last reset (what utils.checkpoint saves is measured with these; NumPy-owned memory is not counted).
struct MemoryStats {
  int64_t current;
  int64_t peak;
};
MemoryStats cpu_memory_stats();
void reset_peak_cpu_memory();

}  // namespace ember
