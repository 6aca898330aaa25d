// DLPack: Tensor.__dlpack__ / __dlpack_device__ and ember.from_dlpack, so that NumPy, PyTorch, JAX
// or CuPy and ember hand tensors to each other without a copy.
//
// Note [DLPack]
// The producer puts a DLManagedTensor (or, when the consumer asks for version 1, a
// DLManagedTensorVersioned) in a PyCapsule named "dltensor" ("dltensor_versioned"): a pointer,
// shape, strides and dtype, and a deleter the consumer calls when it is done. The consumer renames
// the capsule "used_..." so that the capsule's own destructor, which deletes an unconsumed
// export, leaves it alone.
// - ember's export owns a Tensor (so the storage lives as long as the consumer needs it) and the
//   shape and strides arrays. Its deleter touches no Python object, so a consumer may call it
//   without the GIL.
// - ember's import wraps the memory in a Storage whose deleter calls the producer's deleter (with
//   the GIL: NumPy's drops a Python reference). Writes on either side are seen on the other.
// - Streams (CUDA): the consumer names the stream it will use; the producer must have the data
//   ready for work queued there. ember, as producer, waits for its own stream (a sync, simple and
//   always right; stream=-1 asks for no wait); as consumer it passes its stream's handle.
// - ember tensors are writable, so an import marked read-only is copied (the protocol allows a
//   consumer that cannot honour the flag to copy).
#include <Python.h>

#include <vector>

#include "bindings/bindings.h"
#include "bindings/dlpack_abi.h"
#include "bindings/gil.h"
#include "core/cuda_backend.h"
#include "ops/ops.h"

