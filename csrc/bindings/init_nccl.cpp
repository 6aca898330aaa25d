// The native side of ember.distributed's "nccl" backend (Note [NCCL at run time],
// core/cuda/nccl.cpp): a communicator and its collectives on CUDA tensors. The tensors are checked
// here (this rank's device, contiguous, matching dtypes and sizes), so NCCL only ever gets buffers
// it can use; ember.distributed copies non-contiguous tensors before they arrive.
#include "bindings/bindings.h"
#include "core/nccl_backend.h"

namespace ember::bindings {

namespace {

using nccl::Communicator;

// What Python holds: the communicator's type is private to core/cuda/nccl.cpp.
struct NcclHandle {
  std::shared_ptr<Communicator> comm;
};

void check_buffer(const char* op, const Communicator& comm, const Tensor& t, const char* what) {
  const int device = nccl::device_of(comm);
  EMBER_CHECK(t.device().is_cuda() && t.device().index == device, Value, "[", op,
              "] the NCCL backend takes tensors on this rank's device cuda:", device, "; ", what, " is on ",
              t.device().str());
  EMBER_CHECK(t.is_contiguous(), Value, "[", op, "] the NCCL backend takes contiguous tensors; ", what,
              " has strides that are not");
}

void check_same_dtype(const char* op, const Tensor& out, const Tensor& in) {
  EMBER_CHECK(out.dtype() == in.dtype(), Type, "[", op, "] the output is ", dtype_name(out.dtype()),
              " and the input ", dtype_name(in.dtype()), "; they must match");
}

size_t count(const Tensor& t) { return static_cast<size_t>(t.numel()); }

nccl::ReduceOp reduce_op(int op) {
  EMBER_CHECK(op >= 0 && op <= 4, Value, "[all_reduce] unknown ReduceOp ", op);
  return static_cast<nccl::ReduceOp>(op);
}

}  // namespace

void init_nccl(py::module_& m) {
  m.def("_nccl_unavailable_reason", &nccl::unavailable_reason);
  m.def("_nccl_version", &nccl::version);
  m.def("_nccl_library", [] { return py::make_tuple(nccl::library_path(), nccl::library_error()); });
  m.def("_nccl_unique_id", [] { return py::bytes(nccl::unique_id()); });

  // The GIL is released around every call: joining waits for the other ranks, and a collective's
  // enqueue may wait for NCCL's own queue.
  py::class_<NcclHandle>(m, "_NcclCommunicator")
      .def(py::init([](const py::bytes& id, int nranks, int rank, int device) {
             std::string bytes = id;
             py::gil_scoped_release release;
             return NcclHandle{nccl::join(bytes, nranks, rank, device)};
           }),
           py::arg("unique_id"), py::arg("world_size"), py::arg("rank"), py::arg("device"))
      .def_property_readonly("device", [](const NcclHandle& h) { return nccl::device_of(*h.comm); })
      .def_property_readonly("rank", [](const NcclHandle& h) { return nccl::rank_of(*h.comm); })
      .def_property_readonly("world_size", [](const NcclHandle& h) { return nccl::size_of(*h.comm); })
      .def("all_reduce",
           [](NcclHandle& h, const Tensor& t, int op) {
             Communicator& c = *h.comm;
             check_buffer("all_reduce", c, t, "the tensor");
             const nccl::ReduceOp rop = reduce_op(op);
             py::gil_scoped_release release;
             nccl::all_reduce(c, t.raw_data(), t.raw_data(), count(t), t.dtype(), rop);
           })
      .def("broadcast",
           [](NcclHandle& h, const Tensor& t, int root) {
             Communicator& c = *h.comm;
             check_buffer("broadcast", c, t, "the tensor");
             EMBER_CHECK(root >= 0 && root < nccl::size_of(c), Value, "[broadcast] src ", root,
                         " is not a rank of this group of ", nccl::size_of(c));
             py::gil_scoped_release release;
             nccl::broadcast(c, t.raw_data(), t.raw_data(), count(t), t.dtype(), root);
           })
      .def("all_gather",
           [](NcclHandle& h, const Tensor& out, const Tensor& in) {
             Communicator& c = *h.comm;
             check_buffer("all_gather_into_tensor", c, out, "the output");
             check_buffer("all_gather_into_tensor", c, in, "the input");
             check_same_dtype("all_gather_into_tensor", out, in);
             EMBER_CHECK(count(out) == count(in) * nccl::size_of(c), Value, "[all_gather_into_tensor] the output has ",
                         out.numel(), " elements; it must hold world_size (", nccl::size_of(c), ") x the input's ",
                         in.numel());
             py::gil_scoped_release release;
             nccl::all_gather(c, in.raw_data(), out.raw_data(), count(in), in.dtype());
           })
      .def("reduce_scatter",
           [](NcclHandle& h, const Tensor& out, const Tensor& in, int op) {
             Communicator& c = *h.comm;
             check_buffer("reduce_scatter_tensor", c, out, "the output");
             check_buffer("reduce_scatter_tensor", c, in, "the input");
             check_same_dtype("reduce_scatter_tensor", out, in);
             EMBER_CHECK(count(in) == count(out) * nccl::size_of(c), Value, "[reduce_scatter_tensor] the input has ",
                         in.numel(), " elements; it must hold world_size (", nccl::size_of(c), ") x the output's ",
                         out.numel());
             const nccl::ReduceOp rop = reduce_op(op);
             py::gil_scoped_release release;
             nccl::reduce_scatter(c, in.raw_data(), out.raw_data(), count(out), in.dtype(), rop);
           })
      .def("send",
           [](NcclHandle& h, const Tensor& t, int peer) {
             Communicator& c = *h.comm;
             check_buffer("send", c, t, "the tensor");
             EMBER_CHECK(peer >= 0 && peer < nccl::size_of(c) && peer != nccl::rank_of(c), Value, "[send] dst ", peer,
                         " is not another rank of this group of ", nccl::size_of(c));
             py::gil_scoped_release release;
             nccl::send(c, t.raw_data(), count(t), t.dtype(), peer);
           })
      .def("recv",
           [](NcclHandle& h, const Tensor& t, int peer) {
             Communicator& c = *h.comm;
             check_buffer("recv", c, t, "the tensor");
             EMBER_CHECK(peer >= 0 && peer < nccl::size_of(c) && peer != nccl::rank_of(c), Value, "[recv] src ", peer,
                         " is not another rank of this group of ", nccl::size_of(c));
             py::gil_scoped_release release;
             nccl::recv(c, t.raw_data(), count(t), t.dtype(), peer);
           })
      .def("async_error", [](NcclHandle& h) { return nccl::async_error(*h.comm); })
      .def("oldest_pending_seconds", [](NcclHandle& h) { return nccl::oldest_pending_seconds(*h.comm); })
      .def("abort", [](NcclHandle& h) { nccl::abort(*h.comm); });
}

}  // namespace ember::bindings
