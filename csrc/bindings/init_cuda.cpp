// ember.cuda's native half, and the Tensor methods that move memory between devices.
#include "bindings/bindings.h"
#include "core/cuda_backend.h"
#include "kernels/strided_index.h"
#include "ops/loop_builder.h"
#include "ops/ops.h"

#ifdef EMBER_CUDA_EMULATED
#include <cuda_runtime_api.h>  // the emulated device's runtime (tools/cuda_emu/include)
#endif
#ifdef EMBER_WITH_CUDA
#include "kernels/cuda/gemm_tiles.h"
#endif

namespace ember::bindings {

namespace {

int device_index(std::optional<int> index) { return index ? *index : cuda::current_device(); }

// A captured CUDA graph, as ember.cuda.CUDAGraph holds it (Note [Capturing a step]).
struct CudaGraphHandle {
  std::shared_ptr<cuda::CapturedGraph> graph;
};

// Each element's offset in every operand, as the CUDA kernels compute it (kernels/strided_index.h),
// splitting the element index in 64 bits or, with narrow, 32 (Note [32-bit index math]): lets the
// CPU tests check that arithmetic against NumPy.
py::list loop_offsets(const Tensor& out, const tensor_list& inputs, bool narrow) {
  EMBER_CHECK(!inputs.empty() && inputs.size() < kernels::kMaxOperands, Value, "[_loop_offsets] 1 to ",
              kernels::kMaxOperands - 1, " inputs");
  kernels::LoopShape s;
  switch (inputs.size()) {
    case 1: s = make_loop(out, {&inputs[0]}); break;
    case 2: s = make_loop(out, {&inputs[0], &inputs[1]}); break;
    default: s = make_loop(out, {&inputs[0], &inputs[1], &inputs[2]}); break;
  }
  py::list per_operand;
  std::vector<std::vector<int64_t>> offs(s.noperands);
  int64_t o[kernels::kMaxOperands];
  for (int64_t i = 0, n = s.numel(); i < n; ++i) {
    if (narrow) kernels::element_offsets_as<uint32_t>(s, static_cast<uint32_t>(i), o);
    else kernels::element_offsets(s, i, o);
    for (int k = 0; k < s.noperands; ++k) offs[k].push_back(o[k]);
  }
  for (auto& v : offs) per_operand.append(py::cast(v));
  return per_operand;
}

}  // namespace

void init_cuda(py::module_& m, PyTensor& cls) {
  m.def("_cuda_is_available", &cuda::is_available);
  m.def("_cuda_device_count", &cuda::device_count);
  m.def("_cuda_unavailable_reason", &cuda::unavailable_reason);
  m.def("_cuda_set_device", &cuda::set_device);
  m.def("_cuda_current_device", &cuda::current_device);
  m.def("_cuda_synchronize", [](std::optional<int> i) {
    py::gil_scoped_release no_gil;
    cuda::synchronize(device_index(i));
  }, py::arg("device") = py::none());
  // torch.cuda.memory_stats's names for what ember's caching allocator counts.
  m.def("_cuda_memory_stats", [](int i) {
    cuda::DeviceMemoryStats s = cuda::memory_stats(i);
    py::dict d;
    d["allocated_bytes.all.current"] = s.allocated;
    d["allocated_bytes.all.peak"] = s.peak_allocated;
    d["reserved_bytes.all.current"] = s.reserved;
    d["reserved_bytes.all.peak"] = s.peak_reserved;
    d["num_device_alloc"] = s.num_device_alloc;
    d["num_device_free"] = s.num_device_free;
    d["num_alloc_retries"] = s.num_alloc_retries;
    d["num_ooms"] = s.num_ooms;
    return d;
  });
  m.def("_cuda_reset_peak_memory", &cuda::reset_peak_memory);
  m.def("_cuda_empty_cache", [](int i) {
    py::gil_scoped_release no_gil;
    cuda::empty_cache(i);
  });
  m.def("_cuda_empty_pinned_cache", [] {
    py::gil_scoped_release no_gil;
    cuda::empty_pinned_cache();
  });
  py::class_<CudaGraphHandle>(m, "_CudaGraphExec").def("replay", [](const CudaGraphHandle& h) {
    py::gil_scoped_release no_gil;
    cuda::replay(*h.graph);
  });
  m.def("_cuda_capture_begin", [](int device, int64_t pool) {
    py::gil_scoped_release no_gil;
    return cuda::begin_capture(device, pool);
  });
  m.def("_cuda_capture_end", [](int device, int64_t pool) { return CudaGraphHandle{cuda::end_capture(device, pool)}; });
  m.def("_cuda_is_capturing", &cuda::is_capturing);
  m.def("_cuda_device_properties", [](int index) {
    cuda::DeviceProperties p = cuda::device_properties(index);
    py::dict d;
    d["name"] = p.name;
    d["major"] = p.major;
    d["minor"] = p.minor;
    d["total_memory"] = p.total_memory;
    d["multi_processor_count"] = p.multi_processor_count;
    d["warp_size"] = p.warp_size;
    d["max_threads_per_block"] = p.max_threads_per_block;
    d["shared_memory_per_block"] = p.shared_memory_per_block;
    return d;
  });
#ifdef EMBER_WITH_CUDA
  // Note [GEMM tiles by shape]: the rule for a shape on a device of `sms` SMs, and forcing one
  // tile on every float32 GEMM (tests compare the tiles' results, benchmarks time them).
  m.def("_cuda_gemm_tile_rule", [](int64_t M, int64_t N, int64_t batch, int64_t sms) {
    return std::string(kernels::cuda::float_gemm_tile_name(kernels::cuda::float_gemm_tile_rule(M, N, batch, sms)));
  });
  m.def("_cuda_force_gemm_tile", [](const std::string& name) {
    kernels::cuda::force_float_gemm_tile(kernels::cuda::float_gemm_tile_named(name));
  });
#endif
#ifdef EMBER_CUDA_EMULATED
  // For tests: what another library in the process does with cudaSetDevice, past ember.
  m.def("_cuda_set_device_behind_embers_back", [](int i) {
    if (cudaSetDevice(i) != cudaSuccess) {
      cudaGetLastError();
      throw py::value_error("no such emulated device");
    }
  });
  // For tests: a setting of the driver that other libraries share, which ember must leave alone.
  m.def("_cuda_emu_default_pool_release_threshold", [](int i) {
    cudaMemPool_t pool;
    uint64_t threshold = 0;
    if (cudaDeviceGetDefaultMemPool(&pool, i) != cudaSuccess ||
        cudaMemPoolGetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &threshold) != cudaSuccess) {
      cudaGetLastError();
      throw py::value_error("no such emulated device");
    }
    return threshold;
  });
#endif
  m.def("_cuda_transfer_stats", []() {
    cuda::TransferStats s = cuda::transfer_stats();
    py::dict d;
    d["syncs"] = s.syncs;
    d["bytes_to_device"] = s.bytes_to_device;
    d["bytes_to_host"] = s.bytes_to_host;
    d["kernel_launches"] = s.kernel_launches;
    d["allocator_calls"] = s.allocator_calls;
    return d;
  });
  m.def("_cuda_reset_transfer_stats", &cuda::reset_transfer_stats);
  m.def("_loop_offsets", &loop_offsets, py::arg("out"), py::arg("inputs"), py::arg("narrow") = false);

  cls.def("_to_device", [](const Tensor& t, Device d, bool non_blocking) { return to_device(t, d, non_blocking); },
          py::arg("device"), py::arg("non_blocking") = false)
      .def("pin_memory", [](const Tensor& t) { return pin_memory(t); })
      .def("is_pinned", [](const Tensor& t) { return is_pinned(t); });
}

}  // namespace ember::bindings
