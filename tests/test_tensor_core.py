"""Tensor core: views and layout, copies, version counters, NumPy interop, Python conversions,
printing, factories and random numbers, each against PyTorch where PyTorch defines the answer."""
import numpy as np
import pytest

import ember
from conftest import assert_close, to_torch

torch = pytest.importorskip("torch")


def arange_like_torch(*shape, dtype=ember.float32):
    n = int(np.prod(shape)) if shape else 1
    return ember.arange(n, dtype=dtype).reshape(*shape) if shape else ember.tensor(0.0, dtype=dtype)


# ---------------------------------------------------------------- views and layout

def test_view_and_reshape_values_and_strides():
    x = arange_like_torch(2, 3, 4)
    tx = to_torch(x)
    for shape in [(6, 4), (-1,), (4, -1, 2), (24, 1), (1, 2, 12)]:
        v, tv = x.view(*shape), tx.view(*shape)
        assert_close(v, tv)
        assert v.stride() == tv.stride()
        assert_close(x.reshape(shape), tx.reshape(shape))


def test_view_on_non_contiguous_raises_but_reshape_copies():
    x = arange_like_torch(3, 4).t()
    assert not x.is_contiguous()
    with pytest.raises(RuntimeError, match="view size is not compatible with input tensor's size and stride"):
        x.view(12)
    with pytest.raises(RuntimeError, match="view size is not compatible with input tensor's size and stride"):
        torch.arange(12.0).reshape(3, 4).t().view(12)
    r = x.reshape(12)
    assert_close(r, torch.arange(12.0).reshape(3, 4).t().reshape(12))
    r.add_(100.0)                       # a copy: the original is untouched
    assert x.numpy().max() == 11.0


def test_view_of_permuted_tensor_where_strides_allow():
    x = arange_like_torch(2, 3, 4).permute(1, 0, 2)   # (3, 2, 4): last dim still contiguous
    tx = to_torch(arange_like_torch(2, 3, 4)).permute(1, 0, 2)
    v, tv = x.view(3, 2, 2, 2), tx.view(3, 2, 2, 2)
    assert v.stride() == tv.stride()
    assert_close(v, tv)


@pytest.mark.parametrize("make", [
    lambda x: x.t(),
    lambda x: x.transpose(0, 1),
    lambda x: x.permute(1, 0),
    lambda x: x.view(6),
    lambda x: x.reshape(3, 2),
    lambda x: x.unsqueeze(0),
    lambda x: x.unsqueeze(-1).squeeze(-1),
    lambda x: x.flatten(),
    lambda x: x.unsqueeze(0).expand(4, 2, 3),
    lambda x: x.T,
    lambda x: x.detach(),
])
def test_views_share_storage_both_ways(make):
    x = ember.zeros(2, 3)
    v = make(x)
    assert v.data_ptr() == x.data_ptr() or v.numel() == 0
    x.add_(1.0)
    assert np.all(v.numpy() == 1.0)      # a write through the base is seen in the view
    if not (v.stride() and 0 in v.stride()):
        v.mul_(5.0)                      # ... and through the view in the base
        assert np.all(x.numpy() == 5.0)
    assert v._version == x._version      # one shared version counter


def test_expand_strides_and_values():
    x = ember.tensor([[1.0], [2.0]])
    e, te = x.expand(2, 3), to_torch(x).expand(2, 3)
    assert e.stride() == te.stride() == (1, 0)
    assert_close(e, te)
    assert_close(x.expand(4, -1, 5), to_torch(x).expand(4, -1, 5))
    assert_close(ember.tensor(3.0).expand(2, 2), torch.tensor(3.0).expand(2, 2))


def test_squeeze_unsqueeze_flatten_shapes():
    x = ember.zeros(1, 3, 1, 2)
    tx = torch.zeros(1, 3, 1, 2)
    assert x.squeeze().shape == tx.squeeze().shape
    assert x.squeeze(0).shape == tx.squeeze(0).shape
    assert x.squeeze(1).shape == tx.squeeze(1).shape      # not size 1: unchanged
    assert x.unsqueeze(4).shape == tx.unsqueeze(4).shape
    assert x.unsqueeze(-1).shape == tx.unsqueeze(-1).shape
    assert x.flatten(1).shape == tx.flatten(1).shape
    assert x.flatten(1, 2).shape == tx.flatten(1, 2).shape
    assert ember.tensor(2.0).flatten().shape == (1,)


