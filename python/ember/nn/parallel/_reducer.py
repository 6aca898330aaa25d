"""The gradient reducer behind DistributedDataParallel: gradient buckets, all-reduced while
backward is still running, then averaged and written back into each parameter's .grad.

Note [Gradient buckets]: parameters are grouped, in reverse registration order (roughly the order
backward produces their gradients), into buckets of one dtype and at most bucket_cap bytes (the
first one smaller, 1 MiB as torch's, so communication starts early). Each bucket owns one flat
buffer. When a parameter's gradient has been accumulated (its post-accumulate-grad hook), the
gradient is copied into its slice of the buffer; when a bucket's last slice is filled, the bucket
is all-reduced asynchronously (one Iallreduce over the flat buffer), so the exchange of late layers'
gradients overlaps with computing the early layers' ones. MPI matches collectives by order alone,
so buckets are launched strictly in bucket order on every rank, whatever order their gradients
came in (a ready bucket waits for the ones before it). Every hook also tests the buckets in flight,
which is what makes MPI progress them in the meantime (MPICH has no progress thread by default).

Copies, not views: the buffer is separate from .grad, and each step copies gradients in and the
averaged result back out (torch's default, gradient_as_bucket_view=False). Views would save the
two copies, but ember's engine adopts a fresh buffer as .grad when .grad is None (the usual case
after zero_grad(set_to_none=True)), so a view installed once would be replaced on the next step;
the copies are two memcpy of the parameters' size per step, small next to the step's matmuls.

Note [The end of backward]: ember's engine has no queue_callback, but none is needed: a bucket
is complete when its parameters' hooks have fired, so the hook that completes the last bucket is
the end of this model's part of backward. That hook waits for all buckets, divides by the world
size and copies the averages back into .grad, before backward() returns. A parameter that gets no
gradient leaves its bucket incomplete; with find_unused_parameters=True the forward pass walks the
output's autograd graph and marks the parameters it cannot reach ready at once (their slices hold
their current .grad, or zeros), else the next forward raises torch's "Expected to have finished
reduction" error naming them. With find_unused_parameters a per-parameter "used" mask is summed
over the ranks too: a parameter no rank used keeps its .grad untouched, as in torch."""
import weakref

from ... import _C
from ... import distributed as dist
from ...autograd.grad_mode import no_grad
from ...factories import tensor, zeros

_FIRST_BUCKET_BYTES = 1024 * 1024


class _Bucket:
    def __init__(self, dtype):
        self.dtype = dtype
        self.indices, self.offsets, self.numels = [], [], []
        self.numel = 0
        self.flat = None
        self.pending = 0
        self.work = None

    def add(self, index, param):
        self.indices.append(index)
        self.offsets.append(self.numel)
        self.numels.append(param.numel())
        self.numel += param.numel()


def assign_buckets(params, cap_bytes, first_cap_bytes=_FIRST_BUCKET_BYTES):
    """Buckets over `params` (a list) in reverse order, one dtype each (Note [Gradient buckets])."""
    buckets, open_by_dtype = [], {}
    for index in reversed(range(len(params))):
        p = params[index]
        bucket = open_by_dtype.get(p.dtype)
        if bucket is None:
            bucket = open_by_dtype[p.dtype] = _Bucket(p.dtype)
            buckets.append(bucket)
        bucket.add(index, p)
        cap = min(first_cap_bytes, cap_bytes) if len(buckets) == 1 else cap_bytes
        if bucket.numel * p.element_size() >= cap:
            del open_by_dtype[p.dtype]
    for b in buckets:
        b.flat = zeros(b.numel, dtype=b.dtype, device=params[b.indices[0]].device)
    return buckets


