"""Grad-mode switches: no_grad, enable_grad, set_grad_enabled, inference_mode as context
managers and decorators (with and without parentheses), restored on exceptions, thread-local."""
import threading

import pytest

import ember


def leaf(values, dtype=ember.float64):
    return ember.tensor(values, dtype=dtype, requires_grad=True)


def test_no_grad_context_and_decorator():
    x = leaf([1.0])
    with ember.no_grad():
        assert not ember.is_grad_enabled()
        y = x * 2.0
    assert ember.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None

    @ember.no_grad()
    def f(t):
        return t * 2.0
    assert not f(x).requires_grad
    assert ember.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = leaf([1.0])
    with ember.no_grad():
        with ember.enable_grad():
            assert (x * 2.0).requires_grad
        assert not (x * 2.0).requires_grad

    @ember.enable_grad()
    def f(t):
        return t * 2.0
    with ember.no_grad():
        assert f(x).requires_grad


def test_set_grad_enabled_function_context_and_decorator():
    x = leaf([1.0])
    ember.set_grad_enabled(False)
    try:
        assert not (x * 2.0).requires_grad
    finally:
        ember.set_grad_enabled(True)
    with ember.set_grad_enabled(False):
        assert not (x * 2.0).requires_grad
    assert (x * 2.0).requires_grad

    @ember.set_grad_enabled(False)
    def f(t):
        return t * 2.0
    assert ember.is_grad_enabled()       # decorating must not change the mode
    assert not f(x).requires_grad
    assert ember.is_grad_enabled()


def test_inference_mode():
    x = leaf([1.0])
    with ember.inference_mode():
        assert not (x * 2.0).requires_grad
    with ember.inference_mode(False):
        assert (x * 2.0).requires_grad

    @ember.inference_mode()
    def f(t):
        return t * 2.0
    assert not f(x).requires_grad
    assert ember.is_grad_enabled()


def test_grad_mode_decorators_without_parentheses():
    x = leaf([1.0])

    @ember.no_grad
    def f(t):
        return t * 2.0

    @ember.enable_grad
    def g(t):
        return t * 2.0

    @ember.inference_mode
    def h(t):
        return t * 2.0
    assert f.__name__ == "f"
    assert not f(x).requires_grad and not h(x).requires_grad
    with ember.no_grad():
        assert g(x).requires_grad
    assert ember.is_grad_enabled()


def test_grad_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with ember.no_grad():
            raise ValueError("boom")
    assert ember.is_grad_enabled()


def test_grad_mode_is_thread_local():
    seen = {}
    started, release = threading.Event(), threading.Event()

    def other():
        started.set()
        release.wait(5)
        x = leaf([1.0])
        seen["enabled"] = ember.is_grad_enabled()
        seen["records"] = (x * 2.0).requires_grad

    t = threading.Thread(target=other)
    with ember.no_grad():
        t.start()
        started.wait(5)
        release.set()
        t.join(5)
        assert not ember.is_grad_enabled()
    assert seen == {"enabled": True, "records": True}
