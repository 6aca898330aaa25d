"""ember.autograd.Function: the same custom Functions written once, built for ember and for torch,
must give the same values and gradients; plus ctx features and the error paths."""
import numpy as np
import pytest

import ember
from conftest import assert_close, to_torch, torch


def make_functions(lib):
    """Custom Functions written against `lib` (ember or torch): only names common to both are used."""
    F = lib.autograd.Function

    class MyExp(F):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            y, = ctx.saved_tensors
            return g * y

    class MyLinear(F):
        @staticmethod
        def forward(ctx, x, w, b=None):
            ctx.save_for_backward(x, w, b)
            out = x.matmul(w.t())
            return out + b if b is not None else out

        @staticmethod
        def backward(ctx, g):
            x, w, b = ctx.saved_tensors
            gx = g.matmul(w) if ctx.needs_input_grad[0] else None
            gw = g.t().matmul(x) if ctx.needs_input_grad[1] else None
            gb = g.sum(0) if b is not None and ctx.needs_input_grad[2] else None
            return gx, gw, gb

    class SinCos(F):  # two outputs and a non-tensor argument
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x)
            ctx.scale = scale
            return x.sin() * scale, x.cos()

        @staticmethod
        def backward(ctx, gs, gc):
            x, = ctx.saved_tensors
            return gs * x.cos() * ctx.scale - gc * x.sin(), None

    class SortedWithIndex(F):  # the index output is not differentiable
        @staticmethod
        def forward(ctx, x):
            idx = x.argmax(dim=1, keepdim=True)
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            ctx.shape = x.shape
            return x.gather(1, idx), idx

        @staticmethod
        def backward(ctx, g, _gidx):
            idx, = ctx.saved_tensors
            return lib.zeros(ctx.shape, dtype=g.dtype).scatter_add(1, idx, g)

    class Identity(F):  # an input returned as is
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3

    class NoGradFor(F):  # returns None for an input that requires grad
        @staticmethod
        def forward(ctx, x, y):
            return x * 2 + y

        @staticmethod
        def backward(ctx, g):
            return g * 2, None

    class WithExtras(F):  # a non-tensor output, set_materialize_grads(False)
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3, "label"

        @staticmethod
        def backward(ctx, g1, g2, g3):
            assert g3 is None
            out = 0
            if g1 is not None:
                out = out + g1 * 2
            if g2 is not None:
                out = out + g2 * 3
            return out

    return dict(MyExp=MyExp, MyLinear=MyLinear, SinCos=SinCos, SortedWithIndex=SortedWithIndex,
                Identity=Identity, NoGradFor=NoGradFor, WithExtras=WithExtras)


E = make_functions(ember)
T = make_functions(torch)
DTYPES = [ember.float32, ember.float64]


