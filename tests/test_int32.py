"""The int32 dtype (torch.int32 / torch.int, Tensor.int()) against PyTorch: construction and
overflow, promotion with every other dtype, the ops scripts use it with (counting tables,
indices, reductions, matmul), NumPy and checkpoint round trips.

The elementwise ops over int32 are in the OpInfo table (tests/op_db.py); this file holds what
is particular to a second integer type."""
import itertools

import numpy as np
import pytest
import torch

import ember

DTYPES = {"bool": (ember.bool, torch.bool), "int32": (ember.int32, torch.int32), "int64": (ember.int64, torch.int64),
          "float32": (ember.float32, torch.float32), "float64": (ember.float64, torch.float64)}


def same(e, t):
    assert str(e.dtype).replace("ember.", "") == str(t.dtype).replace("torch.", ""), (e.dtype, t.dtype)
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def both(data, name):
    return ember.tensor(data, dtype=DTYPES[name][0]), torch.tensor(data, dtype=DTYPES[name][1])


def test_names_and_properties():
    assert ember.int is ember.int32
    assert ember.int32.itemsize == 4 and not ember.int32.is_floating_point
    x = ember.tensor([1, 2], dtype=ember.int32)
    assert x.element_size() == 4 and x.nbytes == 8
    assert repr(x) == "tensor([1, 2], dtype=ember.int32)"
    assert x.type() == "ember.IntTensor"
    assert ember.iinfo(ember.int32).max == 2**31 - 1 and ember.iinfo(ember.int32).min == -2**31
    assert ember.iinfo(ember.int32).bits == 32


@pytest.mark.parametrize("convert", ["int", "to", "_to_dtype"])
def test_conversions(convert):
    data = [[-3.7, 0.0, 2.9], [1e3, -0.5, 7.0]]
    e, t = ember.tensor(data), torch.tensor(data)
    f = {"int": lambda x, L: x.int(), "to": lambda x, L: x.to(L.int32),
         "_to_dtype": lambda x, L: x.to(dtype=L.int32)}[convert]
    same(f(e, ember), f(t, torch))
    same(f(e, ember).float(), f(t, torch).float())
    same(f(e, ember).long(), f(t, torch).long())
    same(ember.tensor([True, False]).int(), torch.tensor([True, False]).int())
    # int64 -> int32 keeps the low 32 bits, as the hardware (and PyTorch) does
    same(ember.tensor([2**31, -2**31 - 1, 2**33 + 5]).int(), torch.tensor([2**31, -2**31 - 1, 2**33 + 5]).int())


def test_construction_from_python_and_numpy():
    same(ember.tensor([1, -2], dtype=ember.int32), torch.tensor([1, -2], dtype=torch.int32))
    same(ember.tensor([1.9, -2.9], dtype=ember.int32), torch.tensor([1.9, -2.9], dtype=torch.int32))
    a = np.array([[1, 2], [3, 4]], dtype=np.int32)
    same(ember.tensor(a), torch.tensor(a))
    same(ember.from_numpy(a), torch.from_numpy(a))
    e = ember.from_numpy(a)
    e[0, 0] = 9  # shares memory, as torch.from_numpy
    assert a[0, 0] == 9 and e.numpy().dtype == np.int32
    for f in (ember.zeros, ember.ones, ember.empty):
        assert f(2, 3, dtype=ember.int32).dtype == ember.int32
    same(ember.full((2,), 7, dtype=ember.int32), torch.full((2,), 7, dtype=torch.int32))
    same(ember.arange(5, dtype=ember.int32), torch.arange(5, dtype=torch.int32))
    g = ember.Generator().manual_seed(0)
    r = ember.randint(-4, 4, (100,), dtype=ember.int32, generator=g)
    assert r.dtype == ember.int32 and -4 <= r.min().item() and r.max().item() < 4


@pytest.mark.parametrize("make", [
    lambda L: L.tensor([2**40], dtype=L.int32),
    lambda L: L.tensor([1e20], dtype=L.int32),
    lambda L: L.tensor([2147483647.5], dtype=L.int32),
    lambda L: L.tensor([float("nan")], dtype=L.int32),
    lambda L: L.tensor([1e20], dtype=L.int64),
    lambda L: L.full((2,), 2**40, dtype=L.int32),
    lambda L: L.zeros(2, dtype=L.int32).fill_(2**40),
])
def test_values_that_do_not_fit_raise(make):
    with pytest.raises(RuntimeError) as t_err:
        make(torch)
    with pytest.raises(RuntimeError, match="cannot be converted to type int.* without overflow") as e_err:
        make(ember)
    assert "overflow" in str(t_err.value)


