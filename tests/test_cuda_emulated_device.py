"""The emulated CUDA device itself (EMBER_CUDA=EMU, Note [The emulated device] in
tools/cuda_emu/device.cpp): it must be as unforgiving as a GPU, so that the gpu-marked suite run on
it in CI catches what a GPU would. These tests run only in that build (tools/emulated_gpu_tests.sh)."""
import math

import pytest

import ember

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not ember.cuda.is_emulated(), reason="checks the emulated device (EMBER_CUDA=EMU)")]


def test_the_build_says_it_is_emulated():
    assert ember.cuda.is_built() and ember.cuda.is_available() and ember.cuda.is_emulated()
    assert ember.cuda.device_count() >= 1


def test_fresh_device_memory_is_poisoned():
    # empty() promises nothing about its values: on the emulated device they are all-ones bytes,
    # NaN for floats and -1 for integers, so a kernel that reads what nobody wrote shows it.
    assert all(math.isnan(v) for v in ember.empty(64, device="cuda").cpu().tolist())
    assert ember.empty(8, dtype=ember.int64, device="cuda").cpu().tolist() == [-1] * 8


def test_queued_work_runs_late():
    # A non_blocking copy from pinned memory reads the buffer when the device gets to it: here, at
    # the sync, after the host wrote 5s into it. A GPU may do either; the emulated device always
    # runs late, so a missing wait shows every time.
    buf = ember.ones(4).pin_memory()
    x = buf.to("cuda", non_blocking=True)
    buf.fill_(5.0)
    assert x.cpu().tolist() == [5.0] * 4


def test_an_op_chain_is_queued_until_the_host_reads():
    x = ember.arange(6.0).cuda()
    ember.cuda.synchronize()
    ember.cuda.reset_transfer_stats()
    y = ((x * 2).relu() + 1).sum()
    assert ember.cuda.sync_count() == 0
    assert y.item() == 36.0
    assert ember.cuda.sync_count() == 1
