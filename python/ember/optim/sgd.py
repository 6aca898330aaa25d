"""SGD with momentum, dampening, Nesterov momentum, weight decay and maximize (torch.optim.SGD)."""
from .. import _C
from .optimizer import Optimizer


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)

    def _group_capturable(self, group):
        return True  # lr, momentum and the rest are the same every step

    def _check_capture_state(self, group, params):
        if group["momentum"] != 0 and any("momentum_buffer" not in self.state[p] for p in params):
            raise RuntimeError("Attempting CUDA graph capture of SGD.step() before its momentum buffers exist: "
                               "their first step sets them, every later step updates them, and a graph would "
                               "replay the first. Run a step before the capture (warm-up).")

    def _update_group(self, group, params, grads):
        momentum = group["momentum"]
        # A momentum buffer is created natively on a parameter's first step (it starts as
        # that step's gradient), so the list holds None for parameters that have none yet.
        bufs = [self.state[p].get("momentum_buffer") for p in params] if momentum != 0 else [None] * len(params)
        bufs = _C._sgd_step(params, grads, bufs, group["lr"], momentum, group["dampening"],
                            group["nesterov"], group["weight_decay"], group["maximize"])
        if momentum != 0:
            for p, buf in zip(params, bufs):
                self.state[p]["momentum_buffer"] = buf
