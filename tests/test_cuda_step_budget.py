"""What a small MLP's training step may cost the host on a CUDA device (issue 14), held to budgets
that the README states: the 784-128-10 MLP of `ember bench`, batch 128, Adam, after warm-up.
The counts do not depend on the device's speed, so the emulated device checks them in CI.

The budgets are today's counts (bench/results/cuda-counters-2026-12-07-after.md), so that
nothing adds a launch, an allocator call or a sync unnoticed. With the caching allocator
(Note [The caching allocator]) a step after warm-up asks the driver for no memory at all."""
import pytest

import ember
from ember.bench.cuda_counters import counters_per_graphed_step, counters_per_step

pytestmark = pytest.mark.gpu

BUDGET = {"syncs": 0, "bytes_to_device": 0, "bytes_to_host": 0, "kernel_launches": 14, "allocator_calls": 0}
# A capturable Adam counts its steps on the device: one launch more (Note [Capturable Adam]).
EXTRA_LAUNCHES = {"Adam capturable": 1}


@pytest.mark.parametrize("opt_name", ["Adam", "SGD", "Adam capturable"])
def test_mlp_step_stays_within_its_budget(opt_name):
    counts = counters_per_step((784, 128, 10), 128, opt_name)
    budget = dict(BUDGET, kernel_launches=BUDGET["kernel_launches"] + EXTRA_LAUNCHES.get(opt_name, 0))
    over = {k: (counts[k], limit) for k, limit in budget.items() if counts[k] > limit}
    assert not over, f"784-128-10 {opt_name} step over budget (count, budget): {over}"


# Captured with ember.cuda.capture_training_step, the batch copied from pinned memory into the
# captured inputs: SGD's and capturable Adam's whole step is one launch; plain Adam's step() runs
# after the replay (its step count lives on the host), one more.
GRAPHED_LAUNCHES = {"SGD": 1, "Adam": 2, "Adam capturable": 1}


@pytest.mark.parametrize("opt_name", ["Adam", "SGD", "Adam capturable"])
def test_a_captured_mlp_step_is_one_replay(opt_name):
    counts = counters_per_graphed_step((784, 128, 10), 128, opt_name)
    assert counts["kernel_launches"] == GRAPHED_LAUNCHES[opt_name], counts
    assert counts["allocator_calls"] == counts["syncs"] == counts["bytes_to_host"] == 0, counts
    assert counts["bytes_to_device"] == 128 * 784 * 4 + 128 * 8  # the batch, nothing else


def test_the_counters_count():
    # A guard for the test above: a step that launches nothing would pass any budget.
    counts = counters_per_step((784, 128, 10), 128, "Adam")
    assert counts["kernel_launches"] > 5
    ember.cuda.synchronize()
    ember.cuda.reset_transfer_stats()
    x = ember.ones(4).cuda()
    (x + 1).sum()
    assert ember.cuda.launch_count() >= 2
    ember.cuda.empty_cache()
    ember.cuda.reset_transfer_stats()
    ember.empty(1000, device="cuda")  # nothing cached: the driver is asked
    assert ember.cuda.allocator_call_count() == 1


def test_a_python_number_is_passed_by_value():
    # Note [Scalars by value]: no 0-d device tensor, so no fill kernel and no allocation for it.
    x = ember.ones(4).cuda()
    t = ember.arange(4).cuda()
    ember.cuda.synchronize()
    ember.cuda.reset_transfer_stats()
    y = x * 2.5
    z = 3 - x
    x.mul_(0.5)
    w = t / 2  # int64 / int: a float32 result (one cast kernel, then the division)
    assert ember.cuda.launch_count() == 5
    assert y.tolist() == [2.5] * 4 and z.tolist() == [2.0] * 4 and x.tolist() == [0.5] * 4
    assert w.dtype == ember.float32 and w.tolist() == [0.0, 0.5, 1.0, 1.5]
    d = ember.full((3,), 0.1, dtype=ember.float64).cuda()
    assert (d * 3).tolist() == [0.1 * 3] * 3  # the number keeps float64 precision
    leaf = ember.ones(2, requires_grad=True)
    (leaf.cuda() * 4.0).sum().backward()  # recorded by autograd: the number becomes a tensor, as before
    assert leaf.grad.tolist() == [4.0, 4.0]
