// Autograd from Python: requires_grad, .grad, grad_fn, backward(), autograd.grad, grad mode.
#include "autograd/accumulate_grad.h"
#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "autograd/hooks.h"
#include "autograd/node.h"
#include "bindings/bindings.h"
#include "bindings/gil.h"
#include "autograd/inplace.h"
#include "ops/ops.h"

namespace ember::bindings {

namespace {

tensor_list tensors_of(py::handle h) {
  if (auto t = as_tensor(h)) return {*t};
  tensor_list out;
  for (py::handle item : py::reinterpret_borrow<py::sequence>(h)) {
    if (item.is_none()) out.push_back(Tensor());
    else out.push_back(item.cast<Tensor>());
  }
  return out;
}

autograd::BackwardOptions options(py::object retain_graph, bool create_graph, bool allow_unused = false) {
  autograd::BackwardOptions o;
  o.create_graph = create_graph;
  o.keep_graph = retain_graph.is_none() ? create_graph : retain_graph.cast<bool>();
  o.allow_unused = allow_unused;
  return o;
}

void set_grad(Tensor& t, py::object value) {
  if (value.is_none()) {
    t->grad() = Tensor();
    return;
  }
  Tensor g = value.cast<Tensor>();
  EMBER_CHECK(g.sizes() == t.sizes(), Runtime, "assigned grad has data of a different size: ",
              shape_str(g.sizes()), " vs ", shape_str(t.sizes()));
  EMBER_CHECK(g.dtype() == t.dtype(), Runtime, "assigned grad has data of a different type: ",
              dtype_name(g.dtype()), " vs ", dtype_name(t.dtype()));
  t->grad() = g;
}

void warn_non_leaf_grad() {
  const char* msg =
      "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be "
      "populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf "
      "Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure "
      "you access the leaf Tensor instead.";
  if (PyErr_WarnEx(PyExc_UserWarning, msg, 1) != 0) throw py::error_already_set();
}

// Wraps a Python callable as a gradient hook: None keeps the gradient, a Tensor replaces it.
// The engine copies, runs and drops hooks without the GIL (Note [Releasing the GIL], gil.h).
GradHook python_grad_hook(py::function fn) {
  return [fn = share(std::move(fn))](const Tensor& g) -> Tensor {
    py::gil_scoped_acquire gil;
    py::object r = (*fn)(g);
    if (r.is_none()) return Tensor();
    if (auto t = as_tensor(r)) return *t;
    throw py::type_error("[register_hook] a hook must return None or a Tensor, got " +
                         std::string(py::str(py::type::of(r).attr("__name__"))));
  };
}

// What register_hook returns; remove() takes the hook back (a no-op once the tensor and node are gone).
struct HookHandle {
  std::weak_ptr<TensorImpl> tensor;
  std::weak_ptr<autograd::Node> node;
  uint64_t id;
  bool post_accumulate;
  void remove() {
    if (auto t = tensor.lock()) {
      if (post_accumulate) autograd::remove_post_accumulate_grad_hook(Tensor(t), id);
      else autograd::remove_hook(Tensor(t), id);
    }
    // The node may outlive the tensor (the graph holds it): take the hook off the node too.
    if (auto n = node.lock()) autograd::erase_hook(n->pre_hooks(), id);
  }
};

}  // namespace

void init_autograd(py::module_& m, PyTensor& cls) {
  py::class_<HookHandle>(m, "RemovableHandle")
      .def("remove", &HookHandle::remove)
      .def("__enter__", [](HookHandle& h) -> HookHandle& { return h; }, py::return_value_policy::reference)
      .def("__exit__", [](HookHandle& h, py::args) { h.remove(); });
  py::class_<autograd::Node, std::shared_ptr<autograd::Node>>(m, "Node")
      .def("name", &autograd::Node::name)
      .def_property_readonly("next_functions", [](autograd::Node& n) {
        py::tuple out(n.next_edges().size());
        for (size_t i = 0; i < n.next_edges().size(); ++i) {
          const autograd::Edge& e = n.next_edges()[i];
          out[i] = py::make_tuple(e.fn ? py::cast(e.fn) : py::none(), e.input_nr);
        }
        return out;
      })
      // As PyTorch's AccumulateGrad.variable: the leaf a sink node accumulates into (used by ember.viz).
      .def_property_readonly("variable", [](autograd::Node& n) -> Tensor {
        auto* sink = dynamic_cast<autograd::AccumulateGrad*>(&n);
        if (!sink) throw py::attribute_error("'" + n.name() + "' object has no attribute 'variable'");
        return sink->variable();
      })
      .def("__repr__", [](autograd::Node& n) { return "<" + n.name() + " object>"; });

  cls.def_property("requires_grad", [](const Tensor& t) { return t.requires_grad(); },
                   [](Tensor& t, bool r) { t->set_requires_grad(r); })
      .def("requires_grad_", [](Tensor& t, bool r) -> Tensor& { t->set_requires_grad(r); return t; },
           py::arg("requires_grad") = true)
      .def_property("grad", [](const Tensor& t) {
        // One pointer test on the leaf path; the warning only for a non-leaf that keeps no .grad.
        if (!t->is_leaf() && !t->retains_grad() && !t->grad().defined()) warn_non_leaf_grad();
        return t->grad();
      }, &set_grad)
      .def_property_readonly("grad_fn", [](const Tensor& t) { return current_grad_fn(t); })
      .def_property_readonly("is_leaf", [](const Tensor& t) { return current_grad_fn(t) == nullptr; })
      .def_property_readonly("retains_grad", [](const Tensor& t) { return t->retains_grad(); })
      .def_property("data", [](const Tensor& t) { return detach(t); },
                    [](const Tensor& t, const Tensor& src) { t->set_data(*src); })
      .def("detach", [](const Tensor& t) { return detach(t); })
      .def("detach_", [](Tensor& t) -> Tensor& {
        t->set_history(nullptr, 0);
        t->set_requires_grad(false);
        return t;
      })
      .def("_retain_grad", [](const Tensor& t) { autograd::retain_grad(t); })
      .def("register_hook", [](const Tensor& t, py::function fn) {
        uint64_t id = autograd::register_hook(t, python_grad_hook(fn));
        return HookHandle{t.impl(), t->grad_fn(), id, false};
      }, py::arg("hook"), "Registers fn(grad) -> Tensor or None, run on this tensor's gradient in backward.")
      .def("register_post_accumulate_grad_hook", [](const Tensor& t, py::function fn) {
        auto hook = [fn = share(std::move(fn))](const Tensor& v) {
          py::gil_scoped_acquire gil;
          (*fn)(v);
        };
        uint64_t id = autograd::register_post_accumulate_grad_hook(t, std::move(hook));
        return HookHandle{t.impl(), {}, id, true};
      }, py::arg("hook"), "Registers fn(tensor), run after backward has updated this leaf's .grad.")
      .def("_backward", [](const Tensor& t, py::object gradient, py::object retain_graph, bool create_graph) {
        tensor_list grads{gradient.is_none() ? Tensor() : gradient.cast<Tensor>()};
        autograd::BackwardOptions opts = options(retain_graph, create_graph);
        without_gil([&] { autograd::backward({t}, grads, opts); });
      }, py::arg("gradient") = py::none(), py::arg("retain_graph") = py::none(), py::arg("create_graph") = false);

  m.def("_run_backward", [](py::object tensors, py::object grads, py::object retain_graph, bool create_graph) {
    tensor_list outs = tensors_of(tensors);
    tensor_list gs = grads.is_none() ? tensor_list(outs.size()) : tensors_of(grads);
    autograd::BackwardOptions opts = options(retain_graph, create_graph);
    without_gil([&] { autograd::backward(outs, gs, opts); });
  });
  m.def("_run_grad", [](py::object outputs, py::object inputs, py::object grad_outputs, py::object retain_graph,
                        bool create_graph, bool allow_unused) {
    tensor_list outs = tensors_of(outputs);
    tensor_list gs = grad_outputs.is_none() ? tensor_list(outs.size()) : tensors_of(grad_outputs);
    tensor_list ins = tensors_of(inputs);
    autograd::BackwardOptions opts = options(retain_graph, create_graph, allow_unused);
    return without_gil([&] { return autograd::grad(outs, gs, ins, opts); });
  });
  m.def("is_grad_enabled", &autograd::GradMode::is_enabled);
  m.def("_set_grad_enabled", &autograd::GradMode::set_enabled);
}

}  // namespace ember::bindings