def test_permute_and_transpose_strides_match_torch():
    x = arange_like_torch(2, 3, 4)
    tx = to_torch(x)
    for dims in [(2, 0, 1), (0, 2, 1), (-1, 0, 1)]:
        p, tp = x.permute(*dims), tx.permute(*dims)
        assert p.stride() == tp.stride()
        assert_close(p, tp)
    assert x.transpose(0, 2).stride() == tx.transpose(0, 2).stride()
    assert x.mT.shape == tx.mT.shape


def test_empty_tensors_are_contiguous():
    for shape in [(3, -1), (3, 0, 1), (0, 3)]:
        e, t = ember.zeros(0, 3).view(*shape), torch.zeros(0, 3).view(*shape)
        assert e.shape == tuple(t.shape) and e.is_contiguous() == t.is_contiguous()


def test_contiguous_and_clone():
    x = arange_like_torch(3, 4)
    assert x.contiguous() is x
    t = x.t()
    c = t.contiguous()
    assert c.is_contiguous() and c.data_ptr() != x.data_ptr()
    assert_close(c, to_torch(x).t().contiguous())
    assert c.stride() == (3, 1)
    k = x.clone()
    assert k.data_ptr() != x.data_ptr()
    k.add_(1.0)
    assert x.numpy()[0, 0] == 0.0


def test_view_ops_gradients_vs_torch():
    x = ember.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    tx = to_torch(x)

    def f(x):
        y = x.permute(2, 0, 1).reshape(4, 6).t().unsqueeze(0).expand(3, 6, 4)
        return y.flatten(0, 1)
    w = ember.tensor(np.linspace(-1, 1, 72).reshape(18, 4))
    (f(x) * w).sum().backward()
    (f(tx) * to_torch(w)).sum().backward()
    assert_close(x.grad, tx.grad)
    x64 = ember.tensor(np.arange(6.0).reshape(2, 3), dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda x: x.t().reshape(6).unsqueeze(1).expand(6, 2), (x64,))


def test_version_counter():
    x = ember.zeros(3)
    assert x._version == 0
    x.add_(1.0)
    x.mul_(2.0)
    assert x._version == 2
    v = x.view(3)
    v.zero_()
    assert x._version == v._version == 3
    y = x + 1.0                          # out-of-place ops do not bump
    assert x._version == 3 and y._version == 0
    c = x.clone()
    c.add_(1.0)
    assert x._version == 3               # a clone has its own counter


# ---------------------------------------------------------------- dtype and conversions

def test_dtypes_and_casts():
    x = ember.tensor([1.7, -2.2])
    assert x.dtype == ember.float32 and x.is_floating_point()
    assert_close(x.long(), torch.tensor([1.7, -2.2]).long())
    assert_close(x.double(), torch.tensor([1.7, -2.2]).double())
    assert_close(x.bool(), torch.tensor([1.7, -2.2]).bool())
    assert_close(x.to(ember.float64), torch.tensor([1.7, -2.2]).to(torch.float64))
    assert ember.tensor([1, 2]).dtype == ember.int64
    assert ember.tensor([True]).dtype == ember.bool
    assert ember.tensor([1, 2.5]).dtype == ember.float32
    assert ember.tensor(np.array([1.0])).dtype == ember.float64   # NumPy's dtype is kept
    assert ember.float == ember.float32 and ember.double == ember.float64 and ember.long == ember.int64
    assert x.element_size() == 4 and ember.float64.itemsize == 8


def test_cast_is_differentiable():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x.double() * 3.0
    assert y.dtype == ember.float64
    y.sum().backward()
    assert x.grad.dtype == ember.float32 and x.grad.tolist() == [3.0, 3.0]


