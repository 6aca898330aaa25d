"""RMSprop (Hinton), plain or centered, with momentum, weight decay and maximize (torch.optim.RMSprop)."""
from .. import _C
from ..factories import tensor, zeros_like
from .optimizer import Optimizer


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, *,
                 maximize=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)
            group.setdefault("maximize", False)

    def _init_state(self, p, group):
        state = self.state[p]
        if len(state) == 0:
            state["step"] = tensor(0.0)
            state["square_avg"] = zeros_like(p)
            if group["momentum"] > 0:
                state["momentum_buffer"] = zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = zeros_like(p)
        return state

    def _update_group(self, group, params, grads):
        states = [self._init_state(p, group) for p in params]
        _C._rmsprop_step(params, grads, [s["square_avg"] for s in states],
                         [s.get("grad_avg") for s in states], [s.get("momentum_buffer") for s in states],
                         [s["step"] for s in states], group["lr"], group["alpha"], group["eps"],
                         group["weight_decay"], group["momentum"], group["centered"], group["maximize"])
