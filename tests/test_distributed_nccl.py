"""The nccl backend of ember.distributed (Note [Two communicators per group],
python/ember/distributed/nccl.py) on 2 ranks, each with its own CUDA device: in CI the emulated
device and the emulated NCCL (Note [The emulated NCCL], tools/cuda_emu/nccl_emu.cpp), on a GPU
machine the real ones. References are computed here with NumPy and one process."""
import functools

import numpy as np
import pytest

import ember
from ember import nn, optim
from distributed_helpers import check, mpiexec, needs_mpi
from common import global_batch, mlp, read, sample, weights  # noqa: I100 (distributed_scripts/)

pytestmark = [needs_mpi, pytest.mark.gpu]
WORLD = 2
REDUCE = {"SUM": np.add, "PRODUCT": np.multiply, "MIN": np.minimum, "MAX": np.maximum}


def needs_a_device_per_rank():
    # Each emulated rank has its own device; on real GPUs NCCL refuses two ranks on one.
    if ember.cuda.is_available() and not ember.cuda.is_emulated() and ember.cuda.device_count() < WORLD:
        pytest.skip(f"NCCL needs a GPU per rank: {WORLD} ranks, {ember.cuda.device_count()} GPU")


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    needs_a_device_per_rank()
    out = tmp_path_factory.mktemp("nccl")
    check(mpiexec("nccl_collectives.py", out, timeout=120))
    return [read(out, r) for r in range(WORLD)]


def _reduce(op, inputs):
    if op == "AVG":
        return functools.reduce(np.add, inputs) / np.array(len(inputs), dtype=inputs[0].dtype)
    if inputs[0].dtype == bool:
        return functools.reduce(np.logical_or if op == "SUM" else np.logical_and, inputs)
    return functools.reduce(REDUCE[op], inputs)


def _expected(key, rank):
    parts = key.split("/")
    name, s = parts[0], int(parts[-1])
    every = lambda dtype, shape=(3, 4): [sample(r, dtype, s, shape) for r in range(WORLD)]  # noqa: E731
    if name == "all_reduce":
        return _reduce(parts[1], every(parts[2]))
    if name == "broadcast":
        return sample(WORLD - 1, parts[1], s)
    if name == "all_gather":
        return np.stack(every(parts[1]))
    if name == "all_gather_into_tensor":
        return np.concatenate(every(parts[1]))
    if name == "reduce_scatter_tensor":
        return _reduce(parts[1], every(parts[2], (WORLD * 3, 4)))[3 * rank:3 * rank + 3]
    if name == "reduce":
        return _reduce(parts[1], every(parts[2])) if rank == WORLD - 1 else sample(rank, parts[2], s)
    if name == "gather":
        return np.stack(every(parts[1]))
    if name == "scatter":
        return sample(0, parts[1], s, (WORLD, 3, 4))[rank]
    if name == "ring":
        return sample((rank - 1) % WORLD, "float64", s)
    if name == "group_evens_all_reduce":
        return sample(rank, "float32", s)  # rank 0 alone in the evens of a world of 2: unchanged
    raise AssertionError(f"no reference for {key}")


def test_every_collective_on_the_device_matches_numpy(ranks):
    seen = set()
    for rank, (arrays, info) in enumerate(ranks):
        assert info["backend"] == "nccl" and info["nccl_available"]
        for key, got in arrays.items():
            if key.startswith("ddp/"):
                continue
            want = _expected(key, rank) if not (key.startswith("group_") and rank % 2) else None
            if want is None:
                continue
            assert got.dtype == want.dtype and got.shape == want.shape, key
            np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=key)
            seen.add("/".join(key.split("/")[:2]) if key.startswith("all_reduce") else key.split("/")[0])
    assert {"all_reduce/SUM", "all_reduce/AVG", "all_reduce/PRODUCT", "all_reduce/MIN", "all_reduce/MAX", "broadcast",
            "all_gather", "all_gather_into_tensor", "reduce_scatter_tensor", "reduce", "gather", "scatter", "ring",
            "group_evens_all_reduce"} <= seen
    assert all(info[f"reduce_untouched_{d}"] for _, info in ranks for d in ("float32", "int64"))
    assert [info["recv_from"] for _, info in ranks] == [1, 0]


def test_cpu_tensors_and_sub_groups_on_an_nccl_group(ranks):
    assert [info["cpu_sum"] for _, info in ranks] == [3.0, 3.0]  # 1 + 2, over MPI
    assert ranks[0][1]["evens_backend"] == "nccl"


def test_ddp_on_the_device_matches_one_process_on_the_whole_batch(ranks):
    model = mlp(seed=0)  # rank 0's initial weights, which DDP broadcast
    opt = optim.SGD(model.parameters(), lr=0.1)
    for step in range(5):
        x, y = global_batch(step, WORLD)
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    for arrays, _ in ranks:
        for k, v in weights(model).items():
            np.testing.assert_allclose(arrays[f"ddp/{k}"], v, rtol=1e-4, atol=1e-5, err_msg=k)


def test_a_stalled_peer_ends_the_job_through_the_watchdog(tmp_path):
    needs_a_device_per_rank()
    proc = mpiexec("nccl_stall.py", timeout=60)
    assert proc.returncode != 0
    assert "NCCL watchdog on rank 0 of 2" in proc.stderr and "a peer rank may have died" in proc.stderr
    assert "reached the end" not in proc.stdout


def test_a_world_of_one_on_any_gpu():
    proc = check(mpiexec("nccl_world_of_one.py", n=1, timeout=120))
    assert "world of one: ok" in proc.stdout
