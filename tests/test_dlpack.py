"""DLPack (Note [DLPack], bindings/init_dlpack.cpp): ember, NumPy and PyTorch hand tensors to each
other without a copy, a write on one side seen on the other, the exporter keeping the memory alive,
in both the pre-1.0 ("dltensor") and the versioned ("dltensor_versioned") capsule."""
import ctypes
import gc

import numpy as np
import pytest
from conftest import torch

import ember
import ember.utils.dlpack

DTYPES = [(ember.float32, np.float32), (ember.float64, np.float64), (ember.int64, np.int64),
          (ember.int32, np.int32), (ember.bool, np.bool_)]


def capsule_name(capsule):
    get = ctypes.pythonapi.PyCapsule_GetName
    get.restype, get.argtypes = ctypes.c_char_p, [ctypes.py_object]
    return get(capsule).decode()


@pytest.mark.parametrize("edt, ndt", DTYPES)
def test_numpy_reads_and_writes_an_ember_tensor(edt, ndt):
    e = ember.tensor(np.arange(6).reshape(2, 3) % 2).to(edt)
    n = np.from_dlpack(e)
    assert n.dtype == ndt and n.shape == (2, 3) and n.ctypes.data == e.data_ptr()
    n[1, 2] = 0 if ndt == np.bool_ else 7
    assert e[1, 2].item() == n[1, 2].item()


@pytest.mark.parametrize("edt, ndt", DTYPES)
def test_ember_reads_and_writes_a_numpy_array(edt, ndt):
    n = (np.arange(12).reshape(3, 4) % 3).astype(ndt)
    e = ember.from_dlpack(n)
    assert e.dtype == edt and tuple(e.shape) == (3, 4) and e.data_ptr() == n.ctypes.data
    e[2, 1] = 1
    assert n[2, 1] == 1


def test_strides_views_and_empty_tensors_cross_as_they_are():
    base = ember.arange(24.0).reshape(4, 6)
    for e in (base.t(), base[::2, 1:5], base[1], ember.tensor([1.0]).expand(5, 3), ember.zeros(0, 3),
              ember.tensor(3.5)):
        n = np.from_dlpack(e)
        assert n.shape == tuple(e.shape) and n.tolist() == e.tolist()
        assert tuple(s // n.itemsize for s in n.strides) == e.stride() or e.numel() == 0
        back = ember.from_dlpack(n)
        assert back.tolist() == e.tolist() and back.stride() == e.stride() or e.numel() == 0


def test_the_exporter_keeps_the_memory_alive():
    n = np.from_dlpack(ember.arange(1000.0))
    gc.collect()
    ember.ones(1000)  # a new allocation may not land on the exported block
    assert n[999] == 999.0
    e = ember.from_dlpack(np.arange(50.0))  # the consumer keeps NumPy's array alive
    gc.collect()
    assert e[49].item() == 49.0


def test_capsules_old_and_versioned():
    e = ember.arange(4.0)
    assert capsule_name(e.__dlpack__()) == "dltensor"
    assert capsule_name(e.__dlpack__(max_version=(1, 0))) == "dltensor_versioned"
    assert capsule_name(e.__dlpack__(max_version=(0, 8))) == "dltensor"
    cap = ember.utils.dlpack.to_dlpack(e)
    back = ember.utils.dlpack.from_dlpack(cap)
    assert back.data_ptr() == e.data_ptr()
    assert capsule_name(cap) == "used_dltensor"
    with pytest.raises(ValueError, match=r"\[from_dlpack\] the capsule is not an unused DLPack tensor"):
        ember.from_dlpack(cap)
    assert e.__dlpack_device__() == (1, 0)


def test_torch_and_ember_share_memory_both_ways():
    e = ember.arange(6.0).reshape(2, 3)
    t = torch.from_dlpack(e)
    assert t.data_ptr() == e.data_ptr()
    t[0, 0] = 42.0
    assert e[0, 0].item() == 42.0
    t2 = torch.arange(8, dtype=torch.int32)[::2]
    e2 = ember.from_dlpack(t2)
    assert e2.data_ptr() == t2.data_ptr() and e2.stride() == (2,)
    e2[1] = -5
    assert t2[1].item() == -5
    e3 = ember.from_dlpack(torch.utils.dlpack.to_dlpack(torch.ones(3, dtype=torch.float64)))
    assert e3.dtype == ember.float64 and e3.tolist() == [1.0, 1.0, 1.0]


def test_copy_and_device_requests():
    e = ember.arange(3.0)
    n = np.from_dlpack(e, copy=True)
    n[0] = 9.0
    assert e[0].item() == 0.0
    with pytest.raises(BufferError, match=r"\[__dlpack__\] cannot export a tensor on cpu to device \(2, 0\)"):
        e.__dlpack__(dl_device=(2, 0))


def test_a_read_only_array_is_copied():
    n = np.arange(4.0)
    n.flags.writeable = False
    e = ember.from_dlpack(n)
    assert e.tolist() == [0.0, 1.0, 2.0, 3.0] and e.data_ptr() != n.ctypes.data
    e[0] = 5.0  # ember's copy, not NumPy's read-only memory
    assert n[0] == 0.0


def test_errors_name_what_is_wrong():
    with pytest.raises(RuntimeError, match="Can't export tensors that require gradient, use tensor.detach()"):
        ember.ones(2, requires_grad=True).__dlpack__()
    with pytest.raises(TypeError, match=r"\[from_dlpack\] unsupported dtype float16"):
        ember.from_dlpack(np.ones(2, dtype=np.float16))
    with pytest.raises(TypeError, match=r"\[from_dlpack\] unsupported dtype uint8"):
        ember.from_dlpack(np.ones(2, dtype=np.uint8))
    with pytest.raises(TypeError, match=r"\[from_dlpack\] expected an object with __dlpack__ or a DLPack capsule, "
                                        r"got list"):
        ember.from_dlpack([1, 2])
    assert torch.from_dlpack(ember.ones(2).detach()).tolist() == [1.0, 1.0]


@pytest.mark.gpu
def test_a_cuda_tensor_crosses_on_its_device():
    e = ember.arange(5.0).cuda()
    assert e.__dlpack_device__() == (2, 0)
    back = ember.from_dlpack(e)
    assert back.is_cuda and back.data_ptr() == e.data_ptr()
    back[0] = 3.0
    assert e[0].item() == 3.0
    e.__dlpack__(stream=-1)  # no wait asked
    with pytest.raises(ValueError, match="stream 0 is ambiguous"):
        e.__dlpack__(stream=0)
