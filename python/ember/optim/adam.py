"""Adam (Kingma & Ba), with L2 or decoupled weight decay, AMSGrad and maximize (torch.optim.Adam)."""
from .. import _C
from ..factories import tensor, zeros, zeros_like
from .optimizer import Optimizer


def _check_adam_args(lr, betas, eps, weight_decay):
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class Adam(Optimizer):
    """torch.optim.Adam. foreach is accepted and changes nothing: every group is one multi-tensor
    native call, whose numbers are those of torch's foreach path. capturable=True keeps each step
    count on its parameter's device, so step() can be captured into a CUDA graph (Note [Capturable
    Adam] in kernels/optim_functors.h); as in torch its bias corrections are then computed in the
    count's dtype, so the result differs from capturable=False in the last bits. (torch refuses
    capturable=True for CPU parameters; ember allows it.) fused=True, which published training
    scripts pass on CUDA (nanoGPT), runs the same native call as capturable=True: torch's fused
    kernel also keeps the count as a float32 on the parameter's device and never syncs; the two
    round differently in the last bits (about 1e-6 apart after 50 steps)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        _check_unsupported(type(self).__name__, differentiable)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable, differentiable=differentiable,
                        fused=fused, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)
            group.setdefault("decoupled_weight_decay", False)

    def _init_state(self, p, group):
        # As torch.optim: 'step' is a 0-d tensor of the default dtype, on the CPU or, when
        # capturable, on the parameter's device; the moments have the parameter's shape and dtype.
        state = self.state[p]
        if len(state) == 0:
            state["step"] = zeros((), device=p.device) if self._group_capturable(group) else tensor(0.0)
            state["exp_avg"] = zeros_like(p)
            state["exp_avg_sq"] = zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = zeros_like(p)
        return state

    def _group_capturable(self, group):
        return bool(group.get("capturable", False) or group.get("fused"))

    def _check_capture_state(self, group, params):
        if any(len(self.state[p]) == 0 for p in params):
            raise RuntimeError(f"Attempting CUDA graph capture of {type(self).__name__}.step() before its state "
                               "exists: the first step creates the moments, and a graph would replay their "
                               "creation. Run a step before the capture (warm-up).")

    def _update_group(self, group, params, grads):
        states = [self._init_state(p, group) for p in params]
        beta1, beta2 = group["betas"]
        _C._adam_step(params, grads, [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states],
                      [s.get("max_exp_avg_sq") for s in states], [s["step"] for s in states],
                      group["lr"], beta1, beta2, group["eps"], group["weight_decay"], group["amsgrad"],
                      group["maximize"], group["decoupled_weight_decay"], self._group_capturable(group))


def _check_unsupported(name, differentiable):
    if differentiable:
        raise ValueError(f"{name}: differentiable=True is not supported: ember's optimizer steps run under "
                         "no_grad, as one native call per param group")
