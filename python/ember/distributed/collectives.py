"""The collectives, as torch.distributed's: all_reduce, broadcast, all_gather,
all_gather_into_tensor, reduce_scatter_tensor, reduce, gather, scatter, barrier. Each takes
`group=` (None: the default group) and `async_op=` (True: return a Work, else wait and return
None); results are written into the tensors given, as torch writes them.

Each one is an MPI nonblocking call on the tensors' own memory (Note [Tensors as MPI buffers])
waited for under the group's deadline (Note [No collective blocks forever]). Where MPI wants one
contiguous buffer and torch's API hands a list of tensors (all_gather, gather, scatter), the data
passes through one staging array, as torch's MPI backend does. src/dst are global ranks, and
group_src/group_dst ranks within the group, as in torch 2.x. CUDA tensors of a group of the nccl
backend go through NCCL instead (Note [Two communicators per group], nccl.py)."""
import numpy as np

from . import debug, nccl
from ._mpi_types import ReduceOp, buffer, check_tensor, dtype_name, mpi, mpi_op
from .process_group import resolve
from .work import Work


def _launch(op_name, pg, tensor, start, async_op, finish=None, result=None):
    if debug.enabled():
        debug.check_same_call(op_name, pg, tensor)
    work = Work(op_name, start(), pg, finish, result)
    for t in result or []:
        t._bump_version()  # an in-place write, as torch's c10d ops are: autograd sees saved tensors change
    if async_op:
        return work
    work.wait()
    return None


def _root(op_name, pg, global_rank, group_rank, what):
    return pg.rank_argument(op_name, global_rank, group_rank, what, default=0)


def _average(arrays, n):
    def finish():
        for a in arrays:
            a /= n
    return finish


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduces `tensor` over the group, in place, on every rank."""
    pg = resolve(group)
    if not pg.is_member():
        return None
    if nccl.handles(pg, tensor):
        return nccl.all_reduce(pg, tensor, op, async_op)
    buf = buffer("all_reduce", tensor)
    reduction = mpi_op("all_reduce", op, tensor.dtype)
    finish = _average([buf[0]], pg.size()) if op is ReduceOp.AVG else None
    return _launch("all_reduce", pg, tensor, lambda: [pg.comm.Iallreduce(mpi().IN_PLACE, buf, reduction)],
                   async_op, finish, [tensor])


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copies `tensor` of rank `src` into `tensor` of every other rank."""
    pg = resolve(group)
    if not pg.is_member():
        return None
    root = _root("broadcast", pg, src, group_src, "src")
    if nccl.handles(pg, tensor):
        return nccl.broadcast(pg, tensor, root, async_op)
    buf = buffer("broadcast", tensor)
    return _launch("broadcast", pg, tensor, lambda: [pg.comm.Ibcast(buf, root)], async_op, None, [tensor])


def _check_like(op_name, others, tensor, what, as_mpi_buffers=True):
    for i, t in enumerate(others):
        if as_mpi_buffers:
            check_tensor(op_name, t, f"{what}[{i}]")
        if tuple(t.shape) != tuple(tensor.shape) or t.dtype != tensor.dtype:
            raise ValueError(f"ember.distributed.{op_name}: {what}[{i}] has shape {tuple(t.shape)} "
                             f"{dtype_name(t.dtype)}, but the tensor has shape {tuple(tensor.shape)} "
                             f"{dtype_name(tensor.dtype)}; they must match")


def _check_count(op_name, tensors, n, what):
    if not isinstance(tensors, (list, tuple)) or len(tensors) != n:
        got = len(tensors) if isinstance(tensors, (list, tuple)) else type(tensors).__name__
        raise ValueError(f"ember.distributed.{op_name}: {what} must be a list of {n} tensors (one per rank of the "
                         f"group), got {got}")


def _copy_rows_out(staging, outputs):
    from .._C import from_numpy

    def finish():
        for row, out in zip(staging, outputs):
            out.detach().copy_(from_numpy(row))
    return finish


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """tensor_list[i] receives rank i's `tensor`, on every rank."""
    pg = resolve(group)
    if not pg.is_member():
        return None
    _check_count("all_gather", tensor_list, pg.size(), "tensor_list")
    if nccl.handles(pg, tensor):
        _check_like("all_gather", tensor_list, tensor, "tensor_list", as_mpi_buffers=False)
        return nccl.all_gather(pg, tensor_list, tensor, async_op)
    _check_like("all_gather", tensor_list, tensor, "tensor_list")
    buf = buffer("all_gather", tensor)
    staging = np.empty((pg.size(),) + buf[0].shape, dtype=buf[0].dtype)
    return _launch("all_gather", pg, tensor, lambda: [pg.comm.Iallgather(buf, [staging, buf[1]])], async_op,
                   _copy_rows_out(staging, tensor_list), list(tensor_list))


