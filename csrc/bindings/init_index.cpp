#include "bindings/bindings.h"

namespace ember::bindings {

void init_index(py::module_& m, PyTensor& cls) {}

}  // namespace ember::bindings