def test_integers_past_int64_raise_unless_floating():
    for data in ([2**63], [[1, 2**64]]):
        with pytest.raises(ValueError, match="Overflow"):
            torch.tensor(data)
        with pytest.raises(ValueError, match="Overflow"):
            ember.tensor(data)
    same(ember.tensor([2**64 - 1], dtype=ember.float32), torch.tensor([2**64 - 1], dtype=torch.float32))
    same(ember.tensor([2**63 - 1, -2**63]), torch.tensor([2**63 - 1, -2**63]))
    same(ember.tensor([-2**31], dtype=ember.int32), torch.tensor([-2**31], dtype=torch.int32))


PAIRS = [(a, b) for a, b in itertools.product(DTYPES, DTYPES) if "int32" in (a, b)]


@pytest.mark.parametrize("a,b", PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_promotion_with_every_dtype(a, b):
    ea, ta = both([[1, 0, 3]], a)
    for shape_b in ([[2], [1]], 1):  # a dimensioned operand, then a 0-d one (weaker, as in torch)
        eb, tb = both(shape_b, b)
        for fn in (lambda x, y: x * y, lambda x, y: x == y, lambda x, y: x / y if y.dtype.is_floating_point else x):
            if a == b == "bool":
                continue
            same(fn(ea, eb), fn(ta, tb))
        if "bool" not in (a, b):
            same(ea + eb, ta + tb)


def test_python_scalars_keep_int32_and_wrap():
    e, t = both([1, 2, -3], "int32")
    for fn in (lambda x: x + 1, lambda x: x * 2**40, lambda x: x * 2.5, lambda x: x / 2, lambda x: x // 2,
               lambda x: x % 2, lambda x: x ** 2, lambda x: -x, lambda x: x.abs(), lambda x: x > 1, lambda x: ~x,
               lambda x: x & 6, lambda x: x << 1 if hasattr(ember.Tensor, "__lshift__") else x):
        same(fn(e), fn(t))
    big_e, big_t = both([2**31 - 1], "int32")
    same(big_e + 1, big_t + 1)  # wraps to -2**31
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2], dtype=torch.int32) ** -1
    with pytest.raises(RuntimeError, match="negative integer powers"):
        e ** -1


def test_in_place_casts():
    e, t = both([1, 2, 3], "int32")
    e += ember.tensor([10, 20, 30])  # int64 into int32: same category, allowed
    t += torch.tensor([10, 20, 30])
    same(e, t)
    with pytest.raises(RuntimeError, match="can't be cast"):
        e += ember.tensor([0.5, 0.5, 0.5])
    with pytest.raises(RuntimeError):
        t += torch.tensor([0.5, 0.5, 0.5])
    e[1] = 7
    t[1] = 7
    same(e, t)


@pytest.mark.parametrize("name", ["sum", "prod", "cumsum", "cumprod", "amax", "amin", "max", "min", "argmax",
                                  "sort", "argsort", "topk", "median", "count_nonzero", "all", "any"])
def test_reductions(name):
    data = [[3, -1, 4], [1, 5, -9]]
    e, t = both(data, "int32")
    args = {"cumsum": (1,), "cumprod": (1,), "topk": (2,), "sort": (1,), "argsort": (1,)}.get(name, ())
    er, tr = getattr(e, name)(*args), getattr(t, name)(*args)
    for x, y in zip(er if isinstance(er, tuple) else [er], tr if isinstance(tr, tuple) else [tr]):
        same(x, y)
    if name not in ("topk", "argsort", "sort", "cumsum", "cumprod", "median"):
        for x, y in zip(*(r if isinstance(r, tuple) else [r] for r in (getattr(e, name)(dim=0),
                                                                         getattr(t, name)(dim=0)))):
            same(x, y)


def test_mean_and_float_ops_refuse_or_promote_like_torch():
    e, t = both([1, 2, 4], "int32")
    with pytest.raises(RuntimeError, match="could not infer output dtype"):
        e.mean()
    with pytest.raises(RuntimeError):
        t.mean()
    same(e.float().mean(), t.float().mean())
    same(e.sqrt(), t.sqrt())  # int -> the default float dtype
    same(ember.sum(e, dtype=ember.int32), torch.sum(t, dtype=torch.int32))


