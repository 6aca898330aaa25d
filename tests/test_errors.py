"""User mistakes raise a Python exception of the type PyTorch raises there (never a crash).

Each case runs on ember and on torch with the same expression, so a test fails when ember's
exception type drifts from PyTorch's; the message is matched loosely against ember's wording."""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def raises_like_torch(expr, exc, match):
    """`expr` (with LIB standing for the library) raises `exc` in both ember and torch."""
    with pytest.raises(exc, match=match):
        eval(expr.replace("LIB", "ember"))
    with pytest.raises(exc):
        eval(expr.replace("LIB", "torch"))


CASES = [
    # broadcasting
    ("LIB.ones(3) + LIB.ones(4)", RuntimeError, r"size of tensor a \(3\) must match the size of tensor b \(4\)"),
    ("LIB.ones(2, 3) * LIB.ones(3, 2)", RuntimeError, "must match"),
    ("LIB.ones(2, 3) - LIB.ones(4, 1, 2)", RuntimeError, "must match"),
    ("LIB.where(LIB.ones(3) > 0, LIB.ones(3), LIB.ones(4))", RuntimeError, "must match"),
    ("LIB.zeros(2).copy_(LIB.ones(3))", RuntimeError, "must match|cannot be broadcast"),
    ("LIB.zeros(3).add_(LIB.ones(2, 3))", RuntimeError, "doesn't match the broadcast shape"),
    # bad dims
    ("LIB.ones(2, 3).transpose(0, 2)", IndexError, "Dimension out of range"),
    ("LIB.ones(2, 3).transpose(-3, 0)", IndexError, "Dimension out of range"),
    ("LIB.ones(2, 3).squeeze(5)", IndexError, "Dimension out of range"),
    ("LIB.ones(2, 3).unsqueeze(4)", IndexError, "Dimension out of range"),
    ("LIB.ones(2, 3).size(2)", IndexError, "Dimension out of range"),
    ("LIB.ones(2, 3).permute(0, 3)", IndexError, "Dimension out of range"),
    ("LIB.ones(2, 3).flatten(2)", IndexError, "Dimension out of range"),
    ("LIB.ones(2, 3).permute(0, 0)", RuntimeError, "repeated dim"),
    ("LIB.ones(2, 3).permute(0)", RuntimeError, "number of dims don't match"),
    ("LIB.ones(2, 3, 4).t()", RuntimeError, "expects a tensor with <= 2 dimensions"),
    # shapes
    ("LIB.ones(2, 3).view(4, 2)", RuntimeError, "is invalid for input of size 6"),
    ("LIB.ones(2, 3).view(-1, -1)", RuntimeError, "only one dimension can be inferred"),
    ("LIB.ones(2, 3).view(-2, 3)", RuntimeError, "invalid shape dimension -2"),
    ("LIB.ones(2, 3).reshape(5)", RuntimeError, "is invalid for input of size 6"),
    ("LIB.ones(3, 4).t().view(12)", RuntimeError, "view size is not compatible"),
    ("LIB.ones(2, 3).expand(3, 3)", RuntimeError, "must match the existing size"),
    ("LIB.ones(2, 3).expand(3)", RuntimeError, "number of sizes provided"),
    ("LIB.zeros(-1)", RuntimeError, "negative dimension -1"),
    ("LIB.ones(2, -3)", RuntimeError, "negative dimension -3"),
    ("LIB.empty(4, -1)", RuntimeError, "negative dimension"),
    # dtypes
    ("LIB.tensor([True]) - LIB.tensor([False])", RuntimeError, "Subtraction, the `-` operator, with two bool"),
    ("-LIB.tensor([True, False])", RuntimeError, "Negation, the `-` operator, on a bool tensor"),
    ("LIB.tensor([1, 2]) - True", RuntimeError, "Subtraction, the `-` operator, with a bool tensor"),
    ("True - LIB.tensor([1.0])", RuntimeError, "Subtraction, the `-` operator, with a bool tensor"),
    ("LIB.tensor([1.5]) - LIB.tensor([True])", RuntimeError, "Subtraction, the `-` operator, with a bool tensor"),
    ("LIB.tensor([1, 2]).sub_(True)", RuntimeError, "Subtraction, the `-` operator, with a bool tensor"),
    ("LIB.tensor([True]).abs()", NotImplementedError, "abs.*not implemented for 'Bool'"),
    ("LIB.tensor([1, 2]).clamp_(min=0.5)", RuntimeError, "can't be cast to the desired output type"),
    ("LIB.tensor([True]).relu()", RuntimeError, "Boolean inputs not supported for relu"),
    ("LIB.tensor([True]) ** LIB.tensor([True])", NotImplementedError, "not implemented for bool"),
    ("LIB.where(LIB.ones(2), LIB.ones(2), LIB.ones(2))", RuntimeError, "condition to be a bool"),
    ("LIB.ones(2, dtype=LIB.int64).div_(2)", RuntimeError, "can't be cast to the desired output type"),
    ("LIB.clamp(LIB.ones(2))", RuntimeError, "at least one of 'min' or 'max'"),
    ("LIB.ones(2) + (1 << 70)", OverflowError, "too big"),
    ("LIB.nn.functional.mse_loss(LIB.ones(2, dtype=LIB.int64), LIB.ones(2, dtype=LIB.int64))", NotImplementedError,
     "expected floating input"),
    ("LIB.nn.functional.huber_loss(LIB.ones(2, dtype=LIB.bool), LIB.ones(2, dtype=LIB.bool))", NotImplementedError,
     "expected floating input"),
    ("LIB.nn.functional.nll_loss(LIB.ones(2, 3, dtype=LIB.int64), LIB.tensor([0, 2]))", NotImplementedError,
     "not implemented for"),
    ("LIB.nn.functional.layer_norm(LIB.ones(2, 3, dtype=LIB.int64), (3,))", NotImplementedError, "not implemented"),
    ("LIB.nn.functional.normalize(LIB.ones(2, 3, dtype=LIB.int64))", RuntimeError, "Expected a floating point"),
    ("LIB.nn.functional.pad(LIB.ones(1, 2, 3, dtype=LIB.bool), (1, 1), mode='reflect')", NotImplementedError,
     "not implemented for 'Bool'"),
    ("LIB.ones(2) + 'a'", TypeError, "unsupported operand"),
    # autograd
    ("LIB.ones(2, dtype=LIB.int64).requires_grad_()", RuntimeError, "only Tensors of floating point dtype"),
    ("LIB.zeros(2, dtype=LIB.int64, requires_grad=True)", RuntimeError, "only Tensors of floating point dtype"),
    ("LIB.tensor([1, 2], requires_grad=True)", RuntimeError, "only Tensors of floating point dtype"),
    ("(LIB.ones(2, requires_grad=True) * 2).backward()", RuntimeError, "implicitly created only for scalar outputs"),
    ("LIB.ones(1).backward()", RuntimeError, "does not require grad"),
    ("(LIB.ones(2, requires_grad=True) * 2).backward(LIB.ones(3))", RuntimeError, "Mismatch in shape"),
    ("LIB.ones(2, requires_grad=True).add_(1)", RuntimeError, "leaf Variable that requires grad"),
    ("LIB.ones(2, requires_grad=True).numpy()", RuntimeError, r"Can't call numpy\(\) on Tensor that requires grad"),
    ("(LIB.ones(2, requires_grad=True) * 2).requires_grad_(False)", RuntimeError, "leaf variables"),
    ("LIB.autograd.grad((LIB.ones(1, requires_grad=True) * 2).sum(), [LIB.ones(1, requires_grad=True)])",
     RuntimeError, "appears to not have been used in the graph"),
    ("LIB.autograd.grad(LIB.ones(1, requires_grad=True).sum(), [LIB.ones(1)])", RuntimeError,
     "does not require grad"),
    ("setattr(LIB.ones(2, requires_grad=True), 'grad', LIB.ones(3))", RuntimeError, "different size"),
    # conversions and factories
    ("LIB.ones(2).item()", RuntimeError, "cannot be converted to Scalar"),
    ("bool(LIB.ones(2))", RuntimeError, "ambiguous"),
    ("LIB.tensor([[1, 2], [3]])", ValueError, "rectangular|sequence"),
    ("LIB.randint(5, 2, (3,))", RuntimeError, "expects 'from' to be less than 'to'"),
    ("LIB.arange(0, 5, 0)", RuntimeError, "step must be nonzero"),
    ("LIB.arange(5, 0, 1)", RuntimeError, "inconsistent with step sign"),
    ("LIB.linspace(0, 1, -1)", RuntimeError, "number of steps must be non-negative"),
    ("LIB.eye(-1)", RuntimeError, "must be non-negative"),
    ("LIB.zeros(2.5)", TypeError, "size must be ints, got float"),
    ("LIB.ones((2, 2.0))", TypeError, "size must be ints, got float"),
]


