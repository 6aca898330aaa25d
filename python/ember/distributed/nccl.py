"""The "nccl" backend: CUDA tensors between GPUs through NCCL (Note [NCCL at run time],
csrc/core/cuda/nccl.cpp), loaded at run time from the nvidia-nccl-cu13 wheel of
`pip install "ember[distributed]"`.

Note [Two communicators per group]: a group of the nccl backend keeps its MPI communicator (the
ranks start through mpiexec as with the mpi backend, and CPU tensors and barrier() go over MPI, as
torch's default group pairs gloo with nccl) and gains an NCCL communicator for its CUDA tensors,
made the first time a CUDA tensor meets the group: rank 0 of the group asks NCCL for a unique id
and broadcasts it over MPI, and every rank joins on its current CUDA device (call
ember.cuda.set_device(local_rank) first, as with torch).
A collective on CUDA tensors is queued on ember's stream of the device: the call returns before the
data moved, and the kernels queued after it see the result. So the Work it returns is done as far
as the host is concerned; wait() reports NCCL's asynchronous error, if any.
Note [The NCCL watchdog]: a host thread that waits for the device (loss.item()) while a collective
waits for a dead peer would wait forever, and no exception can reach it. So a watchdog thread looks
at every NCCL communicator each second: a collective still unfinished past the group's timeout, or
an asynchronous error (a peer died), makes it abort the communicator, print why, and abort the MPI
job, as torch's NCCL watchdog tears the process down."""
import os
import sys
import threading
import time

import numpy as np

from .. import _C
from ._mpi_types import ReduceOp, dtype_name
from .work import DistBackendError, Work, mark_broken

_OPS = {ReduceOp.SUM: 0, ReduceOp.PRODUCT: 1, ReduceOp.MAX: 2, ReduceOp.MIN: 3, ReduceOp.AVG: 4}
_WATCH_SECONDS = 1.0
_watched = []  # (communicator, group) pairs the watchdog looks at
_watchdog = {"thread": None}


def unavailable_reason():
    """"" when the nccl backend can be used, else why not (no CUDA, no libnccl.so.2)."""
    return _C._nccl_unavailable_reason()


def handles(pg, tensor):
    """Whether `tensor` goes through the group's NCCL communicator."""
    return pg.backend == "nccl" and getattr(tensor, "is_cuda", False)


def _communicator(pg):
    comm = getattr(pg, "nccl_comm", None)
    if comm is not None:
        return comm
    uid = np.zeros(128, dtype=np.uint8)
    if pg.rank() == 0:
        uid[:] = np.frombuffer(_C._nccl_unique_id(), dtype=np.uint8)
    Work("init_process_group", [pg.comm.Ibcast(uid, 0)], pg).wait()
    # The emulated NCCL's waits for peers end at the group's timeout (Note [The emulated NCCL]).
    os.environ["EMBER_NCCL_EMU_TIMEOUT"] = str(pg.timeout_seconds)
    from .. import cuda
    pg.nccl_comm = _C._NcclCommunicator(uid.tobytes(), pg.size(), pg.rank(), cuda.current_device())
    _watch(pg.nccl_comm, pg)
    return pg.nccl_comm


def _check(op_name, tensor, what="tensor"):
    if not tensor.is_contiguous():
        raise RuntimeError(f"ember.distributed.{op_name}: {what} has to be contiguous (shape {tuple(tensor.shape)}, "
                           f"strides {tuple(tensor.stride())}) for the nccl backend: pass t.contiguous() and copy "
                           f"the result back")
    return tensor.detach()


def _op(op_name, op, dtype):
    if op not in _OPS:
        raise ValueError(f"ember.distributed.{op_name}: the nccl backend reduces with SUM, AVG, PRODUCT, MIN or MAX, "
                         f"got {op!r}")
    if op is ReduceOp.AVG and dtype not in (_C.dtype.float32, _C.dtype.float64):
        raise ValueError(f"ember.distributed.{op_name}: ReduceOp.AVG needs a floating tensor, got {dtype_name(dtype)} "
                         f"(the mean of integers is not an integer): use ReduceOp.SUM and divide")
    return _OPS[op]


class NcclWork(Work):
    """A collective queued on the device's stream (Note [Two communicators per group]): done for
    the host once queued; wait() raises what NCCL reported asynchronously."""

    def __init__(self, op_name, comm, result):
        super().__init__(op_name, [], None, None, result)
        self._comm = comm

    def wait(self, timeout=None):
        error = self._comm.async_error()
        if error:
            raise DistBackendError(f"ember.distributed.{self._op_name}: NCCL failed: {error}")
        return True

    def is_completed(self):
        return self._comm.oldest_pending_seconds() == 0

    def is_success(self):
        return not self._comm.async_error()

    def __repr__(self):
        return f"<ember.distributed.Work {self._op_name} (nccl, stream-ordered)>"


def _done(op_name, comm, result, async_op):
    for t in result:
        t._bump_version()  # an in-place write (see collectives._launch)
    work = NcclWork(op_name, comm, result)
    if async_op:
        return work
    work.wait()
    return None


