"""Every collective and point-to-point op of ember.distributed (mpi backend) on 2 and 3 ranks,
sync and async, float32/float64/int64 (and int32, bool for all_reduce), sub-groups included, against
NumPy references computed here from the same inputs (distributed_scripts/common.sample)."""
import functools

import numpy as np
import pytest

from distributed_helpers import check, mpiexec, needs_mpi
from common import read, sample  # noqa: I100 (distributed_scripts/)

pytestmark = needs_mpi
REDUCE = {"SUM": np.add, "PRODUCT": np.multiply, "MIN": np.minimum, "MAX": np.maximum, "BAND": np.bitwise_and,
          "BOR": np.bitwise_or, "BXOR": np.bitwise_xor}


@pytest.fixture(scope="module", params=[2, 3], ids=lambda n: f"{n}ranks")
def ranks(request, tmp_path_factory):
    n = request.param
    out = tmp_path_factory.mktemp(f"collectives{n}")
    check(mpiexec("collectives.py", out, n=n, timeout=120))
    return n, [read(out, r) for r in range(n)]


def _reduce(op, inputs):
    if op == "AVG":
        return functools.reduce(np.add, inputs) / np.array(len(inputs), dtype=inputs[0].dtype)
    if inputs[0].dtype == bool:
        return functools.reduce(np.logical_or if op in ("SUM", "MAX") else np.logical_and, inputs)
    return functools.reduce(REDUCE[op], inputs)


def _expected(key, rank, world):
    parts = key.split("/")
    name, s = parts[0], int(parts[-1]) if parts[-1].isdigit() else None
    every = lambda dtype, shape=(3, 4): [sample(r, dtype, s, shape) for r in range(world)]  # noqa: E731
    if name == "all_reduce":
        return _reduce(parts[1], every(parts[2]))
    if name == "broadcast":
        return sample(world - 1, parts[1], s)
    if name in ("all_gather", "gather"):
        return np.stack(every(parts[1]))
    if name == "all_gather_into_tensor":
        return np.concatenate(every(parts[1]))
    if name == "all_gather_into_tensor_stacked":
        return np.stack([x[:3] for x in every(parts[1], (world * 3, 4))])
    if name == "reduce_scatter_tensor":
        return _reduce(parts[1], every(parts[2], (world * 3, 4)))[3 * rank:3 * rank + 3]
    if name == "reduce":
        return _reduce(parts[1], every(parts[2]))
    if name == "scatter":
        return sample(0, parts[1], s, (world, 3, 4))[rank]
    if name == "ring":
        return sample((rank - 1) % world, "float64", s)
    if name == "from_any":
        return np.array([int(parts[1]), 10 * int(parts[1])])
    if name == "group_evens_all_reduce":
        evens = [sample(r, "float32", s) for r in range(0, world, 2)]
        return functools.reduce(np.add, evens) if rank % 2 == 0 else sample(rank, "float32", s)
    if name == "group_rest_broadcast":
        return sample(world - 1, "int64", s) if rank > 0 else sample(0, "int64", s)
    raise AssertionError(f"no reference for {key}")


def test_every_result_matches_numpy(ranks):
    world, results = ranks
    seen = set()
    for rank, (arrays, _) in enumerate(results):
        for key, got in arrays.items():
            want = _expected(key, rank, world)
            assert got.dtype == want.dtype and got.shape == want.shape, key
            if got.dtype.kind == "f":  # 3 ranks may sum in another order than NumPy
                np.testing.assert_allclose(got, want, rtol=1e-6 if got.dtype == np.float32 else 1e-14, err_msg=key)
            else:
                np.testing.assert_array_equal(got, want, err_msg=key)
            seen.add(key.split("/")[0] + ("/" + key.split("/")[1] if key.startswith("all_reduce") else ""))
    ops = {"all_reduce/SUM", "all_reduce/AVG", "all_reduce/PRODUCT", "all_reduce/MIN", "all_reduce/MAX",
           "all_reduce/BAND", "all_reduce/BOR", "all_reduce/BXOR", "broadcast", "all_gather",
           "all_gather_into_tensor", "all_gather_into_tensor_stacked", "reduce_scatter_tensor", "reduce", "gather",
           "scatter", "ring", "from_any", "group_evens_all_reduce", "group_rest_broadcast"}
    assert ops <= seen, ops - seen
    # sync and async both ran for each dtype
    keys = set(results[0][0])
    for dtype in ("float32", "float64", "int64"):
        for mode in ("sync", "async"):
            assert any(k.startswith(f"all_reduce/SUM/{dtype}/{mode}/") for k in keys)


def test_group_membership_and_small_cases(ranks):
    world, results = ranks
    for rank, (_, info) in enumerate(results):
        assert (info["rank"], info["world"], info["backend"]) == (rank, world, "mpi")
        assert info["zero_dim_sum"] == sum(range(1, world + 1)) and info["empty_shape"] == [0, 3]
        if rank % 2 == 0:
            assert (info["evens_rank"], info["evens_size"]) == (rank // 2, (world + 1) // 2)
        else:  # outside the group: torch's -1, and collectives on it do nothing
            assert (info["evens_rank"], info["evens_size"]) == (-1, -1)
        assert info["rest_rank"] == (rank - 1 if rank else -1)
        assert info["initialized_after_destroy"] == [True, False]
        assert info["inplace_detected"]  # the all_reduce bumped the saved tensor's version
    assert results[0][1]["senders"] == list(range(1, world))