def test_matmul_wraps_like_torch():
    rng = np.random.default_rng(0)
    a = rng.integers(-50, 50, size=(2, 3, 4), dtype=np.int32)
    b = rng.integers(-50, 50, size=(4, 5), dtype=np.int32)
    same(ember.tensor(a) @ ember.tensor(b), torch.tensor(a) @ torch.tensor(b))
    same(ember.tensor(a).transpose(1, 2).mT @ ember.tensor(b) if hasattr(ember.Tensor, "mT") else
         ember.tensor(a) @ ember.tensor(b), torch.tensor(a) @ torch.tensor(b))
    big_e, big_t = both([[2**20, 2**20]], "int32")
    same(big_e @ big_e.t(), big_t @ big_t.t())  # 2**41 wraps to 0 in int32
    with pytest.raises(RuntimeError):
        ember.tensor(a) @ ember.tensor(b).long()


def test_int32_indices_index_like_int64():
    x = ember.arange(12.0).reshape(3, 4)
    tx = torch.arange(12.0).reshape(3, 4)
    i_e, i_t = both([2, 0, 2], "int32")
    same(x[i_e], tx[i_t])
    same(x[:, i_e], tx[:, i_t])
    same(x.index_select(1, i_e), tx.index_select(1, i_t))
    g_e, g_t = both([[0, 3], [1, 1], [2, 0]], "int32")
    same(x.gather(1, g_e), tx.gather(1, g_t))
    same(ember.zeros(3, 4).scatter_add(1, g_e, ember.ones(3, 2)), torch.zeros(3, 4).scatter_add(1, g_t, torch.ones(3, 2)))
    same(ember.bincount(i_e), torch.bincount(i_t))
    same(ember.zeros(4).scatter(0, i_e[:2], ember.ones(2)), torch.zeros(4).scatter(0, i_t[:2], torch.ones(2)))
    same(ember.zeros(4).scatter_reduce(0, i_e, ember.arange(3.0), "amax"),
         torch.zeros(4).scatter_reduce(0, i_t, torch.arange(3.0), "amax"))
    same(ember.zeros(4).index_add(0, i_e, ember.ones(3)), torch.zeros(4).index_add(0, i_t, torch.ones(3)))
    n_e, n_t = both([5, 1, 7, 2], "int32")
    same(n_e.scatter_reduce(0, i_e, n_e[:3], "sum"), n_t.scatter_reduce(0, i_t, n_t[:3], "sum"))
    same(n_e.index_add(0, i_e, n_e[:3]), n_t.index_add(0, i_t, n_t[:3]))
    w = ember.arange(8.0).reshape(4, 2)
    same(ember.nn.functional.embedding(i_e, w), torch.nn.functional.embedding(i_t, torch.arange(8.0).reshape(4, 2)))
    x2, t2 = x.clone(), tx.clone()
    x2[i_e] = 0.0
    t2[i_t] = 0.0
    same(x2, t2)
    with pytest.raises(RuntimeError, match="int64"):
        ember.nn.functional.cross_entropy(ember.zeros(3, 4), i_e)
    with pytest.raises(RuntimeError, match="LongTensor"):
        ember.nn.functional.one_hot(i_e)


def test_counting_table_idiom():
    """The bigram counting table of character-level LM lectures: an int32 table filled by +=."""
    words = ["emma", "olivia", "ava", "isabella"]
    chars = sorted(set("".join(words)))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    results = []
    for L in (ember, torch):
        N = L.zeros((len(stoi), len(stoi)), dtype=L.int32)
        for w in words:
            cs = ["."] + list(w) + ["."]
            for c1, c2 in zip(cs, cs[1:]):
                N[stoi[c1], stoi[c2]] += 1
        P = (N + 1).float()
        P /= P.sum(1, keepdims=True)
        results.append((N.numpy().copy(), P.numpy().copy(), N[0, stoi["e"]].item()))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6)
    assert results[0][2] == results[1][2] and isinstance(results[0][2], int)


def test_searchsorted_out_int32():
    seq = [1.0, 3.0, 5.0]
    e = ember.searchsorted(ember.tensor(seq), ember.tensor([2.0, 6.0]), out_int32=True)
    t = torch.searchsorted(torch.tensor(seq), torch.tensor([2.0, 6.0]), out_int32=True)
    same(e, t)


def test_save_load_round_trip(tmp_path):
    x = ember.tensor([[1, -2], [3, 2**31 - 1]], dtype=ember.int32)
    ember.save({"x": x}, tmp_path / "c.safetensors")
    y = ember.load(tmp_path / "c.safetensors")["x"]
    assert y.dtype == ember.int32
    np.testing.assert_array_equal(y.numpy(), x.numpy())


def test_int32_has_no_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        ember.tensor([1, 2], dtype=ember.int32).requires_grad_()
