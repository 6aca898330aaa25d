"""Anomaly detection: the NaN/inf check names the node and shows the forward stack; the non-leaf
.grad warning."""
import warnings

import pytest

import ember
from conftest import torch


def backward_error(fn, *values):
    x = ember.tensor(list(values), requires_grad=True)
    with ember.autograd.detect_anomaly():
        y = fn(x)  # the forward line the message must show
        with pytest.warns(UserWarning, match="Error detected in"):
            with pytest.raises(RuntimeError) as info:
                y.sum().backward()
    return str(info.value)


def test_log_of_zero_names_the_node_and_the_forward_line():
    msg = backward_error(lambda x: x.log(), 0.0, 1.0)
    assert msg.startswith("Function 'LogBackward0' returned inf values in its 0th output.")
    assert "Traceback of forward call that caused the error" in msg
    assert "y = fn(x)  # the forward line the message must show" in msg
    assert "lambda x: x.log()" in msg


def test_nan_from_log_of_negative_like_torch():
    # log(-1) is NaN in the forward; its gradient 1/x is finite, the NaN shows in the next node.
    msg = backward_error(lambda x: x.log() * x.log(), -1.0, 2.0)
    assert msg.startswith("Function 'MulBackward0' returned nan values in its 0th output.")
    tx = torch.tensor([-1.0, 2.0], requires_grad=True)
    with torch.autograd.detect_anomaly(), pytest.warns(UserWarning):
        with pytest.raises(RuntimeError, match="Function 'MulBackward0' returned nan values in its 0th output."):
            (tx.log() * tx.log()).sum().backward()


def test_sqrt_of_zero_times_zero_gives_nan_like_torch():
    msg = backward_error(lambda x: x.sqrt() * 0, 0.0, 4.0)
    assert msg.startswith("Function 'SqrtBackward0' returned nan values in its 0th output.")
    tx = torch.tensor([0.0, 4.0], requires_grad=True)
    with torch.autograd.detect_anomaly(), pytest.warns(UserWarning):
        with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values in its 0th output."):
            (tx.sqrt() * 0).sum().backward()


def test_zero_over_zero():
    x = ember.tensor([0.0, 1.0], requires_grad=True)
    with ember.autograd.detect_anomaly():
        y = x / x
        with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="Function 'DivBackward0' returned nan "
                                                                            "values in its 1th output"):
            y.sum().backward()
    tx = torch.tensor([0.0, 1.0], requires_grad=True)
    with torch.autograd.detect_anomaly(), pytest.warns(UserWarning):
        with pytest.raises(RuntimeError, match="Function 'DivBackward0' returned nan values in its 1th output."):
            (tx / tx).sum().backward()


def test_check_nan_false_and_off_by_default():
    x = ember.tensor([0.0], requires_grad=True)
    x.sqrt().sum().backward()  # mode off: inf gradient, no error
    assert ember.autograd.is_anomaly_enabled() is False
    with ember.autograd.detect_anomaly(check_nan=False):
        assert ember.autograd.is_anomaly_enabled() and not ember.autograd.is_anomaly_check_nan_enabled()
        x.sqrt().sum().backward()
    assert not ember.autograd.is_anomaly_enabled() and ember.autograd.is_anomaly_check_nan_enabled()


def test_node_made_before_the_mode_has_no_trace():
    x = ember.tensor([0.0], requires_grad=True)
    y = x.log()
    with ember.autograd.set_detect_anomaly(True):
        assert ember.autograd.is_anomaly_enabled()
        with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="No forward pass information available"):
            y.sum().backward()
    assert not ember.autograd.is_anomaly_enabled()


def test_decorator_and_error_in_custom_backward_warns_with_trace():
    class Fails(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            raise ValueError("bad backward")

    @ember.autograd.detect_anomaly()
    def run():
        x = ember.ones(2, requires_grad=True)
        y = Fails.apply(x)  # the line that made the failing node
        y.sum().backward()

    with pytest.warns(UserWarning, match="(?s)Error detected in FailsBackward.*y = Fails.apply"):
        with pytest.raises(ValueError, match="bad backward"):
            run()
    assert not ember.autograd.is_anomaly_enabled()


def test_non_leaf_grad_access_warns_unless_retained():
    x = ember.ones(2, requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match="The .grad attribute of a Tensor that is not a leaf Tensor is being "
                                         "accessed.*retain_grad"):
        assert y.grad is None
    z = x * 3
    z.retain_grad()
    z.sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert z.grad.tolist() == [1.0, 1.0]
        assert x.grad.tolist() == [3.0, 3.0]  # leaves never warn
        assert ember.ones(1).grad is None
