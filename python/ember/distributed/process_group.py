"""Process groups: init_process_group / destroy_process_group, new_group, and the questions about
them (get_rank, get_world_size, get_backend, is_initialized), as torch.distributed's.

Note [Ranks come from MPI]: with the mpi backend the processes are started by mpiexec (or by
`ember run`, which calls mpiexec), and MPI tells each one its rank and the world size. The
RANK / WORLD_SIZE a launcher such as torchrun exports, and the rank= / world_size= arguments, are
therefore not needed; where they are given they must agree with MPI, and a disagreement is an error
that says which launcher to use (torchrun starts independent processes, each of which MPI sees as
a world of one, so a silent fallback would train N unrelated models). MASTER_ADDR / MASTER_PORT and
init_method are accepted and unused: MPI does its own rendezvous.

The default group's communicator is a duplicate of MPI_COMM_WORLD, so ember's messages never
match a user's own MPI traffic. Sub-groups (new_group) are MPI_Comm_split of it, with ranks in
ascending order as torch sorts them; a rank outside a sub-group gets a group whose collectives do
nothing and whose get_rank is -1, as torch's GroupMember.NON_GROUP_MEMBER."""
import datetime
import os
import sys

from ._mpi_types import mpi
from .work import Work, broken_reason, register_abort_at_exit

_DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)  # torch's default_pg_timeout
_state = {"default": None, "groups": []}


class Backend(str):
    """Backend names, as torch.distributed.Backend: Backend("MPI") == "mpi"."""
    MPI = "mpi"
    NCCL = "nccl"
    GLOO = "gloo"
    UNDEFINED = "undefined"

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError(f"Backend name must be a string, but got: {name!r}")
        return super().__new__(cls, name.lower())


class ProcessGroup:
    """A set of ranks with its own MPI communicator. `ranks` are global ranks in group order."""

    def __init__(self, comm, ranks, timeout, backend="mpi"):
        self.comm = comm  # None on a rank outside the group
        self.ranks = list(ranks)
        self.timeout = timeout
        self.backend = backend
        world = mpi().COMM_WORLD
        self.global_rank = world.Get_rank()
        self.world_size_global = world.Get_size()

    @property
    def timeout_seconds(self):
        return self.timeout.total_seconds()

    def rank(self):
        return self.comm.Get_rank() if self.comm is not None else -1

    def size(self):
        return len(self.ranks)

    def is_member(self):
        return self.comm is not None

    def group_rank_of(self, op_name, global_rank, what):
        if global_rank not in self.ranks:
            raise ValueError(f"ember.distributed.{op_name}: {what}={global_rank} is not a rank of the group "
                             f"(its global ranks are {self.ranks})")
        return self.ranks.index(global_rank)

    def rank_argument(self, op_name, global_rank, group_rank, what, default=None):
        """The group rank that torch's pair of arguments `what` (a global rank) / `group_what` (a rank
        within the group) names; `default` is the global rank meant when neither is given (None:
        one must be)."""
        if group_rank is not None:
            if global_rank is not None:
                raise ValueError(f"ember.distributed.{op_name}: pass {what} or group_{what}, not both")
            if not 0 <= group_rank < self.size():
                raise ValueError(f"ember.distributed.{op_name}: group_{what}={group_rank} is outside the group of "
                                 f"size {self.size()}")
            return group_rank
        if global_rank is None:
            if default is None:
                raise ValueError(f"ember.distributed.{op_name}: {what} must be given")
            global_rank = default
        return self.group_rank_of(op_name, global_rank, what)

    def __repr__(self):
        return f"<ember.distributed.ProcessGroup ranks={self.ranks} backend={self.backend}>"


class _WorldGroup:
    """The `group.WORLD` placeholder: means the default group wherever a group is accepted."""

    def __repr__(self):
        return "group.WORLD"


class group:  # noqa: N801  (torch.distributed.group.WORLD)
    WORLD = _WorldGroup()


_WORLD = group.WORLD


class GroupMember:
    WORLD = group.WORLD
    NON_GROUP_MEMBER = -100


def _check_backend(backend):
    """The backend's name. 'gloo' is accepted for the CPU scripts that ask for it and runs on MPI
    (ember has no gloo); 'nccl' needs CUDA and libnccl.so.2 (Note [Two communicators per group])."""
    name = Backend(backend or "mpi")
    if name in ("mpi", "gloo"):
        return name
    if name == "nccl":
        from .nccl import unavailable_reason
        why = unavailable_reason()
        if why:
            raise RuntimeError(f"ember.distributed: the nccl backend (CUDA tensors) is not available here: {why}. "
                               f"For CPU tensors use backend='mpi'")
        return name
    raise ValueError(f"Invalid backend: {backend!r}; ember.distributed has 'mpi' (CPU tensors; 'gloo' is "
                     f"accepted as a name for it) and 'nccl' (CUDA tensors)")