@pytest.mark.parametrize("expr,exc,match", CASES, ids=[c[0] for c in CASES])
def test_user_mistake_raises_like_torch(expr, exc, match):
    raises_like_torch(expr, exc, match)


def test_backward_twice_without_retain_graph():
    for lib in (ember, torch):
        y = lib.ones(2, requires_grad=True).exp().sum()
        y.backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            y.backward()


def test_modified_by_inplace_names_the_versions():
    x = ember.ones(2, requires_grad=True)
    y = x.sigmoid()
    y.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*SigmoidBackward0.*version 1; "
                                           r"expected version 0"):
        y.sum().backward()


@pytest.mark.parametrize("sizes", [(1 << 40, 1 << 40), (1 << 62,), (1 << 45,), (1 << 31, 1 << 31, 1 << 31)])
def test_huge_allocation_raises_instead_of_aborting(sizes):
    # PyTorch raises RuntimeError here: a byte count past int64 overflows, a smaller one runs out of
    # memory. ember's OutOfMemoryError is a RuntimeError and a MemoryError. The interpreter must survive.
    with pytest.raises(RuntimeError, match="Storage size calculation overflowed|out of memory"):
        ember.empty(*sizes)
    with pytest.raises(RuntimeError):
        ember.zeros(*sizes)


def test_from_numpy_rejects_unsupported_and_negative_strides():
    with pytest.raises(TypeError, match="can't convert np.ndarray of type"):
        ember.from_numpy(np.zeros(2, dtype=np.int16))
    with pytest.raises(ValueError, match="negative"):
        ember.from_numpy(np.arange(4.0)[::-1])
    with pytest.raises(ValueError, match="negative"):
        torch.from_numpy(np.arange(4.0)[::-1])


def test_tensor_from_unsupported_data():
    with pytest.raises(TypeError):
        ember.tensor([object()])
    with pytest.raises((TypeError, ValueError)):
        ember.tensor([[1.0, 2.0], [3.0, [4.0]]])


def test_bad_device_string():
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        ember.zeros(2, device="tpu")


def test_errors_leave_state_usable():
    # after many failures the library still computes and grad mode is untouched
    for expr, exc, _ in CASES:
        try:
            eval(expr.replace("LIB", "ember"))
        except Exception:
            pass
    assert ember.is_grad_enabled()
    x = ember.ones(2, requires_grad=True)
    (x * 3.0).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
