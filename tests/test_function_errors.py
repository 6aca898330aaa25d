"""ember.autograd.Function error paths: in-place changes to saved tensors, freed graphs,
exceptions raised in backward, and backward returning the wrong number, shape or type of gradients."""
import numpy as np
import pytest

import ember
from test_function import E


def test_saved_tensor_modified_in_place_raises():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    a = x * 1
    y = E["MyLinear"].apply(a.unsqueeze(0), ember.ones(1, 2))
    a.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_saved_output_modified_in_place_raises():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = E["MyExp"].apply(x)
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*output 0 of MyExpBackward"):
        y.sum().backward()


def test_saved_tensors_freed_after_backward_unless_retained():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = E["MyExp"].apply(x)
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    assert np.allclose(x.grad.numpy(), 2 * np.exp([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


def test_exception_in_backward_propagates_as_itself():
    class Fails(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            raise KeyError("no gradient today")

    x = ember.ones(2, requires_grad=True)
    with pytest.raises(KeyError, match="no gradient today"):
        (Fails.apply(x) * 3).sum().backward()
    assert x.grad is None


def test_wrong_shape_gradient_error():
    class BadShape(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g.sum(0)

    x = ember.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Function BadShapeBackward returned an invalid gradient at index 0 - "
                                           r"got \(3,\) but expected shape compatible with \(2, 3\)"):
        BadShape.apply(x).sum().backward()


def test_wrong_number_of_gradients_error():
    class TooFew(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g

    class TooMany(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x + 1

        @staticmethod
        def backward(ctx, g):
            return g, g

    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"function TooFewBackward returned an incorrect number of gradients "
                                           r"\(expected 2, got 1\)"):
        TooFew.apply(x, x).sum().backward()
    with pytest.raises(RuntimeError, match=r"incorrect number of gradients \(expected 1, got 2\)"):
        TooMany.apply(x).sum().backward()


def test_gradient_for_a_non_tensor_input_and_a_non_tensor_gradient():
    class ForScale(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g, g

    class NotATensor(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return 1.0

    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="at position 2, but the corresponding forward input was not a Variable"):
        ForScale.apply(x, 2.0).sum().backward()
    with pytest.raises(TypeError, match="returned a float as the gradient at position 1"):
        NotATensor.apply(x).sum().backward()


def test_save_for_backward_rejects_non_tensors():
    class SavesInt(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x * 1

    with pytest.raises(TypeError, match="save_for_backward can only save variables, but argument 1 is of type int"):
        SavesInt.apply(ember.ones(1, requires_grad=True))
