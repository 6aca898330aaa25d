"""Starting rank scripts (tests/distributed_scripts/) under mpiexec from pytest: each test
launches a few ranks in a subprocess with a timeout, and reads what they wrote or printed."""
import os
import subprocess
import sys

import pytest

import ember
from ember.distributed.launch import find_mpiexec

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "distributed_scripts")
# The ranks import the same ember as this process (a source tree or an installed package).
EMBER_PATH = os.path.dirname(os.path.dirname(os.path.abspath(ember.__file__)))
sys.path.insert(0, SCRIPTS)  # the test files share the scripts' models and data (common.py)
try:
    MPIEXEC = find_mpiexec()  # as `ember run` finds it (the mpich wheel's, beside this Python, first)
except RuntimeError:
    MPIEXEC = None
HAVE_MPI = MPIEXEC is not None
needs_mpi = pytest.mark.skipif(not HAVE_MPI, reason="needs mpi4py and mpiexec: pip install 'ember[distributed]'")


def rank_env(**extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([EMBER_PATH, SCRIPTS] + [p for p in [env.get("PYTHONPATH")] if p])
    env["OMP_NUM_THREADS"] = "1"  # two ranks on two cores
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "EMBER_DISTRIBUTED_DEBUG", "TORCH_DISTRIBUTED_DEBUG"):
        env.pop(k, None)
    env.update(extra)
    return env


def mpiexec(script, *args, n=2, timeout=60, **env):
    """Runs `script` on n ranks; returns the CompletedProcess (stdout and stderr as text)."""
    cmd = [MPIEXEC, "-n", str(n), sys.executable, os.path.join(SCRIPTS, script), *map(str, args)]
    return subprocess.run(cmd, env=rank_env(**env), capture_output=True, text=True, timeout=timeout)


def check(proc):
    assert proc.returncode == 0, f"ranks failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc
