"""In-place writes whose inputs share the written-to memory (Note [Overlapping in-place writes]):
each probe is run on ember and torch, and must either raise in both (RuntimeError, torch's
message) or give the same values — with and without autograd recording."""
import pytest
import torch

import ember


def line(L, grad=False):
    x = L.arange(5.0)
    return x.clone().requires_grad_() * 1.0 if grad else x


def square(L, grad=False):
    x = L.arange(9.0).reshape(3, 3)
    return x.clone().requires_grad_() * 1.0 if grad else x


# (name, make, write): write(L, x) does the in-place op on x, which make(L, grad) built.
PROBES = [
    ("copy_ shifted", line, lambda L, x: x[1:].copy_(x[:-1])),
    ("copy_ transposed", square, lambda L, x: x.copy_(x.t())),
    ("copy_ itself", line, lambda L, x: x.copy_(x)),
    ("add_ transposed", square, lambda L, x: x.add_(x.t())),
    ("sub_ transposed", square, lambda L, x: x.sub_(x.t())),
    ("/= first row", square, lambda L, x: x.__itruediv__(x[0:1])),
    ("+= shifted", line, lambda L, x: x[1:].__iadd__(x[:-1])),
    ("add_ itself", line, lambda L, x: x.add_(x)),
    ("mul_ same view", line, lambda L, x: x[1:].mul_(x[1:])),
    ("setitem shifted", line, lambda L, x: x.__setitem__(slice(1, None), x[:-1])),
    ("setitem itself", line, lambda L, x: x.__setitem__(slice(None), x)),
    ("setitem list index", line, lambda L, x: x.__setitem__([0, 1], x[1:3])),
    ("setitem mask", line, lambda L, x: x.__setitem__(x > 1, x[:3])),
    ("clamp_ tensor bound", line, lambda L, x: x[1:].clamp_(max=x[:-1])),
    ("clamp_ expanded bound", line, lambda L, x: x.clamp_(min=x[0:1].expand(5))),
    ("lerp_ shifted", line, lambda L, x: x[1:].lerp_(x[:-1], 0.5)),
    ("lerp_ itself", line, lambda L, x: x.lerp_(x, 0.5)),
    ("addcmul_ shifted", line, lambda L, x: x[1:].addcmul_(x[:-1], x[1:])),
    ("addcmul_ itself", line, lambda L, x: x.addcmul_(x, x)),
    ("index_add_ overlapping source", line, lambda L, x: x.index_add_(0, L.tensor([0, 1]), x[1:3])),
    ("index_copy_ overlapping source", line, lambda L, x: x.index_copy_(0, L.tensor([0, 1]), x[3:])),
    ("scatter_ itself", line, lambda L, x: x.scatter_(0, L.tensor([0, 1]), x)),
    ("scatter_add_ overlapping", line, lambda L, x: x.scatter_add_(0, L.tensor([0, 1]), x[3:])),
    ("add_ expanded source", line, lambda L, x: x.add_(L.ones(1).expand(5))),
    ("strided views interleave", line, lambda L, x: x[0::2][:2].add_(x[1::2])),
    ("disjoint halves", line, lambda L, x: x[:2].add_(x[3:])),
]


def outcome(L, make, write, grad):
    x = make(L, grad)
    try:
        with (L.no_grad() if not grad and hasattr(L, "no_grad") else _null()):
            write(L, x)
        return None, x.detach().tolist()
    except RuntimeError as e:
        return e, None


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


@pytest.mark.parametrize("grad", [False, True], ids=["no-grad", "grad"])
@pytest.mark.parametrize("name,make,write", PROBES, ids=[p[0] for p in PROBES])
def test_overlap_matches_torch(name, make, write, grad):
    t_err, t_val = outcome(torch, make, write, grad)
    e_err, e_val = outcome(ember, make, write, grad)
    if t_err is not None:
        assert e_err is not None, f"torch raised {t_err}; ember wrote {e_val}"
        if "single memory location" in str(t_err):
            assert "single memory location" in str(e_err)
    else:
        assert e_err is None, f"ember raised {e_err}"
        assert e_val == t_val


def test_message_names_the_op():
    x = ember.arange(5.0)
    with pytest.raises(RuntimeError, match=r"\[add_\] unsupported operation: some elements of the input tensor"):
        x[1:].add_(x[:-1])
    with pytest.raises(RuntimeError, match=r"\[copy_\] unsupported operation: more than one element"):
        ember.zeros(1).expand(4).copy_(ember.arange(4.0))


def test_refused_write_leaves_the_tensor_unchanged():
    x = ember.arange(5.0)
    with pytest.raises(RuntimeError):
        x[1:] += x[:-1]
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert x._version == 0