def _check_numel(op_name, big, small, n, big_name, small_name):
    if big.dtype != small.dtype:
        raise ValueError(f"ember.distributed.{op_name}: {big_name} is {dtype_name(big.dtype)} but {small_name} is "
                         f"{dtype_name(small.dtype)}; they must match")
    if big.numel() != n * small.numel():
        raise ValueError(f"ember.distributed.{op_name}: {big_name} of shape {tuple(big.shape)} must hold world size "
                         f"({n}) times the elements of {small_name} of shape {tuple(small.shape)}")


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """output_tensor (world size times input's elements: concatenated or stacked) receives every
    rank's input_tensor in rank order."""
    pg = resolve(group)
    if not pg.is_member():
        return None
    if nccl.handles(pg, input_tensor):
        _check_numel("all_gather_into_tensor", output_tensor, input_tensor, pg.size(), "output_tensor", "input_tensor")
        return nccl.all_gather_into_tensor(pg, output_tensor, input_tensor, async_op)
    out, inp = buffer("all_gather_into_tensor", output_tensor, "output_tensor"), \
        buffer("all_gather_into_tensor", input_tensor, "input_tensor")
    _check_numel("all_gather_into_tensor", output_tensor, input_tensor, pg.size(), "output_tensor", "input_tensor")
    return _launch("all_gather_into_tensor", pg, input_tensor, lambda: [pg.comm.Iallgather(inp, out)], async_op,
                   None, [output_tensor])


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduces `input` (world size times output's elements) over the group; rank i keeps block i."""
    pg = resolve(group)
    if not pg.is_member():
        return None
    if nccl.handles(pg, input):
        _check_numel("reduce_scatter_tensor", input, output, pg.size(), "input", "output")
        return nccl.reduce_scatter_tensor(pg, output, input, op, async_op)
    out, inp = buffer("reduce_scatter_tensor", output, "output"), buffer("reduce_scatter_tensor", input, "input")
    _check_numel("reduce_scatter_tensor", input, output, pg.size(), "input", "output")
    reduction = mpi_op("reduce_scatter_tensor", op, input.dtype)
    finish = _average([out[0]], pg.size()) if op is ReduceOp.AVG else None
    return _launch("reduce_scatter_tensor", pg, input, lambda: [pg.comm.Ireduce_scatter_block(inp, out, reduction)],
                   async_op, finish, [output])


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Reduces `tensor` over the group into `tensor` of rank `dst`; the others' tensors are left as
    they were."""
    pg = resolve(group)
    if not pg.is_member():
        return None
    root = _root("reduce", pg, dst, group_dst, "dst")
    if nccl.handles(pg, tensor):
        return nccl.reduce(pg, tensor, root, op, async_op)
    buf = buffer("reduce", tensor)
    reduction = mpi_op("reduce", op, tensor.dtype)
    at_root = pg.rank() == root
    finish = _average([buf[0]], pg.size()) if op is ReduceOp.AVG and at_root else None
    if at_root:
        def start():
            return [pg.comm.Ireduce(mpi().IN_PLACE, buf, reduction, root)]
    else:
        def start():
            return [pg.comm.Ireduce(buf, None, reduction, root)]
    return _launch("reduce", pg, tensor, start, async_op, finish, [tensor])


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """gather_list[i] of rank `dst` receives rank i's `tensor`; other ranks pass no gather_list."""
    pg = resolve(group)
    if not pg.is_member():
        return None
    root = _root("gather", pg, dst, group_dst, "dst")
    on_device = nccl.handles(pg, tensor)
    if pg.rank() != root:
        if gather_list:
            raise ValueError("ember.distributed.gather: Argument ``gather_list`` must NOT be specified on "
                             "non-destination ranks.")
    else:
        _check_count("gather", gather_list, pg.size(), "gather_list")
        _check_like("gather", gather_list, tensor, "gather_list", as_mpi_buffers=not on_device)
    if on_device:
        return nccl.gather(pg, tensor, gather_list if pg.rank() == root else None, async_op)
    buf = buffer("gather", tensor)
    if pg.rank() != root:
        return _launch("gather", pg, tensor, lambda: [pg.comm.Igather(buf, None, root)], async_op)
    staging = np.empty((pg.size(),) + buf[0].shape, dtype=buf[0].dtype)
    return _launch("gather", pg, tensor, lambda: [pg.comm.Igather(buf, [staging, buf[1]], root)], async_op,
                   _copy_rows_out(staging, gather_list), list(gather_list))


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """`tensor` of rank i receives scatter_list[i] of rank `src`; other ranks pass no scatter_list."""
    pg = resolve(group)
    if not pg.is_member():
        return None
    root = _root("scatter", pg, src, group_src, "src")
    on_device = nccl.handles(pg, tensor)
    if pg.rank() != root:
        if scatter_list:
            raise ValueError("ember.distributed.scatter: Argument ``scatter_list`` must NOT be specified on "
                             "non-source ranks.")
    else:
        _check_count("scatter", scatter_list, pg.size(), "scatter_list")
        _check_like("scatter", scatter_list, tensor, "scatter_list", as_mpi_buffers=not on_device)
    if on_device:
        return nccl.scatter(pg, tensor, scatter_list if pg.rank() == root else None, root, async_op)
    buf = buffer("scatter", tensor)
    if pg.rank() != root:
        return _launch("scatter", pg, tensor, lambda: [pg.comm.Iscatter(None, buf, root)], async_op, None, [tensor])
    staging = np.stack([t.detach().numpy() for t in scatter_list])
    return _launch("scatter", pg, tensor, lambda: [pg.comm.Iscatter([staging, buf[1]], buf, root)], async_op,
                   None, [tensor])


def barrier(group=None, async_op=False, device_ids=None):
    """Returns once every rank of the group has called barrier."""
    pg = resolve(group)
    if not pg.is_member():
        return None
    return _launch("barrier", pg, None, lambda: [pg.comm.Ibarrier()], async_op)
