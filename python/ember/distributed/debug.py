"""EMBER_DISTRIBUTED_DEBUG=DETAIL (or torch's TORCH_DISTRIBUTED_DEBUG=DETAIL): before each
collective, every rank checks that all ranks of the group called the same op on the same shape
and dtype, and a mismatch is an error that says what each rank passed.

Note [Collective fingerprints]: MPI matches collectives by order alone, so a rank that calls
all_reduce on a (4, 3) tensor while its peer passes a (3,) one reduces garbage, or hangs if the
byte counts differ. In detail mode each rank describes its call as a fixed-size int64 vector (op,
dtype, rank count, the first 8 dims, a hash of any further dims) and the group all-gathers these
vectors (a nonblocking Iallgather under the group's deadline, so the check itself cannot hang).
Equal vectors mean the calls agree; otherwise the error lists every rank's call. It costs one
small collective per collective, which is why it is opt-in, as in torch."""
import os

import numpy as np

from ._mpi_types import dtype_name, mpi
from .work import Work

_OPS = ("all_reduce", "broadcast", "all_gather", "all_gather_into_tensor", "reduce_scatter_tensor", "reduce",
        "gather", "scatter", "barrier", "reduce_scatter", "all_to_all_single")
_DTYPES = ("float32", "float64", "int32", "int64", "bool")
_MAX_DIMS = 8
_WIDTH = 3 + _MAX_DIMS + 1


def enabled():
    for var in ("EMBER_DISTRIBUTED_DEBUG", "TORCH_DISTRIBUTED_DEBUG"):
        if os.environ.get(var, "").upper() == "DETAIL":
            return True
    return False


def _fingerprint(op_name, tensor):
    v = np.full(_WIDTH, -1, dtype=np.int64)
    v[0] = _OPS.index(op_name)
    if tensor is not None:
        shape = tuple(tensor.shape)
        name = dtype_name(tensor.dtype)
        v[1] = _DTYPES.index(name) if name in _DTYPES else 99
        v[2] = len(shape)
        v[3:3 + min(len(shape), _MAX_DIMS)] = shape[:_MAX_DIMS]
        v[-1] = hash(shape[_MAX_DIMS:]) & 0x7FFFFFFFFFFFFFFF
    return v


def _describe(row):
    op = _OPS[row[0]]
    if row[2] < 0:
        return op, "no tensor"
    ndim = int(row[2])
    dims = [int(d) for d in row[3:3 + min(ndim, _MAX_DIMS)]]
    shape = "(" + ", ".join(str(d) for d in dims) + ("" if ndim > _MAX_DIMS else ("," if ndim == 1 else "")) + \
        (", ...)" if ndim > _MAX_DIMS else ")")
    dtype = _DTYPES[row[1]] if row[1] < len(_DTYPES) else "another dtype"
    return op, f"shape {shape} {dtype}"


def check_same_call(op_name, pg, tensor):
    """Raises RuntimeError when the ranks of `pg` disagree on op, shape or dtype
    (Note [Collective fingerprints])."""
    mine = _fingerprint(op_name, tensor)
    rows = np.empty((pg.size(), _WIDTH), dtype=np.int64)
    MPI = mpi()
    request = pg.comm.Iallgather([mine, MPI.INT64_T], [rows, MPI.INT64_T])
    Work(f"{op_name} (debug check)", [request], pg).wait()
    if (rows == rows[0]).all():
        return
    described = [_describe(row) for row in rows]
    ops = {op for op, _ in described}
    if len(ops) > 1:
        calls = ", ".join(f"rank {pg.ranks[i]} called {op} with {what}" for i, (op, what) in enumerate(described))
        raise RuntimeError(f"{op_name}: the ranks called different collectives (EMBER_DISTRIBUTED_DEBUG=DETAIL): "
                           f"{calls}")
    calls = ", ".join(f"rank {pg.ranks[i]} has {what}" for i, (_, what) in enumerate(described))
    raise RuntimeError(f"{op_name}: {calls} (EMBER_DISTRIBUTED_DEBUG=DETAIL: every rank must pass the same "
                       f"shape and dtype)")
