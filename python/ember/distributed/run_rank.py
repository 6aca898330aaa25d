"""The bootstrap every rank of `ember run` starts in (Note [Launching through mpiexec] in
launch.py): `python -m ember.distributed.run_rank [-m] target args...` exports torchrun's
variables for this rank, then runs the target as `python target args...` (or `python -m`) would.

Its rank comes from the process manager's environment, read without initialising MPI (that
happens at init_process_group, as in any MPI program): MPICH's hydra sets PMI_RANK / PMI_SIZE and
MPI_LOCALRANKID / MPI_LOCALNRANKS, Open MPI sets OMPI_COMM_WORLD_*; with neither, mpi4py is asked.
A rank that exits with an error while MPI is up aborts the whole job, so its peers do not wait out
their timeout for it (an uncaught exception already does, through init_process_group's hook; this
covers sys.exit(nonzero) too)."""
import os
import runpy
import sys
import time

_SOURCES = (  # (rank, size, local rank, local size)
    ("PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS"),
    ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_SIZE"),
)


def rank_and_size():
    """(rank, world size, local rank, local world size) of this process."""
    for rank, size, local, local_size in _SOURCES:
        if rank in os.environ and size in os.environ:
            r, n = int(os.environ[rank]), int(os.environ[size])
            return r, n, int(os.environ.get(local, r)), int(os.environ.get(local_size, n))
    from mpi4py import MPI
    world = MPI.COMM_WORLD
    node = world.Split_type(MPI.COMM_TYPE_SHARED)
    return world.Get_rank(), world.Get_size(), node.Get_rank(), node.Get_size()


def export_rank_environment():
    rank, size, local, local_size = rank_and_size()
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(size), LOCAL_RANK=str(local),
                      LOCAL_WORLD_SIZE=str(local_size), GROUP_RANK=str(rank // max(1, local_size)),
                      EMBER_RUN="1")
    return rank, size


def _abort_if_mpi_is_up(code):
    MPI = sys.modules.get("mpi4py.MPI")
    if MPI is not None and MPI.Is_initialized() and not MPI.Is_finalized() and MPI.COMM_WORLD.Get_size() > 1:
        sys.stdout.flush()
        sys.stderr.flush()
        time.sleep(0.3)  # let mpiexec forward what this rank printed (see _abort_if_broken in work.py)
        MPI.COMM_WORLD.Abort(code)


def main(argv):
    module = argv[:1] == ["-m"]
    if module:
        argv = argv[1:]
    if not argv:
        print("usage: python -m ember.distributed.run_rank [-m] script.py|module args...", file=sys.stderr)
        return 2
    export_rank_environment()
    target, args = argv[0], argv[1:]
    try:
        if module:
            sys.argv = [target, *args]
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.argv = [target, *args]
            sys.path[0] = os.path.dirname(os.path.abspath(target))
            runpy.run_path(target, run_name="__main__")
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if code:
            if not isinstance(e.code, int) and e.code is not None:
                print(e.code, file=sys.stderr)
            _abort_if_mpi_is_up(code)
        return code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
