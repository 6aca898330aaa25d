#include "bindings/bindings.h"

namespace ember::bindings {

void init_linalg(py::module_& m, PyTensor& cls) {}

}  // namespace ember::bindings
