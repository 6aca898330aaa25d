"""Optimizer: param groups, per-parameter state and state dicts, as in torch.optim.

Subclasses gather each group's tensors into lists and make one native call per group per step
(ember._C._sgd_step, _adam_step, ...); nothing here does arithmetic on parameters."""
import warnings
from collections import defaultdict
from copy import deepcopy
from itertools import chain

from .. import _C
from .._C import dtype
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor


class _RequiredParameter:
    """Marks a default that every param group must give (as torch.optim.optimizer.required)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj):
    if isinstance(obj, Tensor):
        return "ember.Tensor"
    t = type(obj)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


class Optimizer:
    """Base class: holds `param_groups` (dicts with 'params' and hyperparameters), `defaults`,
    and `state` (a dict keyed by parameter tensor)."""

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + _typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __repr__(self):
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {group[k]}" for k in sorted(group) if k != "params")
        lines.append(")")
        return "\n".join(lines)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def add_param_group(self, param_group):
        """Adds a group of parameters (a dict with 'params' and optional per-group options)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)
        for p in param_group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(p))
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        params = param_group["params"]
        if len(params) != len(set(params)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error", stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(group["params"])
        if not seen.isdisjoint(params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        """Drops every parameter's .grad (set_to_none=True) or zeroes it in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    g = p.grad
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g.zero_()

    def state_dict(self):
        """{'state': {index: {name: value}}, 'param_groups': [{..., 'params': [index, ...]}]},
        with parameters replaced by their position across all groups, as in PyTorch. The state's
        tensors are the optimizer's own (not copies), as in PyTorch."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restores state and hyperparameters saved by state_dict() (from an optimizer built over
        parameters of the same shapes, in the same order). State tensors are copied, cast to their
        parameter's dtype (except 'step'), so the loaded dict stays untouched by later steps."""
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        # A capturable group's step counts live on the device (Note [Capturable Adam]).
        on_device = {k for s in saved_groups if s.get("capturable") or s.get("fused") for k in s["params"]}
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = {name: _cast_state(param, name, value, k in on_device) for name, value in v.items()}
            else:
                state[k] = v
        self.state = state
        self.param_groups = [dict(s, params=g["params"]) for g, s in zip(groups, saved_groups)]

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure() if given."""
        loss = None
        if closure is not None:
            from ..autograd.grad_mode import enable_grad
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                params = [p for p in group["params"] if p.grad is not None]  # others are skipped
                if params:
                    self._check_capture(group, params)
                    self._update_group(group, params, [p.grad for p in params])
        return loss

    def _group_capturable(self, group):
        """Whether step() may be captured into a CUDA graph for this group (Note [Capturing a
        step]): not when it reads a step count the host keeps, which a graph would freeze at its
        value at capture. SGD always may; Adam and AdamW when made with capturable=True."""
        return False

    def _capturable(self):
        return all(self._group_capturable(g) for g in self.param_groups)

    def _check_capture(self, group, params):
        p = params[0]
        if p.is_cuda and _C._cuda_is_capturing(p.device.index):
            if not self._group_capturable(group):
                hint = ("make it with capturable=True" if "capturable" in group else
                        "run step() outside the graph (ember.cuda.capture_training_step does)")
                raise RuntimeError(
                    f"Attempting CUDA graph capture of step() for an instance of {type(self).__name__} but "
                    f"param_groups' capturable is False: it keeps its step count on the host, and a graph would "
                    f"replay the count of the capture. To capture it, {hint}.")
            self._check_capture_state(group, params)

    def _check_capture_state(self, group, params):
        """Raises when state that step() would create is missing: made during a capture, a replay
        would make it anew each time."""

    def _update_group(self, group, params, grads):
        """Updates `params` of one group in one native call (each optimizer says how)."""
        raise NotImplementedError


def _cast_state(param, name, value, step_on_device):
    """As torch.optim: 'step' stays where it is (a CPU counter, Note [One device per param group]
    in ops/optim.cpp) unless its group is capturable, when it becomes a float32 on the parameter's
    device; other state tensors move to their parameter's device (and dtype)."""
    if not isinstance(value, Tensor):
        return deepcopy(value)
    with no_grad():
        if name == "step":
            if step_on_device:
                return value.detach().to(param.device)._to_dtype(dtype.float32).clone()
            return value.detach().clone()
        value = value.detach().to(param.device)
        if not param.is_floating_point() or not value.is_floating_point():
            return value.clone()
        return value._to_dtype(param.dtype).contiguous().clone()
