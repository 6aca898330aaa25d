"""ember.set_default_dtype / get_default_dtype (Note [Default dtype], csrc/core/default_dtype.h):
one native global that the factories, Python-float promotion, int -> float ops and nn layers
read, checked case by case against torch under both default dtypes."""
import threading
import warnings

import numpy as np
import pytest

import ember
from ember import nn
from conftest import TORCH_DTYPE, assert_close, torch


@pytest.fixture(autouse=True)
def restore_default_dtype():
    """Every test leaves both libraries' default dtype as it found it, even when it fails."""
    before_e, before_t = ember.get_default_dtype(), torch.get_default_dtype()
    yield
    ember.set_default_dtype(before_e)
    torch.set_default_dtype(before_t)


def _set_both(d):
    ember.set_default_dtype(d)
    torch.set_default_dtype(TORCH_DTYPE[d])


def test_float32_unless_set_and_get_returns_the_module_object():
    assert ember.get_default_dtype() is ember.float32
    ember.set_default_dtype(ember.float64)
    assert ember.get_default_dtype() is ember.float64
    assert ember.get_default_dtype() == ember.double
    ember.set_default_dtype(ember.float32)
    assert ember.get_default_dtype() is ember.float32


@pytest.mark.parametrize("bad, message", [
    (ember.int64, "only floating-point types are supported as the default type"),
    (ember.bool, "only floating-point types are supported as the default type"),
    ("float", "invalid dtype object: only floating-point types are supported as the default type"),
    (None, "invalid dtype object: only floating-point types are supported as the default type"),
])
def test_only_floating_dtypes_can_be_the_default(bad, message):
    tbad = TORCH_DTYPE[bad] if isinstance(bad, ember.dtype) else bad
    with pytest.raises(TypeError, match=message):
        torch.set_default_dtype(tbad)
    with pytest.raises(TypeError, match=message):
        ember.set_default_dtype(bad)
    assert ember.get_default_dtype() is ember.float32  # unchanged by the failed call


