// Note [Python-backed nodes]
// Function.apply(*args) runs the user's forward with grad mode off, then (when grad mode is on and
// an input requires grad) makes a PyNode: a native Node whose edges point at the inputs' grad_fns
// and which holds the Python class and the ctx. The engine calls PyNode::apply like any node; it
// takes the GIL, calls cls.backward(ctx, *grads) and checks what came back. An exception raised
// in backward leaves apply as py::error_already_set and reaches the caller of backward() as the
// original Python exception. Tensors given to ctx.save_for_backward are kept as native
// SavedTensors in the ctx (version-checked, freed after backward, outputs saved without a cycle).
// An output stored as a plain ctx attribute (ctx.y = y) does make a cycle (y -> node -> ctx -> y)
// that Python's GC cannot see through the native node: use save_for_backward for tensors.
#include "bindings/python_function.h"

#include "autograd/anomaly.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/saved_tensor.h"
#include "autograd/inplace.h"
#include "ops/ops.h"

namespace ember::bindings {

namespace {

// The `ctx` given to forward and backward. Python attributes set on it (ctx.scale = 2) live in
// its __dict__ (py::dynamic_attr).
struct FunctionCtx {
  tensor_list to_save;                        // save_for_backward's arguments, until the node exists
  std::vector<autograd::SavedTensor> saved;   // ... then saved natively
  std::weak_ptr<autograd::Node> node;
  bool has_node = false;
  bool materialize_grads = true;
  std::vector<std::shared_ptr<TensorImpl>> non_differentiable, dirty;
};

bool contains(const std::vector<std::shared_ptr<TensorImpl>>& v, const Tensor& t) {
  for (const auto& p : v)
    if (p == t.impl()) return true;
  return false;
}

std::string type_name(py::handle h) { return py::str(py::type::of(h).attr("__name__")); }

py::object call(py::handle fn, const py::tuple& args, py::handle kwargs = py::handle()) {
  PyObject* r = PyObject_Call(fn.ptr(), args.ptr(), kwargs.ptr());
  if (!r) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(r);
}

class PyNode : public autograd::Node {
 public:
  PyNode(py::object cls, py::object ctx_obj, std::string name)
      : cls_(std::move(cls)), ctx_obj_(std::move(ctx_obj)), ctx_(ctx_obj_.cast<FunctionCtx*>()),
        name_(std::move(name)) {}

  ~PyNode() override {
    if (!Py_IsInitialized()) {  // at interpreter exit: leak rather than touch a dead interpreter
      cls_.release();
      ctx_obj_.release();
      return;
    }
    py::gil_scoped_acquire gil;
    for (autograd::SavedTensor& s : ctx_->saved) s.release_history();
    cls_ = py::object();
    ctx_obj_ = py::object();
  }

  std::string name() const override { return name_; }

  void release_variables() override {
    py::gil_scoped_acquire gil;
    for (autograd::SavedTensor& s : ctx_->saved) s.release();
  }

  tensor_list apply(tensor_list&& grads) override {
    py::gil_scoped_acquire gil;
    py::tuple args(output_slot.size() + 1);
    args[0] = ctx_obj_;
    for (size_t i = 0; i < output_slot.size(); ++i) {
      int slot = output_slot[i];
      Tensor g = slot < 0 ? Tensor() : grads[slot];
      if (slot >= 0 && !g.defined() && ctx_->materialize_grads) {
        const autograd::OutputMeta& m = outputs_meta_[slot];
        g = zeros(m.sizes, m.dtype, m.device);
      }
      args[i + 1] = py::cast(g);
    }
    py::object result = call(cls_.attr("backward"), args);
    py::tuple items = py::isinstance<py::tuple>(result) ? py::reinterpret_borrow<py::tuple>(result)
                                                        : py::make_tuple(result);
    size_t n_in = next_edges_.size();
    bool count_ok = items.size() >= n_in;
    for (size_t i = n_in; count_ok && i < items.size(); ++i) count_ok = items[i].is_none();
    EMBER_CHECK(count_ok, Runtime, "function ", name_, " returned an incorrect number of gradients (expected ",
                n_in, ", got ", items.size(), ")");
    tensor_list out(n_in);
    for (size_t i = 0; i < n_in; ++i) {
      py::handle item = items[i];
      if (item.is_none()) continue;
      EMBER_CHECK(input_is_tensor[i], Runtime, "function ", name_, " returned a gradient different than None at "
                  "position ", i + 1, ", but the corresponding forward input was not a Variable");
      auto t = as_tensor(item);
      EMBER_CHECK(t.has_value(), Type, "function ", name_, " returned a ", type_name(item), " as the gradient at "
                  "position ", i + 1, "; expected a Tensor or None");
      if (next_edges_[i].valid()) out[i] = *t;  // inputs that need no gradient drop it
    }
    return out;
  }

