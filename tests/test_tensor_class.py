"""ember.Tensor is one Python class, `class Tensor(_C.TensorBase)` in ember/tensor.py, and every
tensor C++ hands back surfaces as an instance of it (Note [Tensors surface as ember.Tensor]);
plus the to() argument forms that Tensor.to and nn.Module.to share (tensor.parse_to)."""
import copy
import pickle
import weakref

import numpy as np
import pytest

import ember
from ember import _C, nn
from conftest import torch


def _x(requires_grad=False):
    return ember.tensor([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]], requires_grad=requires_grad)


RESULTS = {
    # factories
    "zeros": lambda: ember.zeros(2, 3),
    "ones_like": lambda: ember.ones_like(_x()),
    "tensor": lambda: ember.tensor([1, 2]),
    "arange": lambda: ember.arange(5),
    "randn": lambda: ember.randn(3),
    "full": lambda: ember.full((2,), 7.0),
    "eye": lambda: ember.eye(3),
    "linspace": lambda: ember.linspace(0, 1, 5),
    "from_numpy": lambda: ember.from_numpy(np.ones(3, np.float32)),
    "as_tensor": lambda: ember.as_tensor(np.ones(3, np.float32)),
    "empty": lambda: ember.empty(2),
    # arithmetic and maths
    "add": lambda: _x() + _x(),
    "radd scalar": lambda: 1.0 + _x(),
    "mul": lambda: _x() * 2,
    "div": lambda: _x() / _x(),
    "pow": lambda: _x() ** 2,
    "neg": lambda: -_x(),
    "matmul": lambda: _x() @ _x().t(),
    "relu": lambda: _x().relu(),
    "exp": lambda: ember.exp(_x()),
    "comparison": lambda: _x() > 0,
    "sum": lambda: _x().sum(),
    "mean dim": lambda: _x().mean(0),
    "max all": lambda: _x().max(),
    "max dim values": lambda: _x().max(1).values,
    "max dim indices": lambda: _x().max(1).indices,
    "min elementwise": lambda: _x().min(_x() * 0),
    "softmax": lambda: ember.softmax(_x(), 1),
    "cross_entropy": lambda: nn.functional.cross_entropy(_x(), ember.tensor([0, 2])),
    # views and copies
    "view": lambda: _x().view(3, 2),
    "reshape": lambda: _x().reshape(-1),
    "transpose": lambda: _x().transpose(0, 1),
    "T": lambda: _x().T,
    "permute": lambda: _x().permute(1, 0),
    "expand": lambda: ember.ones(1, 3).expand(2, 3),
    "squeeze/unsqueeze": lambda: _x().unsqueeze(0).squeeze(0),
    "flatten": lambda: _x().flatten(),
    "detach": lambda: _x(True).detach(),
    "clone": lambda: _x().clone(),
    "contiguous": lambda: _x().t().contiguous(),
    "to dtype": lambda: _x().to(ember.float64),
    "double": lambda: _x().double(),
    "cpu": lambda: _x().cpu(),
    "split piece": lambda: ember.split(_x(), 1)[0],
    "chunk piece": lambda: _x().chunk(3, 1)[1],
    "cat": lambda: ember.cat([_x(), _x()]),
    "stack": lambda: ember.stack([_x(), _x()]),
    # indexing
    "int index": lambda: _x()[0],
    "slice": lambda: _x()[:, 1:],
    "tensor index": lambda: _x()[ember.tensor([1, 0])],
    "mask": lambda: _x()[_x() > 0],
    "gather": lambda: ember.gather(_x(), 1, ember.tensor([[0], [1]])),
    "iteration": lambda: next(iter(_x())),
    # autograd
    ".grad": lambda: _grad_of_leaf(),
    "autograd.grad": lambda: _autograd_grad(),
    "Function output": lambda: _function_output(),
    "Function grad": lambda: _function_grad(),
    "hook argument": lambda: _hook_argument(),
    "_base": lambda: _x()[0]._base,
    "in-place result": lambda: _x().add_(1),
    # nn
    "Linear output": lambda: nn.Linear(3, 2)(_x()),
    "Parameter op": lambda: nn.Parameter(ember.ones(2)) * 2,
    "Parameter grad": lambda: _parameter_grad(),
    "Parameter data": lambda: nn.Parameter(ember.ones(2)).data,
}


def _grad_of_leaf():
    x = _x(True)
    (x * x).sum().backward()
    return x.grad


def _autograd_grad():
    x = _x(True)
    return ember.autograd.grad((x * x).sum(), x)[0]


