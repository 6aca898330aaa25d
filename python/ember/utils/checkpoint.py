"""Activation checkpointing (torch.utils.checkpoint): run a segment of the network without keeping
its activations, and recompute them during backward. Gradients are identical; memory drops from
every activation of the segment to its inputs and outputs.

Note [How non-reentrant checkpoint works]
While `function` runs, a saved-tensor pack hook is pushed (csrc/autograd/saved_tensor.h, Note
[Saved tensor hooks]): each tensor an op would save for backward is replaced by its index, so the
graph is recorded as usual (edges to parameters included, so autograd.grad works) but holds no
activations. The first time backward unpacks one of them, `function` runs again on detached
copies of the inputs, with the RNG state of the first run, and with a pack hook that collects the
tensors it saves in the same order; the unpack returns the one with the same index (and
forgets it, so memory is given back as backward goes).
use_reentrant=True is the older scheme: an autograd.Function whose backward recomputes and runs a
nested backward (its parameter gradients always go to .grad, so autograd.grad cannot see them).
"""
import contextlib

from .. import _C
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad

__all__ = ["checkpoint", "checkpoint_sequential"]


@contextlib.contextmanager
def _saved_tensors_hooks(pack_hook, unpack_hook):
    """pack_hook(tensor) -> anything is called for every tensor saved for backward inside the
    block; unpack_hook(that) -> tensor gives it back when backward needs it."""
    _C._push_saved_tensors_hooks(pack_hook, unpack_hook)
    try:
        yield
    finally:
        _C._pop_saved_tensors_hooks()


@contextlib.contextmanager
def _rng_state_of(state):
    """Runs the block with the generator at `state` (None: untouched), then puts it back."""
    if state is None:
        yield
        return
    now = _C._get_rng_state()
    _C._set_rng_state(state)
    try:
        yield
    finally:
        _C._set_rng_state(now)


def _detached_inputs(args):
    return [a.detach().requires_grad_(a.requires_grad) if isinstance(a, _C.TensorBase) else a for a in args]


class _Recomputation:
    """The state one checkpointed call shares between its pack and unpack hooks."""

    def __init__(self, function, args, kwargs, rng_state):
        self.function, self.args, self.kwargs, self.rng_state = function, args, kwargs, rng_state
        self.count = 0          # tensors packed by the first run
        self.recomputed = None  # the tensors the second run saved, in the same order

    def pack(self, _tensor):
        index = self.count
        self.count += 1
        return index

    def unpack(self, index):
        # Each recomputed tensor is handed out once and dropped here, so the segment's activations
        # are freed as backward walks through it; a second backward (retain_graph) recomputes again.
        if self.recomputed is None or self.recomputed[index] is None:
            self._recompute()
        tensor, self.recomputed[index] = self.recomputed[index], None
        return tensor

    def _recompute(self):
        collected = []

        def collect(t):
            collected.append(t)

        def refuse(_):
            raise RuntimeError("checkpoint: a tensor saved during recomputation was unpacked")
        with _rng_state_of(self.rng_state), enable_grad(), _saved_tensors_hooks(collect, refuse):
            self.function(*_detached_inputs(self.args), **self.kwargs)
        if len(collected) != self.count:
            raise RuntimeError(
                f"torch.utils.checkpoint: A different number of tensors was saved during the original forward "
                f"and recomputation (recomputed {len(collected)}, original {self.count}). The checkpointed "
                "function must run the same ops both times.")
        self.recomputed = collected


class _ReentrantCheckpoint(Function):
    @staticmethod
    def forward(ctx, function, rng_state, *args):
        ctx.function, ctx.rng_state = function, rng_state
        ctx.non_tensor_args = [None if isinstance(a, _C.TensorBase) else a for a in args]
        ctx.save_for_backward(*[a if isinstance(a, _C.TensorBase) else None for a in args])
        return function(*args)

    @staticmethod
    def backward(ctx, *grads):
        saved = ctx.saved_tensors
        args = [t if t is not None else a for t, a in zip(saved, ctx.non_tensor_args)]
        inputs = _detached_inputs(args)
        with _rng_state_of(ctx.rng_state), enable_grad():
            outputs = ctx.function(*inputs)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, grads)
                 if isinstance(o, _C.TensorBase) and o.requires_grad and g is not None]
        if pairs:
            _C._run_backward([o for o, _ in pairs], [g for _, g in pairs], None, False)
        return (None, None) + tuple(i.grad if isinstance(i, _C.TensorBase) and i.requires_grad else None
                                    for i in inputs)


def checkpoint(function, *args, use_reentrant=False, preserve_rng_state=True, **kwargs):
    """Returns function(*args, **kwargs), keeping none of its activations for backward; they are
    recomputed (with the same random numbers when preserve_rng_state) when backward needs them."""
    rng_state = _C._get_rng_state() if preserve_rng_state else None
    if use_reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        return _ReentrantCheckpoint.apply(function, rng_state, *args)
    if not _C.is_grad_enabled():
        return function(*args, **kwargs)
    frame = _Recomputation(function, args, kwargs, rng_state)
    with _saved_tensors_hooks(frame.pack, frame.unpack):
        return function(*args, **kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=False, preserve_rng_state=True):
    """Runs the modules/functions in `functions` one after another, checkpointing `segments` groups
    of them (the last group runs normally, as in PyTorch, since backward needs it at once)."""
    functions = list(functions.children()) if hasattr(functions, "children") else list(functions)
    size = max(1, len(functions) // segments)

    def run(start, end):
        def segment(x):
            for f in functions[start:end]:
                x = f(x)
            return x
        return segment

    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end + 1), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve_rng_state)
    return run(end + 1, len(functions))(input)