def leaves(*arrays, dtype):
    e = [ember.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    return e, [to_torch(x) for x in e]


@pytest.mark.parametrize("dtype", DTYPES)
def test_exp_matches_torch(dtype):
    (x,), (tx,) = leaves(np.random.default_rng(0).normal(size=(3, 4)), dtype=dtype)
    y, ty = E["MyExp"].apply(x), T["MyExp"].apply(tx)
    assert y.grad_fn.name() == "MyExpBackward" and y.grad_fn.next_functions[0][0].name() == "AccumulateGrad"
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    assert_close(y, ty)
    assert_close(x.grad, tx.grad)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_matches_torch(dtype, with_bias):
    rng = np.random.default_rng(1)
    (x, w, b), (tx, tw, tb) = leaves(rng.normal(size=(5, 3)), rng.normal(size=(4, 3)), rng.normal(size=4), dtype=dtype)
    args, targs = ((x, w, b), (tx, tw, tb)) if with_bias else ((x, w), (tx, tw))
    y, ty = E["MyLinear"].apply(*args), T["MyLinear"].apply(*targs)
    (y.tanh() * 2).sum().backward()
    (ty.tanh() * 2).sum().backward()
    assert_close(y, ty)
    for e, t in zip(args, targs):
        assert_close(e.grad, t.grad)
    assert b.grad is None if not with_bias else True


def test_needs_input_grad_skips_unwanted_gradients():
    seen = {}

    class Spy(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            seen["needs"] = ctx.needs_input_grad
            return x * w

        @staticmethod
        def backward(ctx, g):
            return None, g

    x, w = ember.ones(3), ember.ones(3, requires_grad=True)
    Spy.apply(x, w).sum().backward()
    assert seen["needs"] == (False, True)
    assert w.grad.tolist() == [1.0, 1.0, 1.0]
    with ember.no_grad():
        y = Spy.apply(x, w)
    assert seen["needs"] == (False, False) and y.grad_fn is None and not y.requires_grad


@pytest.mark.parametrize("dtype", DTYPES)
def test_multi_output_and_ctx_attributes(dtype):
    (x,), (tx,) = leaves(np.linspace(-2, 2, 6), dtype=dtype)
    s, c = E["SinCos"].apply(x, 2.5)
    ts, tc = T["SinCos"].apply(tx, 2.5)
    assert s.grad_fn is c.grad_fn
    (s * c + c).sum().backward()
    (ts * tc + tc).sum().backward()
    assert_close(s, ts)
    assert_close(c, tc)
    assert_close(x.grad, tx.grad)


def test_one_output_unused_gets_zeros():
    (x,), (tx,) = leaves([0.5, 1.0, 1.5], dtype=ember.float64)
    E["SinCos"].apply(x, 3.0)[0].sum().backward()
    T["SinCos"].apply(tx, 3.0)[0].sum().backward()
    assert_close(x.grad, tx.grad)


def test_mark_non_differentiable():
    (x,), (tx,) = leaves(np.random.default_rng(2).normal(size=(3, 5)), dtype=ember.float32)
    v, idx = E["SortedWithIndex"].apply(x)
    tv, tidx = T["SortedWithIndex"].apply(tx)
    assert not idx.requires_grad and v.requires_grad
    assert idx.tolist() == tidx.tolist()
    (v * 4).sum().backward()
    (tv * 4).sum().backward()
    assert_close(x.grad, tx.grad)


def test_float_output_marked_non_differentiable_has_no_grad():
    class Half(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 0.5
            ctx.mark_non_differentiable(y)
            return y

        @staticmethod
        def backward(ctx, g):
            return g

    y = Half.apply(ember.ones(2, requires_grad=True))
    assert not y.requires_grad and y.grad_fn is None


def test_input_returned_as_is_gets_an_alias_with_new_history():
    (x,), (tx,) = leaves([1.0, 2.0], dtype=ember.float32)
    y, ty = E["Identity"].apply(x), T["Identity"].apply(tx)
    assert y is not x and x.is_leaf and x.grad_fn is None
    assert y.grad_fn.name() == "IdentityBackward" and y.data_ptr() == x.data_ptr()
    y.sum().backward()
    ty.sum().backward()
    assert_close(x.grad, tx.grad)


def test_none_gradient_for_an_input_that_requires_grad():
    (x, y), (tx, ty) = leaves([1.0, 2.0], [3.0, 4.0], dtype=ember.float64)
    E["NoGradFor"].apply(x, y).sum().backward()
    T["NoGradFor"].apply(tx, ty).sum().backward()
    assert_close(x.grad, tx.grad)
    assert y.grad is None and ty.grad is None


@pytest.mark.parametrize("use", [0, 1])
def test_non_tensor_output_and_unmaterialized_grads(use):
    (x,), (tx,) = leaves([1.0, -1.0], dtype=ember.float32)
    out, tout = E["WithExtras"].apply(x), T["WithExtras"].apply(tx)
    assert out[2] == "label" == tout[2]
    out[use].sum().backward()
    tout[use].sum().backward()
    assert_close(x.grad, tx.grad)


@pytest.mark.parametrize("dtype", DTYPES)
def test_double_backward_through_ember_ops(dtype):
    (x,), (tx,) = leaves([0.1, 0.7, -0.3], dtype=dtype)
    y, ty = E["SinCos"].apply(x, 1.5)[0], T["SinCos"].apply(tx, 1.5)[0]
    g, = ember.autograd.grad(y.sum(), x, create_graph=True)
    tg, = torch.autograd.grad(ty.sum(), tx, create_graph=True)
    assert g.requires_grad
    (g * g).sum().backward()
    (tg * tg).sum().backward()
    assert_close(g, tg)
    assert_close(x.grad, tx.grad)


@pytest.mark.parametrize("dtype", DTYPES)
def test_double_backward_through_a_saved_output(dtype):
    (x,), (tx,) = leaves([0.3, -0.2], dtype=dtype)
    g, = ember.autograd.grad((E["MyExp"].apply(x) ** 2).sum(), x, create_graph=True)
    tg, = torch.autograd.grad((T["MyExp"].apply(tx) ** 2).sum(), tx, create_graph=True)
    g.sum().backward()
    tg.sum().backward()
    assert_close(g, tg)
    assert_close(x.grad, tx.grad)


def test_gradcheck_of_custom_functions():
    x = ember.tensor(np.random.default_rng(3).normal(size=(2, 3)), dtype=ember.float64, requires_grad=True)
    w = ember.tensor(np.random.default_rng(4).normal(size=(4, 3)), dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda a: E["MyExp"].apply(a), (x,))
    assert ember.autograd.gradcheck(lambda a, b: E["MyLinear"].apply(a, b), (x, w))
    assert ember.autograd.gradcheck(lambda a: E["SinCos"].apply(a, 0.5), (x,))


def test_mark_dirty_rebases_the_input():
    class AddOneInPlace(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 5

    leaf = ember.ones(2, requires_grad=True)
    a = leaf * 1
    b = AddOneInPlace.apply(a)
    assert b is a and a.grad_fn.name() == "AddOneInPlaceBackward" and a._version == 1
    b.sum().backward()
    assert leaf.grad.tolist() == [5.0, 5.0]


def test_once_differentiable():
    class Square(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @ember.autograd.once_differentiable
        def backward(ctx, g):
            x, = ctx.saved_tensors
            assert not ember.is_grad_enabled()
            return 2 * x * g

    x = ember.tensor([1.0, 3.0], requires_grad=True)
    g, = ember.autograd.grad(Square.apply(x).sum(), x)
    assert g.tolist() == [2.0, 6.0]
    y = Square.apply(x)
    g, = ember.autograd.grad((y * y).sum(), x, create_graph=True)  # the grad into Square requires grad
    assert g.requires_grad
    with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was marked with "
                                           "@once_differentiable"):
        g.sum().backward()


def test_setup_context_form_matches_torch():
    def make(lib):
        class Cube(lib.autograd.Function):
            @staticmethod
            def forward(x, k):
                return x ** 3 * k

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, k = inputs
                ctx.save_for_backward(x)
                ctx.k = k

            @staticmethod
            def backward(ctx, g):
                x, = ctx.saved_tensors
                return 3 * x * x * g * ctx.k, None
        return Cube

    (x,), (tx,) = leaves([0.5, -1.5, 2.0], dtype=ember.float64)
    make(ember).apply(x, 2.0).sum().backward()
    make(torch).apply(tx, 2.0).sum().backward()
    assert_close(x.grad, tx.grad)


def test_function_cannot_be_instantiated():
    with pytest.raises(RuntimeError, match=r"call MyExp.apply\(...\) instead"):
        E["MyExp"]()
