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


def _run_on_emulated_device(code, **env):
    """Runs `code` in a fresh process whose emulated device is set up by `env` (EMBER_CUDA_EMU_*)."""
    import os
    import subprocess
    import sys
    env = dict(os.environ, **env, PYTHONPATH=os.path.dirname(os.path.dirname(ember.__file__)))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


emulated_only = pytest.mark.skipif(not ember.cuda.is_emulated(),
                                   reason="sets up the emulated device (EMBER_CUDA_EMU_MEMORY_MB, EMBER_CUDA_EMU_DEVICES)")


@emulated_only
def test_out_of_memory_gives_the_cache_back_and_retries():
    # 3 x 16 MiB freed stay in ember's cache; 40 MiB then fit on a 64 MiB device only once that
    # cache goes back to the driver.
    out = _run_on_emulated_device(
        "import ember\n"
        "a = [ember.empty(4 << 20, device='cuda') for _ in range(3)]\n"
        "del a\n"
        "b = ember.empty(10 << 20, device='cuda')\n"
        "s = ember.cuda.memory_stats()\n"
        "print('allocated', ember.cuda.memory_allocated(), 'retries', s['num_alloc_retries'], 'ooms', s['num_ooms'])\n",
        EMBER_CUDA_EMU_MEMORY_MB="64")
    assert out == ["allocated", str(40 << 20), "retries", "1", "ooms", "0"]


def test_out_of_memory_raises_after_the_retry_and_counts_it():
    before = ember.cuda.memory_stats()
    with pytest.raises(ember.cuda.OutOfMemoryError, match=r"\[allocate\] CUDA out of memory: tried to allocate"):
        ember.empty(1 << 48, dtype=ember.bool, device="cuda")
    after = ember.cuda.memory_stats()
    assert after["num_ooms"] == before["num_ooms"] + 1
    assert after["num_alloc_retries"] == before["num_alloc_retries"] + 1
    assert (ember.ones(3, device="cuda") * 2).cpu().tolist() == [2.0] * 3  # the device still works


@pytest.mark.skipif(not ember.cuda.is_emulated(), reason="reads a driver setting through the emulated device")
def test_the_default_pool_of_the_driver_is_left_alone():
    # Defect 5: ember set the default pool's release threshold to "keep everything", a setting every
    # other library in the process that allocates from that pool then lives with.
    for n in (1000, 5000, 1 << 20):
        ember.empty(n, device="cuda")  # freed at once, into the cache
    ember.cuda.empty_cache()
    assert ember._C._cuda_emu_default_pool_release_threshold(0) == 0


def test_pinned_batches_reuse_cached_blocks_without_driver_calls_or_hidden_waits():
    # Defect 3: each pinned batch cost cudaHostAlloc, then cudaDeviceSynchronize and cudaFreeHost.
    # The loop of a data pipeline: pin a batch, copy it without waiting, train, read the loss.
    batches = [ember.full((1000,), float(k)) for k in range(6)]
    for k, batch in enumerate(batches):
        if k == 2:
            ember.cuda.synchronize()
            ember.cuda.reset_transfer_stats()
        x = batch.pin_memory().to("cuda", non_blocking=True)
        assert (x * 2).sum().item() == 2000.0 * k
    stats = ember.cuda.transfer_stats()
    assert stats["allocator_calls"] == 0, stats
    assert stats["syncs"] == 4, stats  # the four .item() calls, nothing else


def test_a_pinned_block_is_not_handed_out_before_its_copy_has_run():
    src = ember.ones(1000).pin_memory()
    x = src.to("cuda", non_blocking=True)
    del src
    # Same size class. On the emulated device the copy above runs only at the next sync, so a cache
    # that handed src's block out now would let this write reach the copy.
    other = ember.zeros(1000).pin_memory()
    assert x.cpu().tolist() == [1.0] * 1000
    assert other.tolist() == [0.0] * 1000


@emulated_only
def test_a_peer_copy_is_not_overtaken_by_a_reuse_of_its_source_block():
    # Defect 4: the copy was queued on the destination's stream only, so a kernel that reused the
    # source's block on the source's stream could run first and the copy read its output.
    out = _run_on_emulated_device(
        "import ember\n"
        "a = ember.arange(4096.0).to('cuda:0')\n"
        "ember.cuda.synchronize(0)\n"
        "ember.cuda.reset_transfer_stats()\n"
        "b = a.to('cuda:1')\n"
        "print('syncs', ember.cuda.sync_count())\n"
        "del a\n"
        "c = ember.zeros(4096, device='cuda:0')  # takes a's block from the cache\n"
        "ember.cuda.synchronize(0)  # cuda:0's queue runs first\n"
        "print('copied', b.cpu().tolist() == [float(i) for i in range(4096)])\n", EMBER_CUDA_EMU_DEVICES="2")
    assert out == ["syncs", "0", "copied", "True"]


@emulated_only
def test_the_current_device_follows_another_librarys_set_device():
    # Defect 4: ember kept its own copy of the current device, stale once another library in the
    # process called cudaSetDevice; 'cuda' then meant the wrong device.
    out = _run_on_emulated_device(
        "import ember\n"
        "ember.cuda.set_device(0)\n"
        "x = ember.ones(4, device='cuda')\n"
        "ember._C._cuda_set_device_behind_embers_back(1)\n"
        "print(ember.cuda.current_device(), ember.empty(4, device='cuda').device)\n"
        "y = x + 1  # still on cuda:0, wherever the runtime's current device is\n"
        "print(y.device, y.cpu().tolist())\n", EMBER_CUDA_EMU_DEVICES="2")
    assert out == ["1", "cuda:1", "cuda:0", "[2.0,", "2.0,", "2.0,", "2.0]"]


def test_copy_into_a_device_tensor_moves_bytes_without_a_kernel():
    # copy_ across devices (same dtype and shape, contiguous) is a transfer straight into the
    # destination, non_blocking as in to(): how a batch reaches a captured graph's static input.
    dst = ember.zeros(1000, device="cuda")
    src = ember.full((1000,), 3.0).pin_memory()
    ember.cuda.synchronize()
    ember.cuda.reset_transfer_stats()
    dst.copy_(src, non_blocking=True)
    stats = ember.cuda.transfer_stats()
    assert stats["kernel_launches"] == 0 and stats["syncs"] == 0 and stats["bytes_to_device"] == 4000
    assert dst.cpu().tolist() == [3.0] * 1000
    back = ember.zeros(1000)
    back.copy_(dst * 2)
    assert back.tolist() == [6.0] * 1000
    dst.copy_(ember.arange(1000))  # int64 into float32: the general path, cast on the device
    assert dst.cpu().tolist() == [float(i) for i in range(1000)]