def all_reduce(pg, tensor, op, async_op):
    comm = _communicator(pg)
    comm.all_reduce(_check("all_reduce", tensor), _op("all_reduce", op, tensor.dtype))
    return _done("all_reduce", comm, [tensor], async_op)


def broadcast(pg, tensor, root, async_op):
    comm = _communicator(pg)
    comm.broadcast(_check("broadcast", tensor), root)
    return _done("broadcast", comm, [tensor], async_op)


def all_gather_into_tensor(pg, output, input, async_op):
    comm = _communicator(pg)
    comm.all_gather(_check("all_gather_into_tensor", output, "output_tensor"),
                    _check("all_gather_into_tensor", input, "input_tensor"))
    return _done("all_gather_into_tensor", comm, [output], async_op)


def all_gather(pg, tensor_list, tensor, async_op):
    """Gathers into one staging tensor, then copies each rank's block into tensor_list (copies
    queued on the same stream, after the gather)."""
    from ..factories import empty
    staging = empty((pg.size(),) + tuple(tensor.shape), dtype=tensor.dtype, device=tensor.device)
    comm = _communicator(pg)
    comm.all_gather(staging, _check("all_gather", tensor))
    for i, out in enumerate(tensor_list):
        out.detach().copy_(staging[i])
    return _done("all_gather", comm, list(tensor_list), async_op)


def reduce_scatter_tensor(pg, output, input, op, async_op):
    comm = _communicator(pg)
    comm.reduce_scatter(_check("reduce_scatter_tensor", output, "output"), _check("reduce_scatter_tensor", input, "input"),
                        _op("reduce_scatter_tensor", op, input.dtype))
    return _done("reduce_scatter_tensor", comm, [output], async_op)


def send(pg, tensor, peer):
    comm = _communicator(pg)
    comm.send(_check("send", tensor), peer)
    return NcclWork("send", comm, [tensor])


def recv(pg, tensor, peer):
    comm = _communicator(pg)
    comm.recv(_check("recv", tensor), peer)
    tensor._bump_version()
    return NcclWork("recv", comm, [tensor])


# reduce, gather and scatter are built from the collectives above, on the device's stream: each
# rank computes the whole result and keeps its part (more traffic than NCCL's rooted calls, the same
# numbers, and no new NCCL entry points for the emulator to mirror).

def reduce(pg, tensor, root, op, async_op):
    """The reduction lands in `tensor` of rank `root`; the others' tensors are left as they were."""
    comm = _communicator(pg)
    total = _check("reduce", tensor).clone()
    comm.all_reduce(total, _op("reduce", op, tensor.dtype))
    if pg.rank() == root:
        tensor.detach().copy_(total)
    return _done("reduce", comm, [tensor], async_op)


def gather(pg, tensor, gather_list, async_op):
    from ..factories import empty
    comm = _communicator(pg)
    staging = empty((pg.size(),) + tuple(tensor.shape), dtype=tensor.dtype, device=tensor.device)
    comm.all_gather(staging, _check("gather", tensor))
    for i, out in enumerate(gather_list or []):
        out.detach().copy_(staging[i])
    return _done("gather", comm, list(gather_list or []), async_op)


def scatter(pg, tensor, scatter_list, root, async_op):
    from ..factories import empty
    comm = _communicator(pg)
    shape = (pg.size(),) + tuple(tensor.shape)
    staging = (_C.stack([t.detach() for t in scatter_list]).contiguous() if scatter_list is not None else
               empty(shape, dtype=tensor.dtype, device=tensor.device))
    comm.broadcast(staging, root)
    tensor.detach().copy_(staging[pg.rank()])
    return _done("scatter", comm, [tensor], async_op)


def _watch(comm, pg):
    _watched.append((comm, pg))
    if _watchdog["thread"] is None:
        t = threading.Thread(target=_watch_loop, name="ember-nccl-watchdog", daemon=True)
        _watchdog["thread"] = t
        t.start()


def forget(pg):
    """The group is being destroyed: its communicator is no longer watched."""
    _watched[:] = [(c, g) for c, g in _watched if g is not pg]


def _watch_loop():
    while True:
        time.sleep(_WATCH_SECONDS)
        for comm, pg in list(_watched):
            error = comm.async_error()
            waited = comm.oldest_pending_seconds()
            if not error and waited <= pg.timeout_seconds:
                continue
            why = (f"NCCL reported: {error}" if error else
                   f"a collective has not finished after {waited:.0f}s (timeout {pg.timeout_seconds:g}s)")
            message = (f"ember.distributed: the NCCL watchdog on rank {pg.global_rank} of {pg.world_size_global}: "
                       f"{why}; a peer rank may have died or stopped calling collectives. Aborting the communicator "
                       f"and the job (Note [The NCCL watchdog]).")
            print(message, file=sys.stderr, flush=True)
            comm.abort()
            mark_broken(message)
            from ._mpi_types import mpi
            time.sleep(0.3)  # let mpiexec forward the message before it kills the job
            mpi().COMM_WORLD.Abort(1)