def test_numpy_zero_copy_both_ways():
    x = ember.zeros(2, 3)
    a = x.numpy()
    a[0, 1] = 5.0
    assert x.tolist()[0][1] == 5.0
    x.add_(1.0)
    assert a[1, 2] == 1.0
    t = x.t()
    assert np.shares_memory(t.numpy(), a) and t.numpy().shape == (3, 2)

    arr = np.arange(6, dtype=np.float64).reshape(2, 3)
    f = ember.from_numpy(arr)
    assert f.dtype == ember.float64
    arr[0, 0] = 42.0
    assert f.tolist()[0][0] == 42.0
    f.mul_(2.0)
    assert arr[0, 0] == 84.0
    # non-contiguous arrays keep their strides
    g = ember.from_numpy(arr[:, ::2])
    assert g.shape == (2, 2) and g.tolist() == arr[:, ::2].tolist()


def test_from_numpy_outlives_the_array_name():
    arr = np.arange(4, dtype=np.float32)
    t = ember.from_numpy(arr)
    del arr
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0]
    a = ember.ones(3).numpy()      # the tensor is gone; the array keeps its memory alive
    assert a.tolist() == [1.0, 1.0, 1.0]


def test_numpy_on_requires_grad_raises():
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        x.numpy()
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        torch.ones(2, requires_grad=True).numpy()
    assert x.detach().numpy().tolist() == [1.0, 1.0]


def test_from_numpy_unsupported_dtype():
    with pytest.raises(TypeError, match="can't convert np.ndarray of type"):
        ember.from_numpy(np.zeros(2, dtype=np.int16))


def test_tolist_and_item():
    assert ember.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert ember.tensor(2.5).tolist() == 2.5
    assert ember.tensor([True]).tolist() == [True]
    assert type(ember.tensor(3).item()) is int
    assert type(ember.tensor(3.0).item()) is float
    assert ember.tensor([[7.0]]).item() == 7.0
    assert float(ember.tensor(1.5)) == 1.5 and int(ember.tensor(4)) == 4
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        ember.ones(2).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(ember.ones(2))
    assert len(ember.zeros(4, 2)) == 4


def test_shape_size_dim_numel():
    x = ember.zeros(2, 3, 4)
    t = torch.zeros(2, 3, 4)
    assert x.shape == tuple(t.shape) and x.size() == tuple(t.size()) and x.size(-1) == t.size(-1)
    assert x.dim() == t.dim() == x.ndim and x.numel() == t.numel()
    assert x.stride() == t.stride() and x.stride(0) == t.stride(0)
    assert str(x.device) == "cpu" and x.device == ember.device("cpu")


# ---------------------------------------------------------------- printing

PRINT_CASES = [
    "tensor([[1., 2.], [3., 4.]])",
    "tensor([1.5, -2.25, 3.0])",
    "tensor([0.1234567, 100.5])",
    "tensor([1e-5, 3.0])",
    "tensor([1e10, 1.0])",
    "tensor([1, -20, 300])",
    "tensor([True, False])",
    "tensor(3.5)",
    "tensor(7)",
    "tensor([1.0, 2.0], requires_grad=True)",
    "tensor([1.0, 2.0], dtype=LIB.float64)",
    "tensor([1.0, 2.0], dtype=LIB.float64, requires_grad=True)",
    "tensor([float('nan'), float('inf'), -float('inf'), 1.0])",
    "zeros(0)",
    "zeros(2, 0)",
    "zeros(3)",
    "arange(24.).reshape(2, 3, 4)",
    "arange(2000.)",
    "arange(4000).reshape(2000, 2)",
    "tensor([1.0, 2.0], requires_grad=True) * 2",
    "tensor([1.0, 2.0], requires_grad=True).exp()",
    "tensor([1.0, 2.0], dtype=LIB.float64, requires_grad=True) + 1",
]


@pytest.mark.parametrize("expr", PRINT_CASES)
def test_printing_matches_torch(expr):
    e = eval("ember." + expr.replace("LIB", "ember"))
    t = eval("torch." + expr.replace("LIB", "torch"))
    assert str(e) == str(t).replace("torch.", "ember.")
    assert repr(e) == repr(t).replace("torch.", "ember.")


# ---------------------------------------------------------------- factories

