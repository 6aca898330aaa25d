"""DistributedDataParallel on 2 ranks against one process: the rank script
(distributed_scripts/ddp_train.py) trains and reports; the references are computed here, in
one process without ember.distributed, on the whole batch."""
import numpy as np
import pytest

import ember
from ember import nn, optim
from distributed_helpers import check, mpiexec, needs_mpi
from common import IN, PER_RANK, global_batch, grads, mlp, read, weights  # noqa: I100 (distributed_scripts/)

pytestmark = needs_mpi
WORLD = 2


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    check(mpiexec("ddp_train.py", out, timeout=120))
    return out, [read(out, r) for r in range(WORLD)]


def test_ddp_matches_one_process_on_the_whole_batch(ranks):
    _, results = ranks
    model = mlp(seed=0)  # rank 0's initial weights, which DDP broadcast
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()  # the mean over the whole batch: DDP averages the ranks' gradients
    for step in range(20):
        x, y = global_batch(step, WORLD)
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    expected = weights(model)
    assert results[0][1]["buckets_small"] == 3 and results[0][1]["buckets_default"] == 1
    for arrays, _ in results:
        for k, v in expected.items():
            np.testing.assert_allclose(arrays[f"train/{k}"], v, rtol=1e-4, atol=1e-5, err_msg=k)
    # Not a trivially passing comparison: one rank's half-batch gives other weights.
    alone = mlp(seed=0)
    opt = optim.SGD(alone.parameters(), lr=0.1, momentum=0.9)
    for step in range(20):
        x, y = global_batch(step, WORLD)
        opt.zero_grad()
        loss_fn(alone(x[:PER_RANK]), y[:PER_RANK]).backward()
        opt.step()
    assert not np.allclose(weights(alone)["0.weight"], expected["0.weight"], atol=1e-3)


def test_state_dict_prefix_and_checkpoint_loads_in_one_process(ranks):
    out, results = ranks
    assert results[0][1]["state_dict_keys"] == ["module." + k for k in weights(mlp(0))]
    model = mlp(seed=123)
    model.load_state_dict(ember.load(str(out / "checkpoint.safetensors")))
    for k, v in weights(model).items():
        np.testing.assert_array_equal(v, results[1][0][f"train/{k}"])


def test_no_sync_accumulates_then_averages(ranks):
    _, results = ranks
    loss_fn = nn.CrossEntropyLoss()
    total = None
    for r in range(WORLD):
        model = mlp(seed=0)
        for micro in range(3):
            x, y = global_batch(100 + micro, WORLD)
            loss_fn(model(x[r * PER_RANK:(r + 1) * PER_RANK]), y[r * PER_RANK:(r + 1) * PER_RANK]).backward()
        g = grads(model)
        total = g if total is None else {k: total[k] + g[k] for k in g}
    for r, (arrays, _) in enumerate(results):
        for k, v in total.items():
            np.testing.assert_allclose(arrays[f"nosync/{k}"], v / WORLD, rtol=1e-5, atol=1e-6, err_msg=k)
    # Inside no_sync nothing was exchanged: the ranks' first micro-batch gradients differ.
    assert not np.allclose(results[0][0]["nosync_local/0.weight"], results[1][0]["nosync_local/0.weight"])


def test_find_unused_parameters(ranks):
    _, results = ranks
    (a0, i0), (a1, i1) = results
    assert i0["unused_never_grad_is_none"] and i1["unused_never_grad_is_none"]
    assert "unused/never.weight" not in a0 and "unused/never.weight" not in a1
    # rank0_only: rank 1 contributed zeros, so both hold half of rank 0's gradient.
    np.testing.assert_array_equal(a0["unused/rank0_only.weight"], a1["unused/rank0_only.weight"])
    np.testing.assert_array_equal(a0["unused/body.weight"], a1["unused/body.weight"])
    assert np.abs(a0["unused/rank0_only.weight"]).sum() > 0


def test_unused_parameter_without_find_unused_is_torchs_error(ranks):
    _, results = ranks
    msg0, msg1 = results[0][1]["strict_error"], results[1][1]["strict_error"]
    assert msg0 and msg0.startswith("Expected to have finished reduction in the prior iteration")
    assert "find_unused_parameters=True" in msg0
    assert "never.weight" in msg0 and "rank0_only" not in msg0  # rank 0 used rank0_only
    assert "for rank 1: 4 (rank0_only.weight), 5 (rank0_only.bias), 6 (never.weight)" in msg1


def test_broadcast_buffers_follow_rank_0(ranks):
    _, results = ranks
    x, _ = global_batch(200, WORLD)
    for r, (arrays, _) in enumerate(results):
        ember.manual_seed(0)
        model = nn.Sequential(nn.Linear(IN, 4), nn.BatchNorm1d(4))
        with ember.no_grad():
            model[1].running_mean.fill_(1.0)  # rank 0's value, which DDP broadcast before forward
        model(x[r * PER_RANK:(r + 1) * PER_RANK])
        np.testing.assert_allclose(arrays["bn_running_mean_after"], model[1].running_mean.numpy(), rtol=1e-6)
