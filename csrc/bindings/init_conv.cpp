// conv2d and the 2-D pools. ember.nn.functional turns PyTorch's arguments (ints or pairs,
// padding='same'/'valid', stride=None) into the pairs these take. All let the GIL go
// (Note [Releasing the GIL], gil.h).
#include "bindings/bindings.h"
#include "bindings/gil.h"
#include "ops/ops.h"

namespace ember::bindings {

void init_conv(py::module_& m) {
  m.def("conv2d", [](const Tensor& x, const Tensor& w, const std::optional<Tensor>& b, Int2 stride, Int2 pad_before,
                     Int2 pad_after, Int2 dilation, int64_t groups) {
    return conv2d(x, w, b ? *b : Tensor(), stride, pad_before, pad_after, dilation, groups);
  }, NoGil(), py::arg("input"), py::arg("weight"), py::arg("bias").none(true), py::arg("stride"),
        py::arg("pad_before"), py::arg("pad_after"), py::arg("dilation"), py::arg("groups"));
  m.def("max_pool2d", &max_pool2d, NoGil(), py::arg("input"), py::arg("kernel_size"), py::arg("stride"),
        py::arg("padding"), py::arg("dilation"), py::arg("ceil_mode"));
  m.def("avg_pool2d", &avg_pool2d, NoGil(), py::arg("input"), py::arg("kernel_size"), py::arg("stride"),
        py::arg("padding"), py::arg("ceil_mode"), py::arg("count_include_pad"), py::arg("divisor_override").none(true));
  m.def("adaptive_avg_pool2d", &adaptive_avg_pool2d, NoGil(), py::arg("input"), py::arg("output_size"));
}

}  // namespace ember::bindings