def _check_against_mpi(name, value, actual, source):
    if value is not None and int(value) != -1 and int(value) != actual:
        raise RuntimeError(f"ember.distributed.init_process_group: {source} says {name} {value}, but MPI started this "
                           f"process as {name} {actual} (Note [Ranks come from MPI]): the mpi backend's ranks are "
                           f"started by mpiexec, e.g. `ember run -n N script.py`, not by torchrun or by hand")


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Joins this process to the default group (Note [Ranks come from MPI])."""
    if _state["default"] is not None:
        raise ValueError("trying to initialize the default process group twice!")
    backend = _check_backend(backend)
    if timeout is None:
        timeout = _DEFAULT_TIMEOUT
    if not isinstance(timeout, datetime.timedelta):
        raise TypeError(f"ember.distributed.init_process_group: timeout must be a datetime.timedelta, "
                        f"got {type(timeout).__name__}")
    MPI = mpi()
    world = MPI.COMM_WORLD
    r, n = world.Get_rank(), world.Get_size()
    _check_against_mpi("world size", world_size, n, "world_size=")
    _check_against_mpi("rank", rank, r, "rank=")
    _check_against_mpi("world size", os.environ.get("WORLD_SIZE"), n, "the environment (WORLD_SIZE)")
    _check_against_mpi("rank", os.environ.get("RANK"), r, "the environment (RANK)")
    register_abort_at_exit()
    comm, request = world.Idup()
    pg = ProcessGroup(None, range(n), timeout, backend)
    Work("init_process_group", [request], pg).wait()
    pg.comm = comm
    _state["default"] = pg
    if n > 1:
        _abort_job_on_uncaught_exception()


def _abort_job_on_uncaught_exception():
    """A rank that dies of an exception takes the job down at once (the traceback printed first)
    instead of leaving its peers waiting out their timeout (Note [No collective blocks forever])."""
    from .work import mark_broken
    previous = sys.excepthook

    def hook(kind, value, tb):
        previous(kind, value, tb)
        if _state["default"] is not None:
            mark_broken(f"uncaught {kind.__name__}")
    sys.excepthook = hook


def is_initialized():
    return _state["default"] is not None


def default_group():
    pg = _state["default"]
    if pg is None:
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    reason = broken_reason()
    if reason is not None:
        raise RuntimeError(f"ember.distributed: the process group is no longer usable: {reason}")
    return pg


def resolve(group_arg):
    """The ProcessGroup a `group=` argument means (None and group.WORLD: the default one)."""
    pg = default_group()
    if group_arg is None or group_arg is _WORLD:
        return pg
    if not isinstance(group_arg, ProcessGroup):
        raise TypeError(f"ember.distributed: group must be a ProcessGroup from new_group() or None, "
                        f"got {type(group_arg).__name__}")
    return group_arg


def get_rank(group=None):
    return resolve(group).rank()


def get_world_size(group=None):
    pg = resolve(group)
    return pg.size() if pg.is_member() else -1


def get_backend(group=None):
    return resolve(group).backend


def get_global_rank(group, group_rank):
    return resolve(group).ranks[group_rank]


def get_process_group_ranks(group):
    return list(resolve(group).ranks)


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None):
    """A sub-group of the given global ranks; every rank of the default group must call it, with the
    same ranks, in the same order of new_group calls (as torch requires)."""
    parent = default_group()
    backend = _check_backend(backend) if backend else parent.backend
    n = parent.size()
    members = sorted(set(range(n) if ranks is None else (int(x) for x in ranks)))
    bad = [x for x in members if not 0 <= x < n]
    if bad:
        raise ValueError(f"ember.distributed.new_group: ranks {bad} are not ranks of the world of size {n}")
    # Comm_split blocks with no deadline: meet first in a barrier that has one, so that a peer that
    # never calls new_group is a timeout error here and not a hang inside Split.
    Work("new_group", [parent.comm.Ibarrier()], parent).wait()
    me = parent.comm.Get_rank()
    MPI = mpi()
    comm = parent.comm.Split(0 if me in members else MPI.UNDEFINED, me)
    pg = ProcessGroup(None if comm == MPI.COMM_NULL else comm, members, timeout or parent.timeout, backend)
    _state["groups"].append(pg)
    return pg


def destroy_process_group(group=None):
    """Frees a sub-group, or (group=None) every group: is_initialized() is then False and
    init_process_group may be called again. MPI itself stays up until the process exits."""
    pg = _state["default"]
    if pg is None:
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    victims = [resolve(group)] if group is not None and group is not _WORLD else _state["groups"] + [pg]
    for victim in victims:
        if getattr(victim, "nccl_comm", None) is not None:
            from .nccl import forget
            forget(victim)
            victim.nccl_comm = None  # the last reference: destroys the NCCL communicator
        if victim.comm is not None and broken_reason() is None:
            victim.comm.Free()
        victim.comm = None
        if victim in _state["groups"]:
            _state["groups"].remove(victim)
    if pg in victims:
        _state["default"] = None