class _Square(ember.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 2 * x * g


def _function_output():
    return _Square.apply(_x(True))


def _function_grad():
    x = _x(True)
    _Square.apply(x).sum().backward()
    return x.grad


def _hook_argument():
    seen = []
    x = _x(True)
    x.register_hook(lambda g: seen.append(g))
    x.sum().backward()
    return seen[0]


def _parameter_grad():
    p = nn.Parameter(ember.ones(2))
    (p * 3).sum().backward()
    return p.grad


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_every_result_is_an_ember_tensor(name):
    out = RESULTS[name]()
    assert type(out) is ember.Tensor, f"{name} returned {type(out)}"
    assert isinstance(out, ember.Tensor) and isinstance(out, _C.TensorBase)


def test_the_class_holds_the_python_methods_and_the_base_is_untouched():
    assert ember.Tensor.__module__ == "ember" and ember.Tensor.__name__ == "Tensor"
    assert ember.Tensor.__bases__ == (_C.TensorBase,) and not hasattr(_C, "Tensor")
    python_level = ["__repr__", "tolist", "__array__", "__len__", "__iter__", "__bool__", "__float__", "__int__",
                    "__index__", "backward", "retain_grad", "to", "cpu", "cuda", "type_as", "__deepcopy__", "max",
                    "min"]
    for name in python_level:
        assert name in vars(ember.Tensor), name
        assert name not in vars(_C.TensorBase), f"{name} was assigned onto the native class"
    assert ember.is_tensor(ember.zeros(1)) and not ember.is_tensor(np.zeros(1))


def test_identity_is_kept_for_the_same_impl():
    x = _x(True)
    (x * 2).sum().backward()
    assert x.grad is x.grad
    y = ember.ones(3)
    assert y.add_(1) is y and y.requires_grad_(False) is y
    p = nn.Parameter(ember.ones(2))
    with ember.no_grad():
        assert p.mul_(2) is p
    assert p.requires_grad_() is p and type(p) is nn.Parameter


def test_parameter_is_a_subclass_with_its_own_rules():
    p = nn.Parameter(ember.ones(2))
    assert type(p) is nn.Parameter and isinstance(p, ember.Tensor) and p.is_leaf and p.requires_grad
    assert repr(p) == "Parameter containing:\ntensor([1., 1.], requires_grad=True)"
    p.note = "ok"  # a Parameter has a __dict__, as before
    assert p.note == "ok"
    assert type(copy.deepcopy(p)) is nn.Parameter
    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(p)
    with pytest.raises(TypeError, match="Parameter data must be a Tensor"):
        nn.Parameter([1.0])


def test_plain_tensors_take_no_attributes_and_do_not_pickle():
    x = ember.zeros(2)
    with pytest.raises(AttributeError):
        x.some_attr = 1
    with pytest.raises(TypeError):
        pickle.dumps(x)
    assert weakref.ref(x)() is x and hash(x) == id(x)
    y = copy.deepcopy(ember.ones(2, requires_grad=True))
    assert type(y) is ember.Tensor and y.requires_grad
    with pytest.raises(RuntimeError, match="deepcopy"):
        copy.deepcopy(ember.ones(2, requires_grad=True) * 2)


def test_constructor_and_user_subclasses():
    base = ember.ones(2)
    t = ember.Tensor(base, True)  # a new leaf over base's storage
    assert type(t) is ember.Tensor and t.requires_grad and t.data_ptr() == base.data_ptr()

    class Mine(ember.Tensor):
        pass
    m = Mine(base)
    assert type(m) is Mine and type(m + 1) is ember.Tensor


def test_set_tensor_class_checks_its_argument():
    with pytest.raises(TypeError, match="subclass of _C.TensorBase"):
        _C._set_tensor_class(int)

    class WithDict(ember.Tensor):
        pass
    try:
        with pytest.raises(TypeError, match="__slots__"):
            _C._set_tensor_class(WithDict)
    finally:
        _C._set_tensor_class(ember.Tensor)  # in case the check let it through
    assert type(ember.zeros(1)) is ember.Tensor


# ---- to(): one parser for Tensor.to and nn.Module.to, PyTorch's forms

TO_FORMS = [
    ("dtype", lambda lib: ((lib.float64,), {})),
    ("dtype kw", lambda lib: ((), {"dtype": lib.float64})),
    ("dtype, non_blocking, copy positional", lambda lib: ((lib.float32, False, True), {})),
    ("dtype, copy kw", lambda lib: ((lib.float32,), {"copy": True})),
    ("device str", lambda lib: (("cpu",), {})),
    ("device object", lambda lib: ((lib.device("cpu"),), {})),
    ("device, dtype positional", lambda lib: (("cpu", lib.float64), {})),
    ("device, dtype, non_blocking, copy positional", lambda lib: (("cpu", lib.float32, True, True), {})),
    ("device kw, dtype kw", lambda lib: ((), {"device": "cpu", "dtype": lib.float64})),
    ("device positional, dtype kw", lambda lib: (("cpu",), {"dtype": lib.float64, "non_blocking": True})),
    ("tensor", lambda lib: ((lib.ones(1, dtype=lib.float64),), {})),
    ("tensor, non_blocking, copy", lambda lib: ((lib.ones(1),), {"non_blocking": False, "copy": True})),
    ("copy only", lambda lib: ((), {"copy": True})),
    ("nothing", lambda lib: ((), {})),
]


@pytest.mark.parametrize("form", [f for f, _ in TO_FORMS])
def test_tensor_to_forms_match_torch(form):
    make = dict(TO_FORMS)[form]
    e, t = ember.ones(2), torch.ones(2)
    (ea, ek), (ta, tk) = make(ember), make(torch)
    eo, to = e.to(*ea, **ek), t.to(*ta, **tk)
    assert str(eo.dtype).split(".")[-1] == str(to.dtype).split(".")[-1]
    assert eo.device.type == to.device.type
    assert (eo is e) == (to is t) and type(eo) is ember.Tensor


@pytest.mark.parametrize("args, kwargs, match", [
    ((ember.float32, False, True, 1), {}, "at most 3 positional"),
    (("cpu", ember.float32, False, True, 1), {}, "at most 4 positional"),
    ((ember.float32,), {"dtype": ember.float64}, "multiple values for argument 'dtype'"),
    ((), {"memory": 1}, "unexpected keyword argument 'memory'"),
    ((ember.ones(1),), {"other": ember.ones(1)}, "unexpected keyword argument 'other'"),
    ((1.5,), {}, "expected a device"),
    (("cpu", "float64"), {}, "expected a dtype"),
    ((ember.float64, "cpu"), {}, "expected bools"),  # the device goes first
])
def test_tensor_to_rejects_what_torch_rejects(args, kwargs, match):
    with pytest.raises(TypeError, match=match):
        ember.ones(2).to(*args, **kwargs)


def test_tensor_to_int_device_means_cuda():
    if ember.cuda.is_available():
        assert ember.ones(1).to(0).device == ember.device("cuda", 0)
    else:
        with pytest.raises(Exception, match="cuda|CUDA"):
            ember.ones(1).to(0)


MODULE_FORMS = [
    ("dtype", lambda lib: ((lib.float64,), {}), "float64"),
    ("dtype, non_blocking positional", lambda lib: ((lib.float64, True), {}), "float64"),
    ("dtype kw", lambda lib: ((), {"dtype": lib.float64}), "float64"),
    ("device", lambda lib: (("cpu",), {}), "float32"),
    ("device, dtype positional", lambda lib: (("cpu", lib.float64), {}), "float64"),
    ("device, dtype, non_blocking positional", lambda lib: (("cpu", lib.float64, False), {}), "float64"),
    ("device kw, non_blocking kw", lambda lib: ((), {"device": lib.device("cpu"), "non_blocking": True}), "float32"),
    ("tensor", lambda lib: ((lib.ones(1, dtype=lib.float64),), {}), "float64"),
    ("tensor, non_blocking", lambda lib: ((lib.ones(1, dtype=lib.float64), True), {}), "float64"),
]


@pytest.mark.parametrize("form", [f for f, _, _ in MODULE_FORMS])
def test_module_to_forms_match_torch(form):
    make, want = {f: (m, w) for f, m, w in MODULE_FORMS}[form]
    for lib in (ember, torch):
        model = lib.nn.Linear(2, 2)
        args, kwargs = make(lib)
        assert model.to(*args, **kwargs) is model
        assert str(model.weight.dtype).endswith(want) and model.weight.device.type == "cpu"
        assert isinstance(model.weight, lib.nn.Parameter)


@pytest.mark.parametrize("args, kwargs", [
    ((ember.float32, False, True), {}),  # Module.to takes no copy
    ((), {"copy": True}),
    ((ember.int64,), {}),                # only floating dtypes
])
def test_module_to_rejects_what_torch_rejects(args, kwargs):
    targs = tuple(getattr(torch, str(a).split(".")[-1]) if isinstance(a, ember.dtype) else a for a in args)
    with pytest.raises((TypeError, RuntimeError)) as want:
        torch.nn.Linear(2, 2).to(*targs, **kwargs)
    with pytest.raises(want.type):
        nn.Linear(2, 2).to(*args, **kwargs)
