"""CUDA graphs, as torch.cuda has them: CUDAGraph, the graph(...) context, make_graphed_callables;
and capture_training_step, one call that captures a model's forward, loss, backward and optimizer
step and gives back a function that replays them (Note [Capturing a step], core/cuda/graph.cpp).

    g = ember.cuda.CUDAGraph()
    with ember.cuda.graph(g):
        static_out = model(static_in)      # recorded, not run
    static_in.copy_(batch)
    g.replay()                              # all of it, one launch; static_out holds the result

A replay reads and writes the memory the capture did: feed it by copying into the tensors the
capture read, and read what it wrote. Nothing may wait for the device inside the region (.item(),
.cpu(), printing): ember raises. Python numbers and host state are frozen into the graph."""
from . import _C
from .autograd.function import Function


def _device_index():
    return int(_C._cuda_current_device())


class CUDAGraph:
    """One captured graph (torch.cuda.CUDAGraph): capture_begin/capture_end around the work, or the
    graph(...) context; replay() queues it all on the device's stream with one launch."""

    def __init__(self):
        self._exec = None
        self._pool = 0
        self._device = None

    def capture_begin(self, pool=None, capture_error_mode="global"):
        if capture_error_mode not in ("global", "thread_local", "relaxed"):
            raise ValueError(f"capture_error_mode must be 'global', 'thread_local' or 'relaxed', got {capture_error_mode!r}")
        if self._exec is not None:
            raise RuntimeError("CUDAGraph.capture_begin: this graph holds a capture already; call reset() first")
        self._device = _device_index()
        self._pool = _C._cuda_capture_begin(self._device, int(pool or 0))

    def capture_end(self):
        if self._device is None:
            raise RuntimeError("CUDAGraph.capture_end: capture_begin was not called")
        self._exec = _C._cuda_capture_end(self._device, self._pool)

    def replay(self):
        if self._exec is None:
            raise RuntimeError("CUDAGraph.replay: nothing has been captured (use capture_begin/capture_end "
                               "or ember.cuda.graph)")
        self._exec.replay()

    def reset(self):
        """Drops the captured graph; its memory pool returns to the allocator once no graph holds it."""
        self._exec = None

    def pool(self):
        """The graph's memory pool, to share with another capture: capture_begin(pool=g.pool())."""
        return self._pool


class graph:
    """Context manager that captures the work of its body into `cuda_graph` (torch.cuda.graph).
    ember queues all work on one stream per device, so `stream` must be None."""

    def __init__(self, cuda_graph, pool=None, stream=None, capture_error_mode="global"):
        if stream is not None:
            raise ValueError("ember.cuda.graph: ember captures on its own stream of the current device; "
                             "pass stream=None")
        self.cuda_graph = cuda_graph
        self.pool = pool
        self.capture_error_mode = capture_error_mode

    def __enter__(self):
        self.cuda_graph.capture_begin(pool=self.pool, capture_error_mode=self.capture_error_mode)
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.cuda_graph.capture_end()
            return False
        try:  # the body failed: end the capture so the stream works again, and raise the body's error
            self.cuda_graph.capture_end()
        except RuntimeError:
            pass
        self.cuda_graph.reset()
        return False


