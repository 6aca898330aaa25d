// ember.dtype and ember.device.
#include "bindings/bindings.h"

namespace ember::bindings {

void init_types(py::module_& m) {
  py::enum_<DType>(m, "dtype")
      .value("bool", DType::Bool)
      .value("int32", DType::Int32)
      .value("int64", DType::Int64)
      .value("float32", DType::Float32)
      .value("float64", DType::Float64)
      .def("__repr__", [](DType d) { return std::string(dtype_name(d)); })
      .def("__str__", [](DType d) { return std::string(dtype_name(d)); })
      .def_property_readonly("is_floating_point", [](DType d) { return is_floating(d); })
      .def_property_readonly("itemsize", [](DType d) { return itemsize(d); });

  py::class_<Device>(m, "device")
      .def(py::init([](const std::string& spec) { return parse_device(spec); }), py::arg("type"))
      .def(py::init([](const std::string& type, int index) {
             Device d = parse_device(type);
             EMBER_CHECK(d.is_cuda(), Runtime, "device index given for a cpu device");
             EMBER_CHECK(index >= 0, Runtime, "Device index must not be negative, got ", index);
             d.index = index;
             return d;
           }),
           py::arg("type"), py::arg("index"))
      .def_property_readonly("type", [](const Device& d) { return d.is_cpu() ? "cpu" : "cuda"; })
      .def_property_readonly("index", [](const Device& d) -> py::object {
        return d.is_cpu() ? py::object(py::none()) : py::object(py::int_(d.index));
      })
      .def("__str__", &Device::str)
      .def("__repr__", [](const Device& d) {
        return d.is_cpu() ? std::string("device(type='cpu')")
                          : "device(type='cuda', index=" + std::to_string(d.index) + ")";
      })
      .def("__eq__", [](const Device& a, const Device& b) { return a == b; })
      .def("__eq__", [](const Device& a, const std::string& b) { return a == parse_device(b); })
      .def("__hash__", [](const Device& d) { return static_cast<int>(d.type) * 1000 + d.index; });
  py::implicitly_convertible<std::string, Device>();
}

}  // namespace ember::bindings
