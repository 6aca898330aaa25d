"""`ember run -n N script.py args...`: starts N ranks of a script through mpiexec, each with the
environment torchrun gives its workers (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
MASTER_ADDR, MASTER_PORT), so a script written for torchrun + init_process_group runs with
backend="mpi" (or backend=None) unchanged.

Note [Launching through mpiexec]: mpiexec starts the processes (on this host, or on the hosts of
--hostfile) and MPI gives each its rank; mpiexec runs the same command everywhere, so each rank
starts in a tiny bootstrap (run_rank.py) that reads its rank from the process manager's variables
(PMI_RANK... for MPICH's hydra, OMPI_COMM_WORLD_RANK... for Open MPI), exports torchrun's
variables, and then runs the script as `python script.py` would. MASTER_ADDR/MASTER_PORT are set
for scripts that read them; MPI does its own rendezvous and does not use them. mpiexec ends the
whole job when a rank exits with an error, and returns that rank's exit code, which `ember run`
returns too.

Threads: each rank runs its kernels on OMP_NUM_THREADS threads. torchrun sets 1 when several
processes share a host; ember gives each rank its share of the cores instead
(cores // ranks per host, at least 1), since one thread per rank leaves cores idle when there are
fewer ranks than cores. An OMP_NUM_THREADS already set is kept."""
import os
import shutil
import socket
import subprocess
import sys
import sysconfig

INSTALL_HINT = "pip install 'ember[distributed]'"


def find_mpiexec():
    """The mpiexec to use, or a RuntimeError saying how to get one."""
    import importlib.util
    if importlib.util.find_spec("mpi4py") is None:
        raise RuntimeError(f"ember run needs mpi4py, which is not installed: {INSTALL_HINT} (mpi4py and the mpich "
                           f"wheel, which provides mpiexec)")
    # The mpiexec installed with this Python's packages first (the mpich wheel's, the one mpi4py
    # was installed against), then PATH: another MPI's mpiexec would start N worlds of one rank,
    # which init_process_group then reports (RANK/WORLD_SIZE disagree with MPI).
    here = [os.path.join(d, "mpiexec") for d in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable))]
    path = next((p for p in here if os.access(p, os.X_OK)), None) or shutil.which("mpiexec")
    if path is None:
        raise RuntimeError(f"ember run needs mpiexec, which is not on PATH: {INSTALL_HINT} (the mpich wheel "
                           f"provides it) or install an MPI (e.g. apt-get install mpich)")
    return path


def _free_port():
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def rank_command(nproc, target, args, module=False, hostfile=None):
    """The mpiexec command line that starts `target` (a script path, or a module with module=True)."""
    cmd = [find_mpiexec(), "-n", str(nproc)]
    if hostfile:
        cmd += ["-f", hostfile]
    return cmd + [sys.executable, "-m", "ember.distributed.run_rank"] + (["-m"] if module else []) + \
        [target, *args]


def rank_environment(nproc, hostfile=None):
    env = dict(os.environ)
    env.setdefault("MASTER_ADDR", socket.gethostname() if hostfile else "127.0.0.1")
    env.setdefault("MASTER_PORT", str(_free_port()))
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // max(1, nproc))) if not hostfile
                   else "1")
    # The ranks import the ember this process imported (a source tree on PYTHONPATH included).
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if here not in paths:
        env["PYTHONPATH"] = os.pathsep.join([here] + paths)
    for stale in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE"):
        env.pop(stale, None)  # the bootstrap sets them per rank
    return env


def run(nproc, target, args=(), module=False, hostfile=None, timeout=None):
    """Runs the ranks to the end; returns mpiexec's exit code (0 when every rank succeeded)."""
    if not isinstance(nproc, int) or nproc < 1:
        raise ValueError(f"ember run: -n must be a positive number of ranks, got {nproc!r}")
    if not module and not os.path.exists(target):
        raise FileNotFoundError(f"ember run: no such script: {target}")
    cmd = rank_command(nproc, target, list(args), module, hostfile)
    try:
        return subprocess.run(cmd, env=rank_environment(nproc, hostfile), timeout=timeout).returncode
    except KeyboardInterrupt:  # mpiexec got the same Ctrl-C and stops the ranks
        return 130
