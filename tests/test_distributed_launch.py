"""`ember run -n N script.py args` and `ember train --nproc N`, end to end through mpiexec."""
import ast
import csv
import json
import os
import re
import subprocess
import sys
import time

import pytest

import ember
from distributed_helpers import SCRIPTS, needs_mpi, rank_env

pytestmark = needs_mpi


def ember_cli(*args, timeout=120, cwd=None, **env):
    env = {k: str(v) for k, v in env.items()}
    return subprocess.run([sys.executable, "-m", "ember", *map(str, args)], env=rank_env(**env), cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def test_ember_run_sets_torchruns_environment(tmp_path):
    proc = ember_cli("run", "-n", 2, os.path.join(SCRIPTS, "torchrun_style.py"), "--lr", "0.1", "-n", "x",
                     REPORT_DIR=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = [(tmp_path / f"rank{r}.txt").read_text() for r in range(2)]
    for rank, line in enumerate(lines):
        m = re.match(r"rank (\d)/(\d) env=(\{.*\}) sum=(\S+) argv=(\[.*\]) script_dir_on_path=(\w+)", line)
        assert m, line
        env = ast.literal_eval(m.group(3))
        assert (int(m.group(1)), int(m.group(2))) == (rank, 2)
        assert env["RANK"] == str(rank) and env["WORLD_SIZE"] == "2" and env["LOCAL_RANK"] == str(rank)
        assert env["LOCAL_WORLD_SIZE"] == "2" and env["MASTER_ADDR"] and env["MASTER_PORT"].isdigit()
        assert float(m.group(4)) == 1.0  # 0 + 1: the ranks really talked
        assert ast.literal_eval(m.group(5)) == ["--lr", "0.1", "-n", "x"]  # the script's own arguments, untouched
        assert m.group(6) == "True"  # as `python script.py`: the script's folder comes first on sys.path


def test_ember_run_returns_a_failing_ranks_exit_code_without_waiting(tmp_path):
    start = time.monotonic()
    proc = ember_cli("run", "-n", 2, os.path.join(SCRIPTS, "torchrun_style.py"), "fail", REPORT_DIR=tmp_path)
    # sys.exit(3) on rank 1 aborts the job at once (rank 0 would otherwise wait 30 min in barrier)
    assert proc.returncode == 3 and time.monotonic() - start < 30, (proc.returncode, proc.stderr)


def test_ember_run_errors():
    proc = ember_cli("run", "-n", 2, "no_such_script.py")
    assert proc.returncode == 1 and "ember run: error: ember run: no such script: no_such_script.py" in proc.stderr
    proc = ember_cli("run", "script.py")
    assert proc.returncode == 2 and "-n/--nproc" in proc.stderr


def test_missing_mpi_says_what_to_install(monkeypatch):
    import importlib.util
    import shutil

    from ember.distributed import launch
    monkeypatch.setattr(launch.os, "access", lambda path, mode: False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match=r"ember run needs mpiexec, which is not on PATH: pip install "
                                           r"'ember\[distributed\]'"):
        launch.find_mpiexec()
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mpi4py" else real(name, *a))
    with pytest.raises(RuntimeError, match=r"ember run needs mpi4py, which is not installed: pip install "
                                           r"'ember\[distributed\]'"):
        launch.find_mpiexec()


def test_train_on_two_ranks_writes_one_run_folder(tmp_path):
    proc = ember_cli("train", "--nproc", 2, "--epochs", 3, "--out", tmp_path / "run", cwd=tmp_path, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert sorted(os.listdir(tmp_path)) == ["run"]  # one folder, and no stray default runs/ from rank 1
    files = set(os.listdir(tmp_path / "run"))
    assert {"model.safetensors", "metrics.csv", "config.json", "loss.png", "index.html"} <= files
    # Rank 0 alone talks: one header line, one line per epoch.
    assert proc.stdout.count("epochs of global batch 64 (32 on each of 2 ranks)") == 1
    assert proc.stdout.count("epoch    3 ") == 1
    with open(tmp_path / "run" / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 and float(rows[-1]["test_acc"]) > 0.8  # spirals: 1 process reaches ~0.9 in 3 epochs
    assert json.load(open(tmp_path / "run" / "config.json"))["nproc"] == 2
    proc = ember_cli("eval", "--checkpoint", tmp_path / "run")
    assert proc.returncode == 0 and "test loss" in proc.stdout


@pytest.mark.gpu
def test_train_on_two_gpu_ranks_over_nccl(tmp_path):
    if not ember.cuda.is_emulated() and ember.cuda.device_count() < 2:
        pytest.skip("NCCL needs a GPU per rank")
    proc = ember_cli("train", "--nproc", 2, "--device", "cuda", "--epochs", 2, "--out", tmp_path / "run", cwd=tmp_path,
                     timeout=300)
    assert proc.returncode == 0, proc.stderr
    with open(tmp_path / "run" / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 and float(rows[-1]["test_acc"]) > 0.6
    assert json.load(open(tmp_path / "run" / "config.json"))["device"] == "cuda"


def test_train_nproc_names_the_device_to_pass():
    proc = ember_cli("train", "--nproc", 2, "--device", "cuda:1", "--epochs", 1)
    assert proc.returncode != 0 and "each rank takes its own GPU" in proc.stderr
