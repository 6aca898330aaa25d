#include "bindings/bindings.h"

namespace ember::bindings {

void init_nn_ops(py::module_& m, PyTensor& cls) {}

}  // namespace ember::bindings
