// Tensor.resize_ / resize_as_, and the native half of out= arguments (python/ember/_out.py).
#include "bindings/bindings.h"
#include "ops/ops.h"

namespace ember::bindings {

void init_out(py::module_& m, PyTensor& cls) {
  // x.resize_(2, 3), x.resize_((2, 3)), x.resize_(ember.Size([2, 3])): Note [Resizing a tensor].
  cls.def("resize_", [](Tensor& t, const py::args& args) -> Tensor& {
    if (args.size() == 0) throw py::type_error("resize_() missing 1 required positional argument: \"size\"");
    return resize_tensor_(t, shape_from_args("resize_", args));
  });
  cls.def("resize_as_", [](Tensor& t, const Tensor& other) -> Tensor& { return resize_tensor_(t, other.sizes()); },
          py::arg("the_template"));
  // ember.tensor(data) wraps a NumPy copy of data that nothing else holds: resizable, as torch.tensor's.
  m.def("_set_resizable", [](const Tensor& t) { t->storage()->set_resizable(true); });
  m.def("_check_out_overlap", [](const std::string& op, const Tensor& out, const tensor_list& inputs) {
    check_out_overlap(op.c_str(), out, inputs);
  });
  m.def("_write_out", [](const std::string& op, Tensor& out, const Tensor& result) -> Tensor& {
    return write_out(op.c_str(), out, result);
  });
}

}  // namespace ember::bindings
