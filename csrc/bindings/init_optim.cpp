// The optimizers' native steps. ember/optim/*.py gathers each param group's tensors and state
// into lists and makes one of these calls per group per step. None in a state list means "not
// used" (see ops.h), which is why the lists arrive as optional tensors. Every step lets the GIL
// go (Note [Releasing the GIL], gil.h).
#include "bindings/bindings.h"
#include "bindings/gil.h"
#include "ops/ops.h"

namespace ember::bindings {

namespace {
using OptionalList = std::vector<std::optional<Tensor>>;

tensor_list defined_or_empty(const OptionalList& xs) {
  tensor_list out;
  out.reserve(xs.size());
  for (const auto& x : xs) out.push_back(x ? *x : Tensor());
  return out;
}
}  // namespace

void init_optim(py::module_& m, PyTensor& cls) {
  m.def("_sgd_step", [](const tensor_list& params, const tensor_list& grads, const OptionalList& momentum_bufs,
                        double lr, double momentum, double dampening, bool nesterov, double weight_decay,
                        bool maximize) {
    return sgd_step(params, grads, defined_or_empty(momentum_bufs), lr, momentum, dampening, nesterov,
                    weight_decay, maximize);
  }, py::arg("params"), py::arg("grads"), py::arg("momentum_buffers"), py::arg("lr"), py::arg("momentum"),
     py::arg("dampening"), py::arg("nesterov"), py::arg("weight_decay"), py::arg("maximize"), NoGil());
  m.def("_adam_step", [](const tensor_list& params, const tensor_list& grads, const tensor_list& exp_avgs,
                         const tensor_list& exp_avg_sqs, const OptionalList& max_exp_avg_sqs, const tensor_list& steps,
                         double lr, double beta1, double beta2, double eps, double weight_decay, bool amsgrad,
                         bool maximize, bool decoupled_weight_decay, bool capturable) {
    adam_step(params, grads, exp_avgs, exp_avg_sqs, defined_or_empty(max_exp_avg_sqs), steps, lr, beta1, beta2, eps,
              weight_decay, amsgrad, maximize, decoupled_weight_decay, capturable);
  }, py::arg("params"), py::arg("grads"), py::arg("exp_avgs"), py::arg("exp_avg_sqs"), py::arg("max_exp_avg_sqs"),
     py::arg("state_steps"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"),
     py::arg("weight_decay"), py::arg("amsgrad"), py::arg("maximize"), py::arg("decoupled_weight_decay"),
     py::arg("capturable") = false, NoGil());
  m.def("_rmsprop_step", [](const tensor_list& params, const tensor_list& grads, const tensor_list& square_avgs,
                            const OptionalList& grad_avgs, const OptionalList& momentum_bufs, const tensor_list& steps,
                            double lr, double alpha, double eps, double weight_decay, double momentum, bool centered,
                            bool maximize) {
    rmsprop_step(params, grads, square_avgs, defined_or_empty(grad_avgs), defined_or_empty(momentum_bufs), steps, lr,
                 alpha, eps, weight_decay, momentum, centered, maximize);
  }, py::arg("params"), py::arg("grads"), py::arg("square_avgs"), py::arg("grad_avgs"), py::arg("momentum_buffers"),
     py::arg("state_steps"), py::arg("lr"), py::arg("alpha"), py::arg("eps"), py::arg("weight_decay"),
     py::arg("momentum"), py::arg("centered"), py::arg("maximize"), NoGil());
  m.def("_adagrad_step", &adagrad_step, py::arg("params"), py::arg("grads"), py::arg("state_sums"),
        py::arg("state_steps"), py::arg("lr"), py::arg("lr_decay"), py::arg("weight_decay"), py::arg("eps"),
        py::arg("maximize"), NoGil());
  m.def("_grad_norm", &grad_norm, py::arg("grads"), py::arg("norm_type"), NoGil());
  m.def("_scale_grads_", &scale_grads_, py::arg("grads"), py::arg("scale"), NoGil());
}

}  // namespace ember::bindings