# Each case builds a tensor with the default dtype taking part; the dtype must be torch's.
CASES = {
    "tensor float list": lambda m: m.tensor([1.0, 2.5]),
    "tensor float scalar": lambda m: m.tensor(1.5),
    "tensor int list": lambda m: m.tensor([1, 2]),
    "tensor mixed int float": lambda m: m.tensor([[1], [2.5]]),
    "tensor bool float": lambda m: m.tensor([True, 1.5]),
    "tensor empty list": lambda m: m.tensor([]),
    "tensor np.float32 scalar": lambda m: m.tensor(np.float32(1.5)),
    "tensor np.float64 scalar": lambda m: m.tensor(np.float64(1.5)),
    "tensor list of np.float32": lambda m: m.tensor([np.float32(1.5), np.float32(2)]),
    "tensor python float beside np.float32": lambda m: m.tensor([np.float32(1.5), 2.5]),
    "tensor float32 array": lambda m: m.tensor(np.ones(2, np.float32)),
    "tensor float64 array": lambda m: m.tensor(np.ones(2, np.float64)),
    "as_tensor list": lambda m: m.as_tensor([1.5]),
    "from_numpy float32": lambda m: m.from_numpy(np.ones(2, np.float32)),
    "legacy Tensor(list)": lambda m: m.Tensor([1, 2]),
    "legacy Tensor(sizes)": lambda m: m.Tensor(2, 3),
    "legacy Tensor()": lambda m: m.Tensor(),
    "legacy Tensor(float32 array)": lambda m: m.Tensor(np.ones(2, np.float32)),
    "zeros": lambda m: m.zeros(2),
    "ones": lambda m: m.ones(2, 3),
    "empty": lambda m: m.empty(2),
    "full float": lambda m: m.full((2,), 1.5),
    "full int": lambda m: m.full((2,), 1),
    "full bool": lambda m: m.full((2,), True),
    "rand": lambda m: m.rand(2),
    "randn": lambda m: m.randn(2),
    "randint": lambda m: m.randint(0, 5, (2,)),
    "arange float step": lambda m: m.arange(0, 1, 0.25),
    "arange float end": lambda m: m.arange(3.0),
    "arange ints": lambda m: m.arange(3),
    "linspace": lambda m: m.linspace(0, 1, 3),
    "eye": lambda m: m.eye(2),
    "zeros_like float32": lambda m: m.zeros_like(m.ones(2, dtype=m.float32)),
    "int * float scalar": lambda m: m.tensor([1, 2]) * 2.5,
    "float scalar * int": lambda m: 2.5 * m.tensor([1, 2]),
    "bool * float scalar": lambda m: m.tensor([True, False]) * 1.5,
    "int + float scalar in place of a 0-d": lambda m: m.tensor(3) + 0.5,
    "int + float 0-d tensor": lambda m: m.tensor([1]) + m.tensor(2.5),
    "float32 * float scalar": lambda m: m.ones(2, dtype=m.float32) * 2.5,
    "float32 0-d * float scalar": lambda m: m.ones((), dtype=m.float32) * 2.5,
    "add(float32 0-d, float)": lambda m: m.add(m.ones((), dtype=m.float32), 2.5),
    "add(int, float)": lambda m: m.add(m.tensor([1]), 2.5),
    "mul(float, int tensor)": lambda m: m.mul(2.5, m.tensor([1])),
    "int / int": lambda m: m.tensor([1, 2]) / 2,
    "div(int, int tensor)": lambda m: m.div(m.tensor([1]), m.tensor([2])),
    "int ** 0.5": lambda m: m.tensor([4]) ** 0.5,
    "float ** int tensor": lambda m: 2.5 ** m.tensor([2]),
    "int.sqrt()": lambda m: m.tensor([4]).sqrt(),
    "int.exp()": lambda m: m.tensor([1]).exp(),
    "int.sigmoid()": lambda m: m.tensor([1]).sigmoid(),
    "sin(bool)": lambda m: m.sin(m.tensor([True])),
    "atan2 ints": lambda m: m.atan2(m.tensor([1]), m.tensor([2])),
    "int clamp(min=1.5)": lambda m: m.tensor([1, 2]).clamp(min=1.5),
    "int clamp(max=1)": lambda m: m.tensor([1, 2]).clamp(max=1),
    "where(c, 1.0, 0.0)": lambda m: m.where(m.tensor([True, False]), 1.0, 0.0),
    "where(c, int, 0.5)": lambda m: m.where(m.tensor([True, False]), m.tensor([1, 2]), 0.5),
    "where(c, float32 0-d, 0.5)": lambda m: m.where(m.tensor([True, False]), m.ones((), dtype=m.float32), 0.5),
    "int sum": lambda m: m.tensor([1, 2]).sum(),
    "int cumsum": lambda m: m.tensor([1, 2]).cumsum(0),
    "int.float()": lambda m: m.tensor([1]).float(),
    "new_tensor on float32": lambda m: m.ones(2, dtype=m.float32).new_tensor([1.5]),
    "new_zeros on int": lambda m: m.tensor([1]).new_zeros(2),
}


@pytest.mark.parametrize("default", [ember.float32, ember.float64])
@pytest.mark.parametrize("case", list(CASES))
def test_dtype_matches_torch(case, default):
    _set_both(default)
    e, t = CASES[case](ember), CASES[case](torch)
    assert TORCH_DTYPE[e.dtype] == t.dtype, f"{case}: ember {e.dtype}, torch {t.dtype}"
    if case not in ("empty", "rand", "randn", "randint", "legacy Tensor(sizes)"):
        assert_close(e, t)


@pytest.mark.parametrize("default", [ember.float32, ember.float64])
def test_values_follow_the_default_dtype(default):
    """int -> float results are computed in the default dtype, not computed in float32 and cast."""
    _set_both(default)
    big = [16777217, 3]  # 2**24 + 1 is not a float32
    assert_close(ember.tensor(big) / 1, torch.tensor(big) / 1)
    assert_close(ember.tensor(big) * 0.5, torch.tensor(big) * 0.5)
    assert_close(ember.tensor(big).sqrt(), torch.tensor(big).sqrt())
    assert_close(ember.tensor(0.1) + ember.tensor([1, 2]), torch.tensor(0.1) + torch.tensor([1, 2]))
    # isclose meets integers in the default dtype: 2**40 and 2**40 + 1 are one float32
    a, b = [2 ** 40, 5], [2 ** 40 + 1, 5]
    assert_close(ember.isclose(ember.tensor(a), ember.tensor(b), rtol=0, atol=0.5),
                 torch.isclose(torch.tensor(a), torch.tensor(b), rtol=0, atol=0.5))