  std::vector<int> output_slot;      // per forward output: its node output slot, -1 for a non-tensor
  std::vector<bool> input_is_tensor; // per forward argument

 private:
  py::object cls_, ctx_obj_;
  FunctionCtx* ctx_;  // owned by ctx_obj_
  std::string name_;
};

// How each tensor output of forward is given its history (as PyTorch's _wrap_outputs).
Tensor wrap_output(const Tensor& o, bool is_input, bool differentiable, bool dirty,
                   const std::shared_ptr<PyNode>& node, uint32_t slot) {
  if (!differentiable) {
    if (!o.requires_grad()) return o;
    if (is_input) return detach(o);  // a detached alias, not a change to the input itself
    o->set_history(nullptr, 0);
    return o;
  }
  if (dirty) {  // modified in place by forward (ctx.mark_dirty): the tensor itself is rebased
    check_inplace("mark_dirty", o, false);
    o->set_history(node, slot);
    return o;
  }
  // Note [An input returned as an output]: an alias of the same memory (sharing its version
  // counter) takes the new history, so the input keeps its own; PyTorch returns a view here.
  Tensor out = is_input || o.requires_grad() ? detach(o) : o;
  out->set_history(node, slot);
  return out;
}

// `setup_context`: the class uses PyTorch 2's split form, forward(*args) without ctx followed by
// setup_context(ctx, inputs, output).
py::object function_apply(py::object cls, py::tuple args, py::dict kwargs, bool setup_context) {
  auto ctx = std::make_shared<FunctionCtx>();
  py::object ctx_obj = py::cast(ctx);
  tensor_list inputs(args.size());
  std::vector<bool> is_tensor(args.size());
  py::tuple needs(args.size());
  bool executable = false;
  bool grad_on = autograd::GradMode::is_enabled();
  for (size_t i = 0; i < args.size(); ++i) {
    if (auto t = as_tensor(args[i])) {
      inputs[i] = *t;
      is_tensor[i] = true;
    }
    bool need = grad_on && inputs[i].requires_grad();
    needs[i] = py::bool_(need);
    executable = executable || need;
  }
  ctx_obj.attr("needs_input_grad") = needs;

  size_t lead = setup_context ? 0 : 1;
  py::tuple fwd_args(args.size() + lead);
  if (!setup_context) fwd_args[0] = ctx_obj;
  for (size_t i = 0; i < args.size(); ++i) fwd_args[i + lead] = args[i];
  py::object result;
  {
    autograd::AutoGradMode no_grad(false);
    result = call(cls.attr("forward"), fwd_args, kwargs);
    if (setup_context) call(cls.attr("setup_context"), py::make_tuple(ctx_obj, args, result));
  }
  if (!executable) return result;

  auto node = std::make_shared<PyNode>(cls, ctx_obj, std::string(py::str(cls.attr("__name__"))) + "Backward");
  if (autograd::AnomalyMode::is_enabled()) autograd::record_anomaly_trace(*node);
  node->input_is_tensor = is_tensor;
  for (const Tensor& in : inputs) node->next_edges().push_back(in.defined() ? autograd::gradient_edge(in) : autograd::Edge{});

  bool is_tuple = py::isinstance<py::tuple>(result);
  py::tuple items = is_tuple ? py::reinterpret_borrow<py::tuple>(result) : py::make_tuple(result);
  py::tuple wrapped(items.size());
  tensor_list outputs;
  for (size_t i = 0; i < items.size(); ++i) {
    auto t = as_tensor(items[i]);
    if (!t) {  // non-tensor outputs pass through and get None as their gradient
      node->output_slot.push_back(-1);
      wrapped[i] = items[i];
      continue;
    }
    uint32_t slot = static_cast<uint32_t>(node->outputs_meta().size());
    node->output_slot.push_back(static_cast<int>(slot));
    node->outputs_meta().push_back({t->sizes(), t->dtype(), t->device()});
    bool is_input = false;
    for (const Tensor& in : inputs) is_input = is_input || (in.defined() && in.is_same(*t));
    bool differentiable = is_floating(t->dtype()) && !contains(ctx->non_differentiable, *t);
    Tensor out = wrap_output(*t, is_input, differentiable, contains(ctx->dirty, *t), node, slot);
    outputs.push_back(out);
    wrapped[i] = py::cast(out);
  }
  // After the outputs have their history, so that saved outputs are recognised (see autograd/saved_tensor.h).
  for (const Tensor& s : ctx->to_save) {
    bool is_output = false;
    for (const Tensor& o : outputs) is_output = is_output || (s.defined() && o.is_same(s));
    if (s.defined()) ctx->saved.emplace_back(s, is_output);
    else ctx->saved.emplace_back();
  }
  ctx->to_save.clear();
  ctx->node = node;
  ctx->has_node = true;
  return is_tuple ? py::object(wrapped) : py::object(wrapped[0]);
}

std::vector<std::shared_ptr<TensorImpl>> impls_of(const char* what, const py::args& args) {
  std::vector<std::shared_ptr<TensorImpl>> out;
  for (size_t i = 0; i < args.size(); ++i) {
    auto t = as_tensor(args[i]);
    if (!t) throw py::type_error(std::string(what) + " only accepts Tensors, but argument " + std::to_string(i) +
                                 " is of type " + type_name(args[i]));
    out.push_back(t->impl());
  }
  return out;
}

}  // namespace

void init_python_function(py::module_& m) {
  py::class_<FunctionCtx, std::shared_ptr<FunctionCtx>>(m, "FunctionCtx", py::dynamic_attr())
      .def(py::init<>())
      .def("save_for_backward", [](FunctionCtx& c, py::args args) {
        c.to_save.clear();
        for (size_t i = 0; i < args.size(); ++i) {
          if (args[i].is_none()) {
            c.to_save.emplace_back();
            continue;
          }
          auto t = as_tensor(args[i]);
          if (!t) throw py::type_error("save_for_backward can only save variables, but argument " +
                                       std::to_string(i) + " is of type " + type_name(args[i]));
          c.to_save.push_back(*t);
        }
      })
      .def_property_readonly("saved_tensors", [](FunctionCtx& c) {
        if (!c.has_node) return py::tuple(py::cast(c.to_save));
        auto node = c.node.lock();
        EMBER_CHECK(node, Runtime, "Trying to backward through the graph a second time (or directly access saved "
                    "tensors after they have already been freed).");
        py::tuple out(c.saved.size());
        for (size_t i = 0; i < c.saved.size(); ++i) out[i] = py::cast(c.saved[i].unpack(node));
        return out;
      })
      .def("mark_non_differentiable", [](FunctionCtx& c, py::args args) {
        auto v = impls_of("mark_non_differentiable", args);
        c.non_differentiable.insert(c.non_differentiable.end(), v.begin(), v.end());
      })
      .def("mark_dirty", [](FunctionCtx& c, py::args args) {
        auto v = impls_of("mark_dirty", args);
        c.dirty.insert(c.dirty.end(), v.begin(), v.end());
      })
      .def("set_materialize_grads", [](FunctionCtx& c, bool value) { c.materialize_grads = value; });
  m.def("_function_apply", &function_apply, py::arg("cls"), py::arg("args"), py::arg("kwargs"),
        py::arg("setup_context") = false);
  init_autograd_extras(m);
}

}  // namespace ember::bindings