namespace ember::bindings {

namespace {

namespace dl = dlpack;

constexpr const char* kLegacy = "dltensor";
constexpr const char* kVersioned = "dltensor_versioned";

dl::DLDataType dl_dtype(DType d) {
  switch (d) {
    case DType::Float32: return {dl::kDLFloat, 32, 1};
    case DType::Float64: return {dl::kDLFloat, 64, 1};
    case DType::Int64: return {dl::kDLInt, 64, 1};
    case DType::Int32: return {dl::kDLInt, 32, 1};
    case DType::Bool: return {dl::kDLBool, 8, 1};
  }
  return {dl::kDLFloat, 32, 1};
}

DType ember_dtype(dl::DLDataType t) {
  if (t.lanes == 1) {
    if (t.code == dl::kDLFloat && t.bits == 32) return DType::Float32;
    if (t.code == dl::kDLFloat && t.bits == 64) return DType::Float64;
    if (t.code == dl::kDLInt && t.bits == 64) return DType::Int64;
    if (t.code == dl::kDLInt && t.bits == 32) return DType::Int32;
    if (t.code == dl::kDLBool && t.bits == 8) return DType::Bool;
  }
  static const char* codes[] = {"int", "uint", "float", "opaque", "bfloat", "complex", "bool"};
  fail(ErrorKind::Type, "[from_dlpack] unsupported dtype ", t.code < 7 ? codes[t.code] : "code ?",
       static_cast<int>(t.bits), (t.lanes != 1 ? " with lanes" : ""),
       ": ember has float32, float64, int64, int32 and bool");
}

// What an export owns: the tensor, whose storage the consumer reads, and the arrays DLTensor points at.
struct Export {
  Tensor tensor;
  std::vector<int64_t> shape, strides;
};

dl::DLTensor describe(Export* e) {
  const Tensor& t = e->tensor;
  const Device d = t.device();
  return {t.raw_data(), {d.is_cuda() ? dl::kDLCUDA : dl::kDLCPU, d.is_cuda() ? static_cast<int32_t>(d.index) : 0},
          static_cast<int32_t>(t.dim()), dl_dtype(t.dtype()), e->shape.data(), e->strides.data(), 0};
}

template <class Managed>
void delete_export(Managed* m) {
  delete static_cast<Export*>(m->manager_ctx);
  delete m;
}

// An export nobody consumed dies with its capsule.
void delete_unconsumed(PyObject* capsule) {
  if (PyCapsule_IsValid(capsule, kVersioned)) {
    auto* m = static_cast<dl::DLManagedTensorVersioned*>(PyCapsule_GetPointer(capsule, kVersioned));
    if (m && m->deleter) m->deleter(m);
  } else if (PyCapsule_IsValid(capsule, kLegacy)) {
    auto* m = static_cast<dl::DLManagedTensor*>(PyCapsule_GetPointer(capsule, kLegacy));
    if (m && m->deleter) m->deleter(m);
  }
}

py::object to_dlpack(const Tensor& self, py::object stream, py::object max_version, py::object dl_device,
                     py::object copy) {
  EMBER_CHECK(!self.requires_grad(), Runtime,
              "Can't export tensors that require gradient, use tensor.detach()");
  const Device d = self.device();
  if (!dl_device.is_none()) {
    auto want = dl_device.cast<std::pair<int, int>>();
    const bool same = d.is_cuda() ? want.first == dl::kDLCUDA && want.second == d.index
                                  : want.first == dl::kDLCPU;
    if (!same) throw py::buffer_error("[__dlpack__] cannot export a tensor on " + d.str() + " to device (" +
                                      std::to_string(want.first) + ", " + std::to_string(want.second) + ")");
  }
  const bool copied = !copy.is_none() && copy.cast<bool>();
  if (d.is_cuda()) {
    const int64_t s = stream.is_none() ? 1 : stream.cast<int64_t>();
    EMBER_CHECK(s != 0, Value, "[__dlpack__] stream 0 is ambiguous for CUDA: pass 1 for the legacy default stream");
    if (s != -1) {
      py::gil_scoped_release no_gil;
      cuda::synchronize(d.index);  // Note [DLPack]: ready for any stream of the consumer
    }
  }
  auto* e = new Export{copied ? clone(self) : self, {}, {}};
  e->shape.assign(e->tensor.sizes().begin(), e->tensor.sizes().end());
  e->strides.assign(e->tensor.strides().begin(), e->tensor.strides().end());
  const bool versioned = !max_version.is_none() && max_version.cast<std::pair<int, int>>().first >= 1;
  PyObject* capsule;
  if (versioned) {
    auto* m = new dl::DLManagedTensorVersioned{{dl::kMajorVersion, dl::kMinorVersion}, e,
                                               &delete_export<dl::DLManagedTensorVersioned>,
                                               copied ? dl::kFlagIsCopied : 0, describe(e)};
    capsule = PyCapsule_New(m, kVersioned, delete_unconsumed);
    if (!capsule) delete_export(m);
  } else {
    auto* m = new dl::DLManagedTensor{describe(e), e, &delete_export<dl::DLManagedTensor>};
    capsule = PyCapsule_New(m, kLegacy, delete_unconsumed);
    if (!capsule) delete_export(m);
  }
  if (!capsule) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(capsule);
}

py::tuple dlpack_device(const Tensor& self) {
  const Device d = self.device();
  const int type = d.is_cuda() ? dl::kDLCUDA : dl::kDLCPU, index = d.is_cuda() ? d.index : 0;
  return py::make_tuple(type, index);
}

// The capsule a producer gives: `obj` itself when it is one (the pre-protocol way), else what its
// __dlpack__ returns for ember's stream, asking for version 1 first.
py::object capsule_of(py::object obj) {
  if (PyCapsule_CheckExact(obj.ptr())) return obj;
  EMBER_CHECK(py::hasattr(obj, "__dlpack__"), Type, "[from_dlpack] expected an object with __dlpack__ or a "
              "DLPack capsule, got ", std::string(py::str(py::type::of(obj).attr("__name__"))));
  py::object stream = py::none();
  auto device = obj.attr("__dlpack_device__")().cast<std::pair<int, int>>();
  if (device.first == dl::kDLCUDA) stream = py::int_(cuda::stream_handle(device.second));
  try {
    return obj.attr("__dlpack__")(py::arg("stream") = stream, py::arg("max_version") = py::make_tuple(1, 0));
  } catch (py::error_already_set& err) {
    if (!err.matches(PyExc_TypeError)) throw;  // a producer older than DLPack 1.0 takes no max_version
  }
  return obj.attr("__dlpack__")(py::arg("stream") = stream);
}

Tensor from_dlpack(py::object obj) {
  py::object capsule = capsule_of(std::move(obj));
  const bool versioned = PyCapsule_IsValid(capsule.ptr(), kVersioned);
  EMBER_CHECK(versioned || PyCapsule_IsValid(capsule.ptr(), kLegacy), Value,
              "[from_dlpack] the capsule is not an unused DLPack tensor (was it consumed already?)");
  void* managed = PyCapsule_GetPointer(capsule.ptr(), versioned ? kVersioned : kLegacy);
  dl::DLTensor* t;
  bool read_only = false;
  if (versioned) {
    auto* m = static_cast<dl::DLManagedTensorVersioned*>(managed);
    if (m->version.major != dl::kMajorVersion)
      throw py::buffer_error("[from_dlpack] DLPack version " + std::to_string(m->version.major) + "." +
                             std::to_string(m->version.minor) + " is not supported (ember reads 1.x)");
    t = &m->dl_tensor;
    read_only = m->flags & dl::kFlagReadOnly;
  } else {
    t = &static_cast<dl::DLManagedTensor*>(managed)->dl_tensor;
  }
  // From here the memory is ember's to release: through the storage below, or now on an error.
  std::shared_ptr<void> release(managed, [versioned](void* p) {
    std::optional<py::gil_scoped_acquire> gil;
    if (Py_IsInitialized()) gil.emplace();  // NumPy's deleter drops a Python reference
    if (versioned) {
      auto* m = static_cast<dl::DLManagedTensorVersioned*>(p);
      if (m->deleter) m->deleter(m);
    } else {
      auto* m = static_cast<dl::DLManagedTensor*>(p);
      if (m->deleter) m->deleter(m);
    }
  });
  PyCapsule_SetName(capsule.ptr(), versioned ? "used_dltensor_versioned" : "used_dltensor");

  Device device = cpu_device();
  if (t->device.device_type == dl::kDLCUDA) {
    device = Device{DeviceType::CUDA, t->device.device_id};
    cuda::check_device("from_dlpack", device);
  } else {
    EMBER_CHECK(t->device.device_type == dl::kDLCPU || t->device.device_type == dl::kDLCUDAHost, Type,
                "[from_dlpack] unsupported device type ", t->device.device_type, ": ember reads CPU and CUDA tensors");
  }
  const DType dtype = ember_dtype(t->dtype);
  EMBER_CHECK(t->ndim >= 0 && t->ndim <= kMaxDims, Value, "[from_dlpack] ", t->ndim,
              " dimensions; ember supports at most ", kMaxDims);
  Shape sizes(t->shape, t->shape + t->ndim), strides(t->ndim);
  int64_t span = 1, numel = 1;
  for (int64_t i = t->ndim - 1; i >= 0; --i) {
    strides[i] = t->strides ? t->strides[i] : (i + 1 < t->ndim ? strides[i + 1] * sizes[i + 1] : 1);
    EMBER_CHECK(sizes[i] >= 0 && strides[i] >= 0, Value, "[from_dlpack] negative sizes or strides are not "
                "supported (shape ", shape_str(sizes), ")");
    span += (sizes[i] - 1) * strides[i];
    numel *= sizes[i];
  }
  if (numel == 0) span = 0;
  void* data = static_cast<char*>(t->data) + t->byte_offset;
  std::shared_ptr<void> block(data, [release](void*) mutable { release.reset(); });
  auto storage = std::make_shared<Storage>(std::move(block), static_cast<size_t>(span) * itemsize(dtype), device);
  Tensor out(std::make_shared<TensorImpl>(std::move(storage), 0, sizes, strides, dtype));
  return read_only ? clone(out) : out;  // Note [DLPack]: ember tensors are writable
}

}  // namespace

void init_dlpack(py::module_& m, PyTensor& cls) {
  cls.def("__dlpack__", &to_dlpack, py::kw_only(), py::arg("stream") = py::none(), py::arg("max_version") = py::none(),
          py::arg("dl_device") = py::none(), py::arg("copy") = py::none())
      .def("__dlpack_device__", &dlpack_device);
  m.def("from_dlpack", &from_dlpack, py::arg("ext_tensor"));
}

}  // namespace ember::bindings
