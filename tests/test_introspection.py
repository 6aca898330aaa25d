"""What PyTorch users reach for to see their setup: ember.__config__.show(), parallel_info(),
ember.cuda.get_device_properties / get_device_name / get_device_capability and memory_summary()."""
import pytest

import ember


def test_config_names_the_build():
    text = ember.__config__.show()
    assert text.startswith(f"ember {ember.__version__}")
    assert f"CPU ISA: {ember._C._detected_cpu_isa()}" in text and "CUDA backend built" in text
    assert f"threads: {ember.get_num_threads()}" in ember.__config__.parallel_info()


@pytest.mark.skipif(ember.cuda.is_available(), reason="the CPU-only answers")
def test_without_a_device_the_answers_say_why():
    assert "no CUDA device" in ember.cuda.memory_summary()
    with pytest.raises(RuntimeError, match=r"\[get_device_properties\] cannot use cuda"):
        ember.cuda.get_device_properties(0)


@pytest.mark.gpu
def test_device_properties_and_memory_summary():
    p = ember.cuda.get_device_properties(0)
    assert p.multi_processor_count > 0 and p.total_memory > 0 and p.warp_size == 32
    assert ember.cuda.get_device_capability() == (p.major, p.minor) and ember.cuda.get_device_name() == p.name
    assert "multi_processor_count=" in repr(p)
    ember.cuda.reset_transfer_stats()
    x = ember.ones(1000, device="cuda") * 2
    text = ember.cuda.memory_summary()
    assert "live tensors (allocated)" in text and "kernel launches" in text and p.name in text
    del x
    with pytest.raises(RuntimeError, match="out of range"):
        ember.cuda.get_device_properties(ember.cuda.device_count())


def test_config_says_which_nccl_the_nccl_backend_would_use():
    line = next(l for l in ember.__config__.show().splitlines() if l.startswith("  - NCCL: "))
    path, error = ember._C._nccl_library()
    if path:  # loaded (the emulated NCCL, or libnccl.so.2 of a CUDA build): its version and where from
        v = ember._C._nccl_version()
        assert line == f"  - NCCL: {v // 10000}.{v // 100 % 100}.{v % 100} from {path}" and v >= 21000
    else:  # a build without CUDA, or no libnccl.so.2 to be found: why not
        assert error and line == f"  - NCCL: not loaded ({error})"
        with pytest.raises(RuntimeError, match="nccl.version"):
            ember._C._nccl_version()
