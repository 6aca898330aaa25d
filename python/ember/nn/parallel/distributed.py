"""DistributedDataParallel, as torch.nn.parallel's: the same model on every rank, each rank a
different slice of the batch, gradients averaged over the ranks during backward, so that after
optimizer.step() every rank holds the same parameters, the ones one process would reach on the
whole batch with a mean loss.

At wrap time the parameters and buffers of rank 0 are broadcast to the others (one broadcast per
dtype, of the tensors laid end to end), after checking that every rank wraps the same parameter
shapes. Before each forward the buffers are broadcast again from rank 0 (broadcast_buffers=True:
BatchNorm's running statistics follow rank 0, as in torch). The gradients are reduced by the
Reducer (_reducer.py, Note [Gradient buckets], Note [The end of backward]). no_sync() skips the
reduction for gradient accumulation: the next synced backward averages the accumulated sums.

The wrapper is a Module whose only child is `module`, so its state_dict has torch's "module."
prefixes; save ddp.module.state_dict() (from rank 0) for a checkpoint that loads anywhere."""
import contextlib

from ... import _C
from ... import distributed as dist
from ...autograd.grad_mode import no_grad
from ...factories import tensor
from ..modules.module import Module
from ._reducer import Reducer


class DistributedDataParallel(Module):
    """Wraps `module` for data-parallel training over `process_group` (default: the default group).
    gradient_as_bucket_view, static_graph and check_reduction are accepted for torch's
    signature; results are the same either way (see Note [Gradient buckets] on copies)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 init_sync=True, process_group=None, bucket_cap_mb=None, find_unused_parameters=False,
                 check_reduction=False, gradient_as_bucket_view=False, static_graph=False):
        super().__init__()
        pg = dist.process_group.resolve(process_group)
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter "
                               "that requires a gradient.")
        devices = sorted({str(p.device) for _, p in module.named_parameters()})
        if device_ids is not None or output_device is not None:
            if devices == ["cpu"]:
                raise ValueError(f"DistributedDataParallel device_ids and output_device arguments only work with "
                                 f"single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                                 f"{device_ids}, output_device {output_device}, and module parameters "
                                 f"{{{', '.join(devices)}}}.")
        if len(devices) > 1:
            raise RuntimeError(f"DistributedDataParallel: the module's parameters are on {', '.join(devices)}; ember's "
                               f"DDP takes a module on one device")
        if devices != ["cpu"] and pg.backend != "nccl":
            raise RuntimeError(f"DistributedDataParallel: the module's parameters are on {devices[0]}, but the "
                               f"{pg.backend} backend reduces CPU tensors only: init_process_group('nccl') for GPU "
                               f"modules")
        if bucket_cap_mb is None:
            bucket_cap_mb = 25  # torch's default
        if bucket_cap_mb <= 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be positive, got {bucket_cap_mb}")
        self.module = module
        self.process_group = pg
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self.bucket_bytes_cap = int(bucket_cap_mb * 1024 * 1024)
        self._check_same_parameters_everywhere([p for _, p in module.named_parameters()])
        if init_sync:
            _broadcast_coalesced(list(module.parameters()) + list(module.buffers()), pg)
        self.reducer = Reducer([p for _, p in named], [n for n, _ in named], pg, self.bucket_bytes_cap,
                               find_unused_parameters)

    def _check_same_parameters_everywhere(self, params):
        """One small all_gather: count, total elements and a hash of the shapes must agree."""
        shapes = tuple(tuple(p.shape) for p in params)
        mine = tensor([len(params), sum(p.numel() for p in params), hash(shapes) & (2 ** 62 - 1)],
                      dtype=_C.dtype.int64)
        everyone = [mine.clone() for _ in range(self.process_group.size())]
        dist.all_gather(everyone, mine, group=self.process_group)
        rows = [t.tolist() for t in everyone]
        if any(r != rows[0] for r in rows):
            desc = ", ".join(f"rank {self.process_group.ranks[i]} has {r[0]} parameters ({r[1]} elements)"
                             for i, r in enumerate(rows))
            raise RuntimeError(f"DistributedDataParallel: the ranks wrap different models ({desc}); every rank must "
                               f"build the same module with parameters of the same shapes")

    def forward(self, *inputs, **kwargs):
        if self.require_forward_param_sync and self.broadcast_buffers:
            buffers = list(self.module.buffers())
            if buffers:
                _broadcast_coalesced(buffers, self.process_group)
        if _C.is_grad_enabled() and self.require_backward_grad_sync:
            if self.reducer.expect_finalize:
                raise RuntimeError(self.reducer._unfinished_message())
        outputs = self.module(*inputs, **kwargs)
        if _C.is_grad_enabled() and self.require_backward_grad_sync:
            self.reducer.prepare_for_backward(outputs)
        else:
            self.reducer.armed = False
        return outputs

    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes inside accumulate gradients locally, with no communication; the first
        synced backward after it averages the accumulated gradients."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def __del__(self):
        reducer = self.__dict__.get("reducer")
        if reducer is not None:
            reducer.remove_hooks()


def _broadcast_coalesced(tensors, pg, src_group_rank=0):
    """Every tensor of group rank `src_group_rank` copied into the others' (one broadcast per dtype)."""
    by_dtype = {}
    for t in tensors:
        by_dtype.setdefault(t.dtype, []).append(t)
    with no_grad():
        for group in by_dtype.values():
            flat = _C.cat([t.detach().reshape(-1) for t in group]).contiguous()
            dist.broadcast(flat, group=pg, group_src=src_group_rank)
            offset = 0
            for t in group:
                n = t.numel()
                t.detach().copy_(flat[offset:offset + n].view(t.shape))
                offset += n
