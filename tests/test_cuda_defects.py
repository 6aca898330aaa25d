"""The CUDA path's defects found by reading the code (issue 14), each pinned by a test that failed
before its fix. They run wherever a CUDA device is: a GPU, or the emulated device of an
EMBER_CUDA=EMU build, whose late execution of queued work makes the races below deterministic
(Note [The emulated device], tools/cuda_emu/device.cpp)."""
import numpy as np
import pytest

import ember

pytestmark = pytest.mark.gpu


def test_copy_from_pinned_memory_waits_unless_non_blocking():
    # The loop of a data pipeline with one pinned staging buffer: each batch goes through `buf`.
    # Without the wait, the copies queued from buf would read what the last batch left there.
    batches = [ember.full((1000,), float(k)) for k in range(4)]
    buf = ember.empty(1000).pin_memory()
    on_device = []
    for b in batches:
        buf.copy_(b)
        on_device.append(buf.to("cuda"))
    for k, x in enumerate(on_device):
        assert x.cpu().tolist() == [float(k)] * 1000


def test_non_blocking_copy_from_pinned_memory_does_not_wait():
    buf = ember.ones(1000).pin_memory()
    ember.cuda.synchronize()
    ember.cuda.reset_transfer_stats()
    x = buf.to("cuda", non_blocking=True)
    y = buf.cuda(non_blocking=True)
    assert ember.cuda.sync_count() == 0
    assert x.sum().item() == y.sum().item() == 1000.0


def test_copy_from_pageable_memory_never_waits():
    x = ember.ones(1000)
    ember.cuda.synchronize()
    ember.cuda.reset_transfer_stats()
    y = x.to("cuda")
    assert ember.cuda.sync_count() == 0
    x.fill_(2.0)  # the bytes were staged when the copy was queued
    assert y.sum().item() == 1000.0


def test_bad_index_in_setitem_writes_nothing():
    x = ember.zeros(5).cuda()
    with pytest.raises(IndexError, match="index 7 is out of bounds for size 5"):
        x[ember.tensor([1, 7])] = 9.0
        ember.cuda.synchronize()
    # The good row was written; the bad one went nowhere (not to element 0).
    assert x.cpu().tolist() == [0.0, 9.0, 0.0, 0.0, 0.0]


def test_bad_index_in_setitem_with_two_index_tensors_writes_nothing():
    x = ember.zeros(3, 4).cuda()
    with pytest.raises(IndexError):
        x[ember.tensor([0, 2, 5]), ember.tensor([1, 1, 1])] = ember.tensor([1.0, 2.0, 3.0]).cuda()
        ember.cuda.synchronize()
    expected = np.zeros((3, 4), dtype=np.float32)
    expected[0, 1], expected[2, 1] = 1.0, 2.0
    np.testing.assert_array_equal(x.cpu().numpy(), expected)


@pytest.mark.skipif(not ember.cuda.is_emulated(), reason="sizes the emulated device's memory (EMBER_CUDA_EMU_MEMORY_MB)")
def test_out_of_memory_gives_the_cache_back_and_retries():
    # 3 x 16 MiB freed stay cached in the pool (ember keeps everything it frees); 40 MiB then fit
    # on a 64 MiB device only once that cache goes back to the driver.
    import os
    import subprocess
    import sys
    code = ("import ember\n"
            "a = [ember.empty(4 << 20, device='cuda') for _ in range(3)]\n"
            "del a\n"
            "b = ember.empty(10 << 20, device='cuda')\n"
            "print('allocated', ember.cuda.memory_allocated())\n")
    env = dict(os.environ, EMBER_CUDA_EMU_MEMORY_MB="64", PYTHONPATH=os.path.dirname(os.path.dirname(ember.__file__)))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["allocated", str(40 << 20)]
