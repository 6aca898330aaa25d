"""What a small MLP's training step may cost the host on a CUDA device (issue 14), held to budgets
that the README states: the 784-128-10 MLP of `ember bench`, batch 128, Adam, after warm-up.
The counts do not depend on the device's speed, so the emulated device checks them in CI.

The budgets are today's counts (bench/results/cuda-counters-2026-12-07-after.md), so that
nothing adds a launch, an allocator call or a sync unnoticed. With the caching allocator
(Note [The caching allocator]) a step after warm-up asks the driver for no memory at all."""
import pytest

import ember
from ember.bench.cuda_counters import counters_per_step

pytestmark = pytest.mark.gpu

BUDGET = {"syncs": 0, "bytes_to_device": 0, "bytes_to_host": 0, "kernel_launches": 14, "allocator_calls": 0}


@pytest.mark.parametrize("opt_name", ["Adam", "SGD"])
def test_mlp_step_stays_within_its_budget(opt_name):
    counts = counters_per_step((784, 128, 10), 128, opt_name)
    over = {k: (counts[k], limit) for k, limit in BUDGET.items() if counts[k] > limit}
    assert not over, f"784-128-10 {opt_name} step over budget (count, budget): {over}"


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
