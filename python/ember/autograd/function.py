"""ember.autograd.Function: user-defined ops with a hand-written backward, as in PyTorch.

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            y, = ctx.saved_tensors
            return grad * y

    y = Exp.apply(x)

forward runs with grad mode off; its tensor outputs get a native node (csrc/bindings/
python_function.cpp) that the engine runs like any other, calling backward with the GIL held.
"""
import functools

from .. import _C
from .grad_mode import no_grad

FunctionCtx = _C.FunctionCtx


class Function:
    """Subclass with static forward(ctx, *args, **kwargs) and backward(ctx, *grad_outputs);
    call with Function.apply(*args). backward returns one gradient (or None) per forward argument."""

    def __init__(self, *args, **kwargs):
        raise RuntimeError("ember.autograd.Function is not instantiated: call "
                           f"{type(self).__name__}.apply(...) instead")

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def setup_context(ctx, inputs, output):
        """Override to use PyTorch 2's split form: forward(*args) takes no ctx, and
        setup_context(ctx, inputs, output) saves what backward needs."""
        raise NotImplementedError("setup_context is not overridden")

    @classmethod
    def apply(cls, *args, **kwargs):
        split = cls.setup_context is not Function.setup_context
        return _C._function_apply(cls, args, kwargs, split)


class _OnceDifferentiableError(Function):
    """Gives the results of a once_differentiable backward a node that refuses to differentiate."""

    @staticmethod
    def forward(ctx, *grads):
        ctx.mark_non_differentiable(*[g for g in grads if isinstance(g, _C.TensorBase) and not g.is_floating_point()])
        return grads

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")


def once_differentiable(backward):
    """Marks a backward as not differentiable itself: it runs with grad mode off, and a second
    derivative through it raises instead of silently being zero."""

    @functools.wraps(backward)
    def wrapper(ctx, *grad_outputs):
        with no_grad():
            grads = backward(ctx, *grad_outputs)
        if not _C.is_grad_enabled():
            return grads
        if not any(isinstance(g, _C.TensorBase) and g.requires_grad for g in grad_outputs):
            return grads
        single = not isinstance(grads, tuple)
        items = (grads,) if single else grads
        tensors = [g for g in items if isinstance(g, _C.TensorBase)]
        # The error node takes the incoming gradients as inputs so create_graph reaches it.
        wrapped = _OnceDifferentiableError.apply(*tensors, *[g for g in grad_outputs
                                                           if isinstance(g, _C.TensorBase) and g.requires_grad])
        wrapped = iter(wrapped[:len(tensors)])
        out = tuple(next(wrapped) if isinstance(g, _C.TensorBase) else g for g in items)
        return out[0] if single else out
    return wrapper
