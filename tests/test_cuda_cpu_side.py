"""The CUDA backend as seen from a machine without a usable GPU (every CI machine): the build
imports and runs on the CPU, ember.cuda answers, asking for a cuda tensor says why it cannot,
and the host-side pieces the CUDA kernels share with the CPU (strided offsets, the counter-based
random numbers) are checked here. The kernels themselves are tested in test_cuda_gpu.py."""
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

import ember

no_gpu = pytest.mark.skipif(ember.cuda.is_available(), reason="a GPU is present: these check the no-GPU answers")


def test_build_info_says_whether_cuda_is_built():
    info = ember._C._build_info()
    assert isinstance(info["cuda"], bool)
    assert ember.cuda.is_built() is info["cuda"]
    if not info["cuda"]:
        assert not ember.cuda.is_available()
        assert "without CUDA" in ember.cuda.unavailable_reason()


@no_gpu
def test_no_device_answers():
    assert ember.cuda.is_available() is False
    assert ember.cuda.device_count() == 0
    assert ember.cuda.unavailable_reason() != ""
    assert ember.cuda.memory_allocated() == 0
    assert ember.cuda.max_memory_allocated() == 0
    assert ember.cuda.memory_reserved() == ember.cuda.max_memory_reserved() == 0
    assert set(ember.cuda.memory_stats().values()) == {0}
    ember.cuda.empty_cache()  # nothing to give back; must not raise
    stats = ember.cuda.transfer_stats()
    assert stats == {"syncs": 0, "bytes_to_device": 0, "bytes_to_host": 0, "kernel_launches": 0, "allocator_calls": 0}
    assert ember.cuda.sync_count() == ember.cuda.bytes_to_device() == ember.cuda.bytes_to_host() == 0
    assert ember.cuda.launch_count() == ember.cuda.allocator_call_count() == 0


@no_gpu
@pytest.mark.parametrize("make", [
    lambda: ember.ones(2).cuda(),
    lambda: ember.ones(2).cuda(0),
    lambda: ember.ones(2).to("cuda"),
    lambda: ember.ones(2).to(ember.device("cuda", 0)),
    lambda: ember.ones(2, requires_grad=True).to("cuda:0", non_blocking=True),
    lambda: ember.zeros(2, device="cuda"),
    lambda: ember.full((2,), 3.0, device="cuda"),
    lambda: ember.rand(2, device="cuda"),
    lambda: ember.randn(2, 3, device="cuda"),
    lambda: ember.randint(0, 5, (3,), device="cuda"),
    lambda: ember.arange(3, device="cuda"),
    lambda: ember.eye(2, device="cuda"),
    lambda: ember.tensor([1.0, 2.0], device="cuda"),
    lambda: ember.ones(2).pin_memory(),
    lambda: ember.cuda.set_device(0),
    lambda: ember.cuda.current_device(),
    lambda: ember.cuda.synchronize(),
])
def test_asking_for_cuda_without_a_device_says_why(make):
    with pytest.raises(RuntimeError, match=r"CUDA is not available: (no NVIDIA driver|no CUDA GPU|this build of "
                                           r"ember was compiled without CUDA|the CUDA runtime failed)"):
        make()


def test_cpu_and_to_cpu_are_the_tensor_itself():
    x = ember.ones(2, 3)
    assert x.cpu() is x
    assert x.to("cpu") is x
    assert x.to(ember.device("cpu"), ember.float64).dtype == ember.float64
    assert not x.is_cuda and not x.is_pinned()


def _expected_offsets(out_shape, t):
    """Each element's offset in `t` broadcast to out_shape, row-major over out_shape."""
    nd = len(out_shape)
    strides = [0] * (nd - t.dim()) + [0 if s == 1 else st for s, st in zip(t.shape, t.stride())]
    return [int(np.dot(idx, strides)) if nd else 0 for idx in np.ndindex(*out_shape)]


def _operands(case):
    base = ember.arange(2 * 3 * 4, dtype=ember.float32).reshape(2, 3, 4)
    if case == "permuted":
        return ember.empty(4, 2, 3), [base.permute(2, 0, 1)]
    if case == "broadcast":
        return ember.empty(2, 3, 4), [base[:, :1, :], ember.ones(4)]
    if case == "sliced":
        return ember.empty(3, 2, 2), [base[:, ::2, 1:].transpose(0, 2), base[1][None, :2, :3].transpose(1, 2)]
    if case == "strided_out":
        return ember.empty(4, 3, 2).transpose(0, 2), [base, base[0]]
    if case == "three_inputs":
        return ember.empty(2, 3, 4), [base > 3, base[0], ember.ones(2, 1, 1)]
    if case == "scalar":
        return ember.empty(), [ember.tensor(5.0)]
    return ember.empty(0, 3), [ember.ones(0, 3)]


