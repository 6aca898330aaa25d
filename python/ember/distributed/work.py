"""Work: the handle of a collective or point-to-point operation in flight (what async_op=True
returns, as torch.distributed's Work), and the deadline that keeps a dead peer from hanging a rank.

Note [No collective blocks forever]: a blocking MPI call (MPI_Allreduce ...) waits in C for every
peer and ignores signals, so a rank whose peer died or never calls the collective would hang until
someone kills the job. Every operation here is therefore started as a nonblocking request
(Iallreduce, Ibcast, Isend ...) and waited for by polling MPI_Test against the process group's
timeout (init_process_group(timeout=)); MPI makes progress inside those Test calls. Past the
deadline the rank raises a RuntimeError that names the op, the rank and the timeout. The
communicator is then unusable (the request is still pending inside MPI), so the group is marked
broken: later operations raise at once, and when the process exits it calls MPI_Abort instead of
MPI_Finalize (which would wait for the dead peer), so mpiexec tears the whole job down. A rank that
dies (os._exit, a signal) is noticed by mpiexec itself, which then kills the others; a rank that
raises out of a script run by `ember run` aborts the job the same way (run_rank.py).

The polling spins for the first millisecond (a collective between live ranks on free cores is
usually done by then, and a sleep would add its wake-up latency to every step), then yields the
core between tests for 20 ms (a peer sharing this core gets to run), and then sleeps in growing
steps up to 1 ms, so a rank waiting on a slow or absent peer costs next to nothing."""
import atexit
import os
import sys
import time

from ._mpi_types import mpi

_SPIN_SECONDS = 1e-3
_YIELD_SECONDS = 2e-2
_MAX_SLEEP = 1e-3
_FORWARD_SECONDS = 0.3
_state = {"broken": None, "abort_registered": False}


class DistBackendError(RuntimeError):
    """A collective failed or timed out (torch.distributed.DistBackendError is a RuntimeError too)."""


def broken_reason():
    return _state["broken"]


def mark_broken(reason):
    _state["broken"] = reason
    register_abort_at_exit()


def register_abort_at_exit():
    """Registered after mpi4py was imported, so it runs before mpi4py's MPI_Finalize."""
    if not _state["abort_registered"]:
        _state["abort_registered"] = True
        atexit.register(_abort_if_broken)


def _abort_if_broken():
    if _state["broken"] is None:
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001  a closed stream must not stop the abort
            pass
    # The traceback is in the pipe to mpiexec, but MPI_Abort makes mpiexec kill the job, and its
    # forwarder may not have read the pipe yet (seen under load: the message cut after a line).
    time.sleep(_FORWARD_SECONDS)
    mpi().COMM_WORLD.Abort(1)


class Work:
    """One operation in flight: wait() blocks until it is done (or raises past the group's
    timeout), is_completed() asks without blocking. `finish` runs once, after the data arrived
    (AVG's division, copying a staging buffer out)."""

    def __init__(self, op_name, requests, group, finish=None, result=None):
        self._op_name = op_name
        self._requests = list(requests)
        self._group = group
        self._finish = finish
        self._result = result if result is not None else []
        self._done = False
        self._exception = None
        self._statuses = None  # a list of MPI.Status to fill, where the caller wants them (recv)

    def _complete(self):
        self._done = True
        if self._finish is not None:
            finish, self._finish = self._finish, None
            finish()

    def is_completed(self):
        if self._done:
            return True
        if mpi().Request.Testall(self._requests, self._statuses):
            self._complete()
        return self._done

    def wait(self, timeout=None):
        """Blocks until done; returns True as torch's. `timeout` (a timedelta or seconds) overrides
        the group's for this wait."""
        if self._exception is not None:
            raise self._exception
        if self._done:
            return True
        limit = self._group.timeout_seconds if timeout is None else _seconds(timeout)
        deadline = time.monotonic() + limit
        began = time.monotonic()
        sleep = 1e-4
        Testall = mpi().Request.Testall
        while not Testall(self._requests, self._statuses):
            now = time.monotonic()
            if now > deadline:
                self._exception = timeout_error(self._op_name, self._group, limit)
                mark_broken(str(self._exception))
                raise self._exception
            if now - began > _YIELD_SECONDS:
                time.sleep(sleep)
                sleep = min(sleep * 2, _MAX_SLEEP)
            elif now - began > _SPIN_SECONDS:
                os.sched_yield()
        self._complete()
        return True

    def is_success(self):
        return self._done and self._exception is None

    def exception(self):
        return self._exception

    def result(self):
        """The output tensors, as torch's Work.result()."""
        self.wait()
        return self._result

    def synchronize(self):
        self.wait()

    def __repr__(self):
        return f"<ember.distributed.Work {self._op_name} {'done' if self._done else 'pending'}>"


def timeout_error(op_name, group, seconds):
    return DistBackendError(
        f"ember.distributed: {op_name} timed out after {seconds:g}s on rank {group.global_rank} of "
        f"{group.world_size_global}: a peer rank may have died or not called {op_name} "
        f"(timeout= of init_process_group sets the limit); the process group is no longer usable and this "
        f"process will abort the MPI job when it exits")


def _seconds(timeout):
    return timeout.total_seconds() if hasattr(timeout, "total_seconds") else float(timeout)


def wait_all(works):
    for w in works:
        w.wait()