@pytest.mark.parametrize("name", ["zeros", "ones"])
@pytest.mark.parametrize("dtype", [None, ember.float64, ember.int64, ember.bool])
def test_zeros_ones(name, dtype):
    td = None if dtype is None else {ember.float64: torch.float64, ember.int64: torch.int64,
                                     ember.bool: torch.bool}[dtype]
    assert_close(getattr(ember, name)(2, 3, dtype=dtype), getattr(torch, name)(2, 3, dtype=td))
    assert_close(getattr(ember, name)((2, 3), dtype=dtype), getattr(torch, name)((2, 3), dtype=td))
    assert_close(getattr(ember, name)([4], dtype=dtype), getattr(torch, name)([4], dtype=td))
    assert getattr(ember, name)().shape == ()


def test_factories_requires_grad():
    for f in (ember.zeros, ember.ones, ember.rand, ember.randn, ember.empty):
        x = f(2, requires_grad=True)
        assert x.requires_grad and x.is_leaf
    assert ember.full((2,), 1.5, requires_grad=True).requires_grad
    assert ember.arange(3.0, requires_grad=True).requires_grad
    assert ember.eye(2, requires_grad=True).requires_grad
    assert ember.linspace(0, 1, 3, requires_grad=True).requires_grad


def test_full():
    assert_close(ember.full((2, 3), 1.5), torch.full((2, 3), 1.5))
    assert_close(ember.full((2,), 7), torch.full((2,), 7))
    assert_close(ember.full((2,), True), torch.full((2,), True))
    assert_close(ember.full((2,), 7, dtype=ember.float64), torch.full((2,), 7, dtype=torch.float64))
    for value in (float("nan"), float("inf"), 1e30):  # no int64 value: refused, as torch (not undefined)
        with pytest.raises(RuntimeError, match="cannot be converted to type"):
            ember.full((2,), value, dtype=ember.int64)
        with pytest.raises(RuntimeError, match="cannot be converted to type"):
            ember.tensor([1, 2]).masked_fill(ember.tensor([True, False]), value)


@pytest.mark.parametrize("args", [(5,), (2, 9), (1, 2, 0.25), (0.0, 1.0, 0.1), (10, 0, -3), (-2.5, 2.5), (3.0,)])
def test_arange(args):
    assert_close(ember.arange(*args), torch.arange(*args))
    assert_close(ember.arange(*args, dtype=ember.float64), torch.arange(*args, dtype=torch.float64))


@pytest.mark.parametrize("args", [(0, 1, 5), (-3, 7, 11), (2, 2, 1), (0, 1, 0), (1.5, -1.5, 4), (0, 1, 100)])
def test_linspace(args):
    assert_close(ember.linspace(*args), torch.linspace(*args))
    assert_close(ember.linspace(*args, dtype=ember.float64), torch.linspace(*args, dtype=torch.float64))


def test_eye():
    assert_close(ember.eye(3), torch.eye(3))
    assert_close(ember.eye(2, 4), torch.eye(2, 4))
    assert_close(ember.eye(3, dtype=ember.int64), torch.eye(3, dtype=torch.int64))
    assert_close(ember.eye(3, dtype=ember.bool), torch.eye(3, dtype=torch.bool))


def test_like_factories():
    x = ember.ones(2, 3, dtype=ember.float64)
    for name in ["zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"]:
        y = getattr(ember, name)(x)
        assert y.shape == (2, 3) and y.dtype == ember.float64 and not y.requires_grad
    assert ember.zeros_like(x, dtype=ember.int64).dtype == ember.int64
    assert ember.ones_like(x, requires_grad=True).requires_grad
    assert_close(ember.full_like(x, 2.5), torch.full_like(torch.ones(2, 3, dtype=torch.float64), 2.5))
    assert_close(ember.zeros_like(ember.tensor([1, 2])), torch.zeros_like(torch.tensor([1, 2])))


def test_tensor_from_data_copies():
    arr = np.ones(3, dtype=np.float32)
    t = ember.tensor(arr)
    arr[0] = 5.0
    assert t.tolist() == [1.0, 1.0, 1.0]
    u = ember.tensor(t)
    u.add_(1.0)
    assert t.tolist() == [1.0, 1.0, 1.0]
    a = ember.as_tensor(arr)                 # as_tensor shares where it can
    arr[1] = 9.0
    assert a.tolist()[1] == 9.0


