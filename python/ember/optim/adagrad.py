"""Adagrad (Duchi et al.), with lr decay, weight decay, an initial accumulator and maximize
(torch.optim.Adagrad). The update runs as one native multi-tensor call per param group."""
from .. import _C
from ..factories import full_like, tensor
from .optimizer import Optimizer


class Adagrad(Optimizer):
    """As torch.optim.Adagrad, whose state is made eagerly: every parameter of the groups given
    here has 'step' (a 0-d CPU tensor of the default dtype) and 'sum' (filled with initial_accumulator_value)
    before the first step; groups added later get theirs on their first step."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if differentiable:
            raise NotImplementedError("[Adagrad] the `differentiable` argument is not supported by ember yet")
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        # foreach and fused only choose among PyTorch's implementations; ember always runs its
        # native multi-tensor kernel, so they are kept in the groups (as torch's state_dict has them).
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)

    def _init_state(self, p):
        # As torch: the accumulator's start comes from the optimizer's defaults, not the group's.
        state = self.state[p]
        if len(state) == 0:
            state["step"] = tensor(0.0)
            state["sum"] = full_like(p, self.defaults["initial_accumulator_value"])
        return state

    def share_memory(self):
        """torch moves the sums to shared memory for multiprocessing; ember tensors already live
        in plain process memory, so there is nothing to do."""

    def _update_group(self, group, params, grads):
        states = [self._init_state(p) for p in params]
        _C._adagrad_step(params, grads, [s["sum"] for s in states], [s["step"] for s in states], group["lr"],
                         group["lr_decay"], group["weight_decay"], group["eps"], group["maximize"])