class Reducer:
    def __init__(self, params, names, process_group, cap_bytes, find_unused_parameters):
        self.params, self.names = params, names
        self.pg = process_group
        self.find_unused = find_unused_parameters
        self.buckets = assign_buckets(params, cap_bytes)
        self.slot = {}
        for b in self.buckets:
            for index, offset, numel in zip(b.indices, b.offsets, b.numels):
                self.slot[index] = (b, offset, numel)
        self.armed = False  # this iteration's backward reduces (not under no_sync)
        self.expect_finalize = False
        self.ready = [False] * len(params)
        self.used = None
        self.next_bucket = 0
        me = weakref.ref(self)
        self.handles = [p.register_post_accumulate_grad_hook(_hook(me, i)) for i, p in enumerate(params)]

    def remove_hooks(self):
        for h in self.handles:
            h.remove()
        self.handles = []

    def prepare_for_backward(self, outputs):
        """Called by forward when the coming backward must reduce."""
        if self.expect_finalize:
            raise RuntimeError(self._unfinished_message())
        for b in self.buckets:
            b.pending, b.work = len(b.indices), None
        self.ready = [False] * len(self.params)
        self.used = [0] * len(self.params)
        self.next_bucket = 0
        self.armed = True
        if self.find_unused:
            reached = _reachable_params(outputs, {id(p): i for i, p in enumerate(self.params)})
            for i in range(len(self.params)):
                if i not in reached:
                    self._mark_ready(i)

    def on_grad_accumulated(self, index):
        if not self.armed:
            return  # under no_sync, or a second backward through the same graph: torch does nothing
        if self.ready[index]:
            raise RuntimeError(
                f"Expected to mark a variable ready only once. Parameter {self.names[index]} (index {index}) got a "
                f"gradient twice in one iteration: it is used outside forward(), in several reentrant backward "
                f"passes, or marked unused by find_unused_parameters=True and then given a gradient anyway")
        self.used[index] = 1
        self.expect_finalize = True
        self._mark_ready(index)

    def _mark_ready(self, index):
        bucket, offset, numel = self.slot[index]
        grad = self.params[index].grad
        with no_grad():
            view = bucket.flat[offset:offset + numel]
            if grad is None:
                view.zero_()
            else:
                view.copy_(grad.reshape(-1))
        self.ready[index] = True
        bucket.pending -= 1
        self._launch_ready_buckets()
        if self.next_bucket == len(self.buckets):
            self._finalize()

    def _launch_ready_buckets(self):
        while self.next_bucket < len(self.buckets) and self.buckets[self.next_bucket].pending == 0:
            b = self.buckets[self.next_bucket]
            b.work = dist.all_reduce(b.flat, group=self.pg, async_op=True)
            self.next_bucket += 1
        for b in self.buckets[:self.next_bucket]:
            b.work.is_completed()  # drives MPI's progress on buckets in flight (Note [Gradient buckets])

    def _finalize(self):  # Note [The end of backward]
        self.armed = False
        globally_used = None
        if self.find_unused:
            mask = tensor(self.used, dtype=_C.dtype.int32)
            dist.all_reduce(mask, group=self.pg)
            globally_used = mask.tolist()
        n = self.pg.size()
        with no_grad():
            for b in self.buckets:
                b.work.wait()
                b.flat.div_(n)
                for index, offset, numel in zip(b.indices, b.offsets, b.numels):
                    if globally_used is not None and not globally_used[index]:
                        continue  # nobody used it: .grad stays as it was, as in torch
                    p = self.params[index]
                    avg = b.flat[offset:offset + numel].view(p.shape)
                    if p.grad is None:
                        p.grad = avg.clone()
                    else:
                        p.grad.copy_(avg)
        self.expect_finalize = False

    def _unfinished_message(self):
        missing = [f"{i} ({self.names[i]})" for i, r in enumerate(self.ready) if not r]
        return ("Expected to have finished reduction in the prior iteration before starting a new one. This error "
                "indicates that your module has parameters that were not used in producing loss. You can enable "
                "unused parameter detection by passing the keyword argument `find_unused_parameters=True` to "
                "`ember.nn.parallel.DistributedDataParallel`, and by making sure all `forward` function outputs "
                f"participate in calculating loss. Parameter indices which did not receive grad for rank "
                f"{dist.get_rank()}: {', '.join(missing)}")


def _hook(reducer_ref, index):
    def hook(param):
        reducer = reducer_ref()
        if reducer is not None:
            reducer.on_grad_accumulated(index)
    return hook


def _reachable_params(outputs, index_of):
    """Indices of the parameters whose AccumulateGrad nodes the outputs' graphs reach."""
    from ...tensor import Tensor
    stack, seen, keep, reached = [], set(), [], set()

    def collect(obj):
        if isinstance(obj, Tensor):
            if obj.grad_fn is not None:
                stack.append(obj.grad_fn)
            elif id(obj) in index_of:
                reached.add(index_of[id(obj)])
        elif isinstance(obj, dict):
            for v in obj.values():
                collect(v)
        elif isinstance(obj, (list, tuple)):
            for v in obj:
                collect(v)
    collect(outputs)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        keep.append(node)  # keeps ids unique while we walk
        if node.name() == "AccumulateGrad":
            i = index_of.get(id(node.variable))
            if i is not None:
                reached.add(i)
        for child, _ in node.next_functions:
            if child is not None:
                stack.append(child)
    return reached