def _flat_tensors(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def make_graphed_callables(callables, sample_args, num_warmup_iters=3, allow_unused_input=False, pool=None):
    """Graphed versions of callables (modules or functions; torch.cuda.make_graphed_callables): each
    forward and its backward are captured once, on sample_args, and replayed on every call. A module
    comes back with its forward replaced; its parameters get their gradients as before. The inputs
    must have the sample's shapes, dtypes and requires_grad."""
    from . import autograd, nn
    single = not isinstance(callables, tuple)
    if single:
        callables, sample_args = (callables,), (sample_args,)
    results = []
    for fn, args in zip(callables, sample_args):
        args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
        params = tuple(fn.parameters()) if isinstance(fn, nn.Module) else ()
        diff_inputs = [a for a in args if a.requires_grad] + [p for p in params if p.requires_grad]
        for _ in range(num_warmup_iters):  # lazily made state (buffers, workspaces) exists before capture
            outs = [o for o in _flat_tensors(fn(*args)) if o.requires_grad]
            autograd.grad(outs, diff_inputs, grad_outputs=[o.new_ones(o.shape) for o in outs],
                          allow_unused=allow_unused_input)
        fwd = CUDAGraph()
        with graph(fwd, pool=pool):
            static_outputs = tuple(_flat_tensors(fn(*args)))
        static_grad_outputs = tuple(o.new_zeros(o.shape) if o.requires_grad else None for o in static_outputs)
        bwd = CUDAGraph()
        with graph(bwd, pool=fwd.pool()):
            grads = autograd.grad([o for o in static_outputs if o.requires_grad], diff_inputs,
                                  grad_outputs=[g for g in static_grad_outputs if g is not None],
                                  allow_unused=allow_unused_input)
        static_grads = dict(zip(map(id, diff_inputs), grads))
        results.append(_graphed(fn, args, params, static_outputs, static_grad_outputs, static_grads, fwd, bwd))
    return results[0] if single else tuple(results)


def _graphed(fn, static_args, params, static_outputs, static_grad_outputs, static_grads, fwd, bwd):
    """The callable that replays fwd and, from autograd's backward, bwd."""
    from . import nn
    n_args = len(static_args)

    class Graphed(Function):
        @staticmethod
        def forward(ctx, *inputs):
            for static, new in zip(static_args, inputs[:n_args]):
                if static.data_ptr() != new.data_ptr():
                    static.copy_(new)
            fwd.replay()
            return tuple(o.detach() for o in static_outputs)

        @staticmethod
        def backward(ctx, *grad_outputs):
            for static, g in zip(static_grad_outputs, grad_outputs):
                if static is not None and g is not None:
                    static.copy_(g)
                elif static is not None:
                    static.zero_()
            bwd.replay()
            # Copies: the next replay overwrites the static gradients, and autograd keeps what it gets.
            everything = list(static_args) + list(params)
            return tuple(static_grads[id(t)].clone() if static_grads.get(id(t)) is not None else None
                         for t in everything)

    def run(*inputs):
        out = Graphed.apply(*inputs, *params)
        return out[0] if len(static_outputs) == 1 else out

    if isinstance(fn, nn.Module):
        fn.forward = run
        return fn
    return run


def capture_training_step(model, loss_fn, optimizer, sample_input, sample_target, warmup_steps=3):
    """Captures one whole training step (forward, loss, backward, optimizer step) into a CUDA graph
    and returns step(input, target), which copies the batch into the captured inputs (step.inputs;
    fill them yourself and call step() to skip that), replays the graph and returns the loss tensor
    (on the device; the same tensor every call, overwritten by the next). The warm-up steps are real steps on the sample batch, run before the capture so that the
    optimizer's state exists. An optimizer that counts its steps on the host (Adam and AdamW unless
    made with capturable=True, Adagrad, RMSprop) cannot be captured: its step() then runs after each
    replay, outside the graph.
    Gradients are left in place between steps (the graph writes them, it does not add to them)."""
    static_input, static_target = sample_input.clone(), sample_target.clone()
    for _ in range(warmup_steps):
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(static_input), static_target).backward()
        optimizer.step()
    optimizer.zero_grad(set_to_none=True)  # the captured backward then writes each gradient afresh
    in_graph = optimizer._capturable()
    g = CUDAGraph()
    with graph(g):
        static_loss = loss_fn(model(static_input), static_target)
        static_loss.backward()
        if in_graph:
            optimizer.step()

    def step(input=None, target=None):
        for static, new in ((static_input, input), (static_target, target)):
            if new is not None and not (new.is_cuda and new.data_ptr() == static.data_ptr()):
                static.copy_(new)
        g.replay()
        if not in_graph:
            optimizer.step()
        return static_loss

    step.graph = g
    step.inputs = (static_input, static_target)  # fill these (copy_) and call step() to skip the copies
    return step