@pytest.mark.parametrize("default", [ember.float32, ember.float64])
def test_mean_of_integers_raises_as_torch(default):
    _set_both(default)
    with pytest.raises(RuntimeError, match=r"mean\(\): could not infer output dtype"):
        torch.tensor([1, 2]).mean()
    with pytest.raises(RuntimeError, match="could not infer output dtype. Input dtype must be either a floating point"):
        ember.tensor([1, 2]).mean()


@pytest.mark.parametrize("layer", [lambda m: m.nn.Linear(3, 2), lambda m: m.nn.Conv2d(1, 2, 3),
                                   lambda m: m.nn.Embedding(4, 2), lambda m: m.nn.LayerNorm(3),
                                   lambda m: m.nn.BatchNorm1d(3)])
def test_layers_made_after_set_default_dtype_float64_are_float64(layer):
    _set_both(ember.float64)
    e, t = layer(ember), layer(torch)
    for (name, pe), (_, pt) in zip(e.state_dict().items(), t.state_dict().items()):
        assert TORCH_DTYPE[pe.dtype] == pt.dtype, name
    assert nn.Parameter().dtype == ember.float64


def test_a_float64_model_trains_with_adam_and_keeps_a_float64_step():
    """torch.optim keeps 'step' in the default dtype (its _get_scalar_dtype); the native step takes either."""
    _set_both(ember.float64)
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    opt = ember.optim.Adam(model.parameters(), lr=0.01)
    x, y = ember.randn(8, 3), ember.randn(8, 1)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert loss.dtype == ember.float64 and losses[-1] < losses[0]
    state = opt.state[next(iter(model.parameters()))]
    assert state["step"].dtype == ember.float64 and state["step"].item() == 3.0
    tp = torch.nn.Parameter(torch.zeros(2))
    tp.grad = torch.ones(2)
    topt = torch.optim.Adam([tp])
    topt.step()
    assert topt.state[tp]["step"].dtype == torch.float64


def test_repr_shows_dtype_unless_it_is_the_default():
    _set_both(ember.float64)
    for make in (lambda m: m.tensor([1.5]), lambda m: m.tensor([1.5], dtype=m.float32),
                 lambda m: m.tensor([], dtype=m.float32), lambda m: m.zeros(0, 2, dtype=m.float32),
                 lambda m: m.tensor([1, 2])):
        assert repr(make(ember)) == repr(make(torch)).replace("torch.", "ember.")


def test_finfo_without_a_type_is_the_default_dtype():
    _set_both(ember.float64)
    assert ember.finfo().bits == torch.finfo().bits == 64
    assert ember.finfo().eps == torch.finfo().eps


def test_float_conversions_and_explicit_dtypes_ignore_the_default():
    _set_both(ember.float64)
    assert ember.tensor([1]).float().dtype == ember.float32
    assert ember.zeros(2, dtype=ember.float32).dtype == ember.float32
    assert ember.tensor([1.5], dtype=ember.float32).dtype == ember.float32
    assert ember.from_numpy(np.zeros(2, np.float32)).dtype == ember.float32
    assert ember.arange(3, dtype=ember.float32).dtype == ember.float32


def test_set_default_tensor_type_spellings():
    with pytest.warns(UserWarning, match="set_default_tensor_type.. is deprecated"):
        ember.set_default_tensor_type("torch.DoubleTensor")
    assert ember.get_default_dtype() is ember.float64
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ember.set_default_tensor_type("ember.FloatTensor")
        assert ember.get_default_dtype() is ember.float32
        with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
            ember.set_default_tensor_type("torch.LongTensor")
        with pytest.raises(TypeError, match="invalid type object: only floating-point types"):
            ember.set_default_tensor_type(3)
        with pytest.raises(TypeError, match="invalid type"):
            ember.set_default_tensor_type("torch.NoSuchTensor")
        with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
            torch.set_default_tensor_type("torch.LongTensor")


def test_the_default_is_global_across_threads():
    """One process-wide value, as torch's (not thread-local)."""
    seen = []
    ember.set_default_dtype(ember.float64)
    t = threading.Thread(target=lambda: seen.append(ember.tensor(1.5).dtype))
    t.start()
    t.join()
    assert seen == [ember.float64]
