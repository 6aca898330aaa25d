"""Point-to-point messages, as torch.distributed's send / recv / isend / irecv: `tensor` goes
whole from one rank to another, matched by (source, tag). dst/src are global ranks (group_dst /
group_src ranks within `group`); recv with src=None takes the first message from any rank and
returns the sender's global rank, as torch's does.

These are MPI_Isend / MPI_Irecv on the tensor's own memory (Note [Tensors as MPI buffers]); the
blocking forms wait under the group's deadline (Note [No collective blocks forever]), so a peer
that never sends is an error after the timeout, not a hang. Tags must be non-negative (MPI
reserves the negative ones)."""
from . import nccl
from ._mpi_types import buffer, mpi
from .process_group import resolve
from .work import Work


def _peer(op_name, pg, global_rank, group_rank, what):
    peer = pg.rank_argument(op_name, global_rank, group_rank, what)
    if peer == pg.rank():
        raise ValueError(f"ember.distributed.{op_name}: {what} is this rank ({pg.ranks[peer]}); a rank cannot "
                         f"{op_name} to itself")
    return peer


def _check_tag(op_name, tag):
    if not isinstance(tag, int) or tag < 0:
        raise ValueError(f"ember.distributed.{op_name}: tag must be a non-negative int, got {tag!r}")


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Starts sending `tensor` to rank `dst`; returns a Work (wait() before changing the tensor)."""
    return _start_send("isend", tensor, dst, group, tag, group_dst)


def _start_send(op_name, tensor, dst, group, tag, group_dst):
    pg = resolve(group)
    if not pg.is_member():
        return None
    _check_tag(op_name, tag)
    peer = _peer(op_name, pg, dst, group_dst, "dst")
    if nccl.handles(pg, tensor):
        return nccl.send(pg, tensor, peer)
    buf = buffer(op_name, tensor)
    return Work(op_name, [pg.comm.Isend(buf, peer, tag)], pg)


class _RecvWork(Work):
    """A receive's Work knows who sent the message once it arrived (for src=None)."""

    def __init__(self, op_name, pg, buf, peer, tag):
        MPI = mpi()
        super().__init__(op_name, [pg.comm.Irecv(buf, MPI.ANY_SOURCE if peer is None else peer, tag)], pg)
        self._status = MPI.Status()
        self._statuses = [self._status]
        self._peer_group_rank = peer

    def source_rank(self):
        """The global rank the message came from."""
        self.wait()
        if self._peer_group_rank is not None:
            return self._group.ranks[self._peer_group_rank]
        return self._group.ranks[self._status.Get_source()]


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Starts receiving into `tensor` from rank `src` (None: any rank); returns a Work."""
    return _start_recv("irecv", tensor, src, group, tag, group_src)


def _start_recv(op_name, tensor, src, group, tag, group_src):
    pg = resolve(group)
    if not pg.is_member():
        return None
    _check_tag(op_name, tag)
    peer = None if src is None and group_src is None else _peer(op_name, pg, src, group_src, "src")
    if nccl.handles(pg, tensor):
        if peer is None:
            raise ValueError(f"ember.distributed.{op_name}: the nccl backend receives from a named rank: pass src")
        work = nccl.recv(pg, tensor, peer)
        work.source_rank = lambda: pg.ranks[peer]
        return work
    work = _RecvWork(op_name, pg, buffer(op_name, tensor), peer, tag)
    tensor._bump_version()  # an in-place write (see collectives._launch)
    return work


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Sends `tensor` to rank `dst` and waits until its memory may be reused."""
    work = _start_send("send", tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receives into `tensor` from rank `src` (None: any rank); returns the sender's global rank
    (-1 on a rank outside `group`, as torch)."""
    work = _start_recv("recv", tensor, src, group, tag, group_src)
    if work is None:
        return -1
    work.wait()
    return work.source_rank()
