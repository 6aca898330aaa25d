"""ember.distributed, as torch.distributed: process groups and collectives between processes
(ranks), for data-parallel training (ember.nn.parallel.DistributedDataParallel,
ember.utils.data.DistributedSampler).

Backends: 'mpi' moves CPU tensors through mpi4py, between ranks on one host or many, with the
ranks started by `ember run -n N script.py` or mpiexec (Note [Ranks come from MPI] in
process_group.py); 'gloo' is accepted as another name for it. 'nccl' moves CUDA tensors through
NCCL, loaded at run time, with MPI still starting the ranks (Note [Two communicators per group],
nccl.py).

Importing this package does not import mpi4py (which would initialise MPI): that happens at
init_process_group. No operation waits forever for a peer (Note [No collective blocks forever],
work.py); EMBER_DISTRIBUTED_DEBUG=DETAIL checks that the ranks' calls agree before each collective
(debug.py)."""
from ._mpi_types import ReduceOp, mpi4py_importable
from .collectives import (all_gather, all_gather_into_tensor, all_reduce, barrier, broadcast, gather,  # noqa: F401
                          reduce, reduce_scatter_tensor, scatter)
from .point_to_point import irecv, isend, recv, send  # noqa: F401
from .process_group import (Backend, GroupMember, ProcessGroup, destroy_process_group, get_backend,  # noqa: F401
                            get_global_rank, get_process_group_ranks, get_rank, get_world_size, group,
                            init_process_group, is_initialized, new_group)
from .work import DistBackendError, Work  # noqa: F401

__all__ = ["Backend", "DistBackendError", "GroupMember", "ProcessGroup", "ReduceOp", "Work", "all_gather",
           "all_gather_into_tensor", "all_reduce", "barrier", "broadcast", "destroy_process_group", "gather",
           "get_backend", "get_global_rank", "get_process_group_ranks", "get_rank", "get_world_size", "group",
           "init_process_group", "irecv", "is_available", "is_initialized", "is_mpi_available",
           "is_nccl_available", "is_gloo_available", "isend", "new_group", "recv", "reduce", "reduce_scatter_tensor",
           "scatter", "send"]


def is_mpi_available():
    """Whether the mpi backend can be used: mpi4py is importable (checked without importing it)."""
    return mpi4py_importable()


def is_available():
    """Whether any backend can be used here (torch: whether it was built with distributed support)."""
    return is_mpi_available()


def is_nccl_available():
    """Whether the nccl backend can be used: a CUDA device and libnccl.so.2 (loaded to find out)."""
    from .nccl import unavailable_reason
    return not unavailable_reason()


def is_gloo_available():
    """ember has no gloo; init_process_group('gloo') runs on MPI (so: whether MPI is)."""
    return is_mpi_available()


def is_torchelastic_launched():
    return False