@pytest.mark.parametrize("narrow", [False, True], ids=["64-bit", "32-bit"])
@pytest.mark.parametrize("case", ["permuted", "broadcast", "sliced", "strided_out", "three_inputs", "scalar", "empty"])
def test_element_offsets_match_numpy(case, narrow):
    """kernels/strided_index.h: the index arithmetic of every CUDA elementwise kernel, with the
    element index split in 64 or in 32 bits (Note [32-bit index math])."""
    out, ins = _operands(case)
    shape = tuple(out.shape)
    got = ember._C._loop_offsets(out, ins, narrow=narrow)
    assert len(got) == len(ins) + 1
    for operand, t in zip(got, [out] + ins):
        assert operand == (_expected_offsets(shape, t) if out.numel() else [])


def _splitmix64(x):
    m = (1 << 64) - 1
    x = (x + 0x9E3779B97F4A7C15) & m
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & m
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & m
    return x ^ (x >> 31)


def test_random_numbers_follow_the_counter_based_formula():
    """The random fills (shared with the CUDA kernel) give element i = f(seed, counter i)."""
    seed = 1234
    ember.manual_seed(seed)
    got = ember.rand(5, dtype=ember.float64).tolist()
    want = [(_splitmix64(_splitmix64(seed) ^ i) >> 11) / 2.0 ** 53 for i in range(5)]
    assert got == want
    got32 = ember.rand(3).tolist()  # counters continue at 5
    want32 = [float(np.float32((_splitmix64(_splitmix64(seed) ^ (5 + i)) >> 40) * 2.0 ** -24)) for i in range(3)]
    assert got32 == want32
    ember.manual_seed(seed)
    ints = ember.randint(-3, 4, (6,)).tolist()
    assert ints == [-3 + _splitmix64(_splitmix64(seed) ^ i) % 7 for i in range(6)]


def test_random_fills_keep_their_counters_and_layouts():
    ember.manual_seed(7)
    a = ember.randn(4, 3)
    b = ember.empty(3, 4).t()
    b.normal_(0.0, 1.0)  # non-contiguous: filled in row-major order of its own shape
    ember.manual_seed(7)
    a2 = ember.randn(4, 3)
    c = ember.randn(4, 3)
    assert a.tolist() == a2.tolist()
    np.testing.assert_allclose(b.numpy(), c.numpy(), rtol=1e-6)
    with pytest.raises(TypeError, match=r"\[rand\] expected a floating dtype, got ember.int64"):
        ember.rand(2, dtype=ember.int64)
    with pytest.raises(TypeError, match=r"\[randint\] not supported for dtype ember.bool"):
        ember.randint(0, 2, (2,), dtype=ember.bool)


def _loaded_cudart():
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "libcudart.so" in line}
    return sorted(paths)


@pytest.mark.skipif(not ember.cuda.is_built(), reason="this build has no CUDA backend")
def test_libcudart_resolution():
    """Note [Which libcudart]: NVIDIA's pip wheel next to ember first, the toolkit's otherwise."""
    ext = ember._C.__file__
    loaded = _loaded_cudart()
    assert len(loaded) == 1 and os.path.basename(loaded[0]) == "libcudart.so.13", loaded
    wheel_lib = os.path.normpath(os.path.join(os.path.dirname(ext), "..", "nvidia", "cu13", "lib", "libcudart.so.13"))
    if os.path.exists(wheel_lib) and "LD_LIBRARY_PATH" not in os.environ:
        assert os.path.realpath(loaded[0]) == os.path.realpath(wheel_lib)
    if shutil.which("readelf"):
        dyn = subprocess.run(["readelf", "-d", ext], capture_output=True, text=True).stdout
        runpath = re.search(r"R(UN)?PATH.*\[(.*)\]", dyn)
        assert runpath and runpath.group(2).split(":")[0] == "$ORIGIN/../nvidia/cu13/lib", dyn
        assert "libcudart.so.13" in dyn


def test_copy_takes_non_blocking_as_torch_does():
    x = ember.zeros(3)
    assert x.copy_(ember.ones(3), non_blocking=True).tolist() == [1.0] * 3
