"""ember.distributed's errors and faults: calls before init_process_group, backends that are not
built, ranks that disagree with the environment, user mistakes inside a running group (rank
script distributed_scripts/errors.py), the debug-mode mismatch reports, and a rank that dies,
raises or stalls, which must end the job with an error instead of a hang (faults.py)."""
import re
import subprocess
import sys
import time

import pytest

import ember
import ember.distributed as dist
from distributed_helpers import check, mpiexec, needs_mpi, rank_env
from common import read  # noqa: I100 (distributed_scripts/)

NOT_INIT = "Default process group has not been initialized, please make sure to call init_process_group."


@pytest.mark.parametrize("call", [
    lambda: dist.get_rank(), lambda: dist.get_world_size(), lambda: dist.barrier(), lambda: dist.get_backend(),
    lambda: dist.all_reduce(ember.ones(2)), lambda: dist.broadcast(ember.ones(2), src=0),
    lambda: dist.send(ember.ones(2), dst=1), lambda: dist.new_group([0]), lambda: dist.destroy_process_group(),
    lambda: ember.nn.parallel.DistributedDataParallel(ember.nn.Linear(2, 2))])
def test_calls_before_init_raise_torchs_error(call):
    assert not dist.is_initialized()
    with pytest.raises(ValueError) as e:
        call()
    assert str(e.value) == NOT_INIT


def test_backends_that_cannot_be_used_here():
    assert dist.is_available() == dist.is_mpi_available() == dist.is_gloo_available()
    if not ember.cuda.is_available():
        assert not dist.is_nccl_available()
        with pytest.raises(RuntimeError, match=r"the nccl backend \(CUDA tensors\) is not available here: .+ For CPU "
                                               r"tensors use backend='mpi'"):
            dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="Invalid backend: 'tcp'"):
        dist.init_process_group("tcp")
    assert not dist.is_initialized() and dist.Backend("MPI") == dist.Backend.MPI == "mpi"


def test_cuda_tensors_are_refused_by_the_mpi_backend():
    from ember.distributed._mpi_types import check_tensor

    class OnCuda(ember.Tensor):  # a CPU tensor that says it is on a GPU: no GPU needed to test the check
        @property
        def device(self):
            return ember.device("cuda")
    with pytest.raises(RuntimeError, match=r"all_reduce: tensor is on cuda:0, but the mpi backend takes CPU "
                                           r"tensors only .* init_process_group\('nccl'\) for GPU tensors"):
        check_tensor("all_reduce", OnCuda(ember.ones(3)))


@needs_mpi
@pytest.mark.parametrize("env,args,message", [
    ({"WORLD_SIZE": "2"}, "", "the environment \\(WORLD_SIZE\\) says world size 2, but MPI started this process as "
                              "world size 1"),
    ({"RANK": "1"}, "", "the environment \\(RANK\\) says rank 1, but MPI started this process as rank 0"),
    ({}, "world_size=4", "world_size= says world size 4, but MPI started this process as world size 1"),
])
def test_ranks_that_disagree_with_mpi(env, args, message):
    # A plain `python` is an MPI world of one (as under torchrun); the env or the arguments say more.
    code = f"import ember.distributed as d; d.init_process_group('mpi', {args})"
    proc = subprocess.run([sys.executable, "-c", code], env=rank_env(**env), capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode != 0
    assert re.search(message, proc.stderr), proc.stderr
    assert "ember run -n N script.py" in proc.stderr


@needs_mpi
def test_mistakes_inside_a_group(tmp_path):
    check(mpiexec("errors.py", tmp_path))
    for rank in range(2):
        _, e = read(tmp_path, rank)
        assert e["bad_op"][0] == "ValueError" and "op must be an ember.distributed.ReduceOp" in e["bad_op"][1]
        assert e["avg_int"][0] == "ValueError" and "ReduceOp.AVG needs a floating tensor, got int64" in e["avg_int"][1]
        assert e["non_contiguous"] == ["RuntimeError", "ember.distributed.all_reduce: tensor has to be contiguous "
                                       "(shape (4, 3), strides (1, 4)), as torch's MPI backend requires: pass "
                                       "t.contiguous() and copy the result back"]
        assert e["not_a_tensor"][0] == "TypeError" and "must be an ember.Tensor, got list" in e["not_a_tensor"][1]
        assert "tensor_list must be a list of 2 tensors (one per rank of the group), got 1" in e["gather_list_size"][1]
        assert "tensor_list[0] has shape (3,) int64, but the tensor has shape (3,) float32" in e["gather_list_dtype"][1]
        assert "output_tensor of shape (5,) must hold world size (2) times the elements" in e["into_tensor_size"][1]
        assert "src=2 is not a rank of the group (its global ranks are [0, 1])" in e["src_outside"][1]
        assert "a rank cannot send to itself" in e["send_to_self"][1]
        assert e["init_twice"] == ["ValueError", "trying to initialize the default process group twice!"]
        assert e["debug_shape"] == ["RuntimeError", "all_reduce: rank 0 has shape (4, 3) float32, rank 1 has shape "
                                    "(3,) float32 (EMBER_DISTRIBUTED_DEBUG=DETAIL: every rank must pass the same "
                                    "shape and dtype)"]
        assert "rank 0 has shape (2,) float64, rank 1 has shape (2,) float32" in e["debug_dtype"][1]
        assert "rank 0 called all_reduce with shape (2,) float32, rank 1 called broadcast" in e["debug_op"][1]
        assert "rank 0 has shape (2,) float32, rank 1 has shape (3,) float32" in e["torch_debug_shape"][1]
        assert e["after_debug"] == [2.0, 2.0]


def _faulty_run(mode, tmp_path):
    start = time.monotonic()
    proc = mpiexec("faults.py", mode, tmp_path, timeout=60)
    notes = {r: (tmp_path / f"rank{r}.txt").read_text() if (tmp_path / f"rank{r}.txt").exists() else ""
             for r in range(2)}
    return proc, time.monotonic() - start, notes


@needs_mpi
def test_a_stalled_rank_is_a_timeout_error_not_a_hang(tmp_path):
    proc, seconds, notes = _faulty_run("sleep", tmp_path)
    assert proc.returncode != 0 and seconds < 30, (proc.returncode, seconds)
    assert "ember.distributed: all_reduce timed out after 3s on rank 0 of 2: a peer rank may have died or not " \
           "called all_reduce" in proc.stderr
    assert notes[0] == "first all_reduce [2.0, 2.0, 2.0, 2.0]\n"  # and never a second one


@needs_mpi
@pytest.mark.parametrize("mode", ["raise", "exit", "kill"])
def test_a_rank_that_dies_ends_the_job(mode, tmp_path):
    proc, seconds, notes = _faulty_run(mode, tmp_path)
    assert proc.returncode != 0 and seconds < 30, (proc.returncode, seconds)
    assert notes[1] == "first all_reduce [2.0, 2.0, 2.0, 2.0]\n"  # they did run together first
    assert "second" not in notes[0]
    if mode == "raise":  # the traceback is shown, then MPI_Abort takes the job down
        assert "ValueError: rank 1 fails on purpose" in proc.stderr
