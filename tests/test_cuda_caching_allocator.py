"""ember's caching allocator for device memory (Note [The caching allocator], core/cuda/allocator.cpp):
blocks freed by tensors are kept in free lists by stream and size class and handed out again
without a driver call; empty_cache() gives them back; out of memory empties the cache and retries."""
import math

import pytest

import ember

pytestmark = pytest.mark.gpu


def _settle():
    ember.cuda.synchronize()
    ember.cuda.reset_transfer_stats()
    return ember.cuda.memory_stats()


def test_repeated_work_makes_no_driver_call_after_the_first_round():
    x = ember.randn(64, 64, device="cuda")
    (x * 2.0 + 1.0).relu().sum()
    before = _settle()
    for _ in range(50):
        (x * 2.0 + 1.0).relu().sum()
    after = ember.cuda.memory_stats()
    assert ember.cuda.allocator_call_count() == 0
    assert after["num_device_alloc"] == before["num_device_alloc"]
    assert after["reserved_bytes.all.current"] == before["reserved_bytes.all.current"]


def test_sizes_in_one_class_share_a_block():
    ember.empty(1000, device="cuda")  # 4000 bytes: the 4096-byte class; freed at once
    before = _settle()
    y = ember.empty(1001, device="cuda")  # 4004 bytes: the same class
    assert ember.cuda.allocator_call_count() == 0
    assert ember.cuda.memory_allocated() == before["allocated_bytes.all.current"] + 4096
    del y


@pytest.mark.parametrize("nbytes, block", [(1, 512), (512, 512), (513, 1024), ((1 << 20) + 1, 1310720),
                                           (5 << 20, 5 << 20), ((5 << 20) + 1, 6 << 20)])
def test_size_classes(nbytes, block):
    # 512-byte steps up to 1 MiB, then four steps per power of two: never more than 25% over.
    base = ember.cuda.memory_allocated()
    x = ember.empty(nbytes, dtype=ember.bool, device="cuda")
    assert ember.cuda.memory_allocated() - base == block
    del x
    assert ember.cuda.memory_allocated() == base


def test_empty_cache_gives_the_cached_blocks_back():
    kept = ember.ones(100, device="cuda")
    for n in (3000, 70000, 3 << 20):
        ember.empty(n, device="cuda")  # freed at once, into the cache
    before = _settle()
    assert before["reserved_bytes.all.current"] > before["allocated_bytes.all.current"]
    ember.cuda.empty_cache()
    after = ember.cuda.memory_stats()
    assert after["reserved_bytes.all.current"] == after["allocated_bytes.all.current"]
    assert after["num_device_free"] > before["num_device_free"]
    # Each block given back is a driver call (empty_cache also gives back cached pinned blocks).
    assert ember.cuda.allocator_call_count() >= after["num_device_free"] - before["num_device_free"]
    assert kept.cpu().tolist() == [1.0] * 100  # live blocks stay


def test_peak_counters_and_their_reset():
    ember.cuda.empty_cache()
    ember.cuda.reset_peak_memory_stats()
    base = ember.cuda.memory_allocated()
    x = ember.empty(1 << 20, dtype=ember.bool, device="cuda")
    del x
    assert ember.cuda.max_memory_allocated() == base + (1 << 20)
    assert ember.cuda.max_memory_reserved() >= ember.cuda.memory_reserved() >= base + (1 << 20)
    ember.cuda.reset_peak_memory_stats()
    assert ember.cuda.max_memory_allocated() == base


def test_memory_stats_has_torchs_names():
    assert set(ember.cuda.memory_stats()) == {
        "allocated_bytes.all.current", "allocated_bytes.all.peak", "reserved_bytes.all.current",
        "reserved_bytes.all.peak", "num_device_alloc", "num_device_free", "num_alloc_retries", "num_ooms"}


@pytest.mark.skipif(not ember.cuda.is_emulated(), reason="the emulated device poisons memory")
def test_a_block_from_the_cache_is_poisoned_like_a_fresh_one():
    # A real GPU hands back whatever the last tensor left; the emulated device makes that visible.
    x = ember.ones(1000, device="cuda")
    x.cpu()
    del x
    before = _settle()
    y = ember.empty(1000, device="cuda")
    assert ember.cuda.allocator_call_count() == 0 and ember.cuda.memory_stats()["num_device_alloc"] == before["num_device_alloc"]
    assert all(math.isnan(v) for v in y.cpu().tolist())