# ---------------------------------------------------------------- random numbers

@pytest.mark.parametrize("make", [
    lambda: ember.rand(50),
    lambda: ember.randn(50, dtype=ember.float64),
    lambda: ember.randint(0, 10, (50,)),
    lambda: ember.randint(7, (50,)),
    lambda: ember.randperm(50),
    lambda: ember.empty(50).uniform_(-2, 2),
    lambda: ember.empty(50).normal_(1.0, 3.0),
])
def test_manual_seed_reproducible(make):
    ember.manual_seed(123)
    a = make().tolist()
    b = make().tolist()
    ember.manual_seed(123)
    assert make().tolist() == a
    assert make().tolist() == b
    assert a != b                 # the generator advances
    ember.manual_seed(124)
    assert make().tolist() != a   # another seed, other numbers
    assert ember.initial_seed() == 124


def test_random_distributions_are_sane():
    ember.manual_seed(0)
    u = ember.rand(100_000).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.01
    n = ember.randn(100_000, dtype=ember.float64).numpy()
    assert abs(n.mean()) < 0.02 and abs(n.std() - 1.0) < 0.02
    r = ember.randint(-3, 5, (10_000,))
    assert r.dtype == ember.int64
    vals = r.numpy()
    assert vals.min() == -3 and vals.max() == 4
    assert set(np.unique(vals).tolist()) == set(range(-3, 5))
    p = ember.randperm(1000).numpy()
    assert sorted(p.tolist()) == list(range(1000)) and p.tolist() != list(range(1000))
    nm = ember.empty(50_000).normal_(2.0, 0.5).numpy()
    assert abs(nm.mean() - 2.0) < 0.02 and abs(nm.std() - 0.5) < 0.02


def test_random_into_non_contiguous_view():
    ember.manual_seed(1)
    x = ember.zeros(4, 6)
    x.t().uniform_(5.0, 6.0)
    assert np.all(x.numpy() >= 5.0)


def test_to_cpu_type_as():
    x = ember.ones(2)
    assert x.to("cpu") is x and x.cpu() is x and x.to(ember.float32) is x
    assert x.to(ember.float64).dtype == ember.float64
    assert x.to(ember.ones(1, dtype=ember.float64)).dtype == ember.float64
    assert x.type_as(ember.ones(1, dtype=ember.int64)).dtype == ember.int64
    y = x.to(copy=True)
    assert y is not x and y.data_ptr() != x.data_ptr() and y.tolist() == x.tolist()


def test_deepcopy_of_a_leaf_copies_values_requires_grad_and_grad():
    import copy
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    x.grad = ember.tensor([3.0, 4.0])
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    tx.grad = torch.tensor([3.0, 4.0])
    y, ty = copy.deepcopy(x), copy.deepcopy(tx)
    assert y.requires_grad == ty.requires_grad and y.is_leaf
    assert y.tolist() == ty.tolist() and y.grad.tolist() == ty.grad.tolist()
    x.detach().mul_(0)                      # new memory: the copy keeps its values
    assert y.tolist() == [1.0, 2.0]
    model = ember.nn.Linear(2, 2)
    best = copy.deepcopy(model.state_dict())
    with ember.no_grad():
        model.weight.add_(1.0)
    assert not (best["weight"] == model.weight).any().item()
    with pytest.raises(RuntimeError, match=r"\[deepcopy\] only tensors created explicitly by the user"):
        copy.deepcopy(x * 2)


def test_set_num_threads_round_trip_and_error():
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        assert ember.get_num_threads() == 1
        a = ember.randn(300, 300)
        one = (a @ a).numpy()
        ember.set_num_threads(2)
        assert ember.get_num_threads() == 2
        np.testing.assert_allclose((a @ a).numpy(), one, rtol=1e-5, atol=1e-4)
    finally:
        ember.set_num_threads(before)
    with pytest.raises(RuntimeError, match=r"\[set_num_threads\] number of threads must be positive"):
        ember.set_num_threads(0)
    with pytest.raises(RuntimeError):
        torch.set_num_threads(0)
