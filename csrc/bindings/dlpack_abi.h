// The DLPack ABI (https://dmlc.github.io/dlpack/latest/c_api.html), version 1.0: the C structs a
// producer and a consumer of tensors exchange inside a PyCapsule. Declared here from the
// specification (the layout is the standard; nothing of it is ember's choice), so that building
// ember needs no other package's headers. Only bindings/init_dlpack.cpp uses it.
#pragma once
#include <cstdint>

namespace ember::bindings::dlpack {

constexpr uint32_t kMajorVersion = 1, kMinorVersion = 0;

// DLDeviceType: only the ones ember maps.
constexpr int32_t kDLCPU = 1, kDLCUDA = 2, kDLCUDAHost = 3;
// DLDataTypeCode: only the ones ember maps.
constexpr uint8_t kDLInt = 0, kDLUInt = 1, kDLFloat = 2, kDLBool = 6;
// DLManagedTensorVersioned::flags
constexpr uint64_t kFlagReadOnly = 1, kFlagIsCopied = 2;

struct DLDevice {
  int32_t device_type;
  int32_t device_id;
};

struct DLDataType {
  uint8_t code;
  uint8_t bits;
  uint16_t lanes;
};

struct DLTensor {
  void* data;  // for CUDA a device pointer; element (0, ..., 0) is at data + byte_offset
  DLDevice device;
  int32_t ndim;
  DLDataType dtype;
  int64_t* shape;
  int64_t* strides;  // in elements; null: compact row-major
  uint64_t byte_offset;
};

// The pre-1.0 capsule content ("dltensor").
struct DLManagedTensor {
  DLTensor dl_tensor;
  void* manager_ctx;
  void (*deleter)(DLManagedTensor* self);
};

struct DLPackVersion {
  uint32_t major;
  uint32_t minor;
};

// The 1.x capsule content ("dltensor_versioned").
struct DLManagedTensorVersioned {
  DLPackVersion version;
  void* manager_ctx;
  void (*deleter)(DLManagedTensorVersioned* self);
  uint64_t flags;
  DLTensor dl_tensor;
};

}  // namespace ember::bindings::dlpack
