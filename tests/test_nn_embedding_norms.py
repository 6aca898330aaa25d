"""nn.Embedding / F.embedding, F.one_hot, F.normalize / cosine_similarity / pairwise_distance,
F.pad, GroupNorm / RMSNorm / BatchNorm2d against torch: values, gradients (float32 and float64),
gradcheck in float64, the edges torch is careful about, errors, init, repr and state_dict."""
import math

import numpy as np
import pytest
from conftest import TORCH_DTYPE, assert_close, torch

import ember
import ember.nn as nn
import ember.nn.functional as F

TF = torch.nn.functional
DTYPES = [ember.float32, ember.float64]
GRAD_TOL = {ember.float32: dict(rtol=1e-4, atol=1e-5), ember.float64: dict(rtol=1e-9, atol=1e-10)}


def pair(a, dtype=ember.float64, requires_grad=True):
    a = np.asarray(a)
    e = ember.tensor(a, dtype=dtype, requires_grad=requires_grad)
    t = torch.tensor(a, dtype=TORCH_DTYPE[dtype], requires_grad=requires_grad)
    return e, t


def longs(a):
    return ember.tensor(np.asarray(a), dtype=ember.int64), torch.tensor(np.asarray(a), dtype=torch.int64)


def check_fn(efn, tfn, arrays, dtype, seed=0):
    """Forward and backward (a random upstream gradient) of efn and tfn over the same inputs."""
    ins = [pair(a, dtype) for a in arrays]
    eo, to = efn(*[e for e, _ in ins]), tfn(*[t for _, t in ins])
    assert_close(eo, to)
    g = np.random.default_rng(seed).normal(size=tuple(to.shape))
    eo.backward(ember.tensor(g, dtype=dtype))
    to.backward(torch.tensor(g, dtype=TORCH_DTYPE[dtype]))
    for e, t in ins:
        assert_close(e.grad, t.grad, **GRAD_TOL[dtype])


def rand(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def raises_like(exc, match, efn, tfn):
    with pytest.raises(exc, match=match):
        efn()
    with pytest.raises(exc, match=match):
        tfn()


# ---- embedding -----------------------------------------------------------------------------

IDX = [[0, 2, 5, 2], [5, 5, 1, 3]]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", [{}, dict(padding_idx=2), dict(padding_idx=-1), dict(scale_grad_by_freq=True),
                                    dict(padding_idx=5, scale_grad_by_freq=True)])
def test_embedding_matches_torch(dtype, kwargs):
    ei, ti = longs(IDX)
    check_fn(lambda w: F.embedding(ei, w, **kwargs), lambda w: TF.embedding(ti, w, **kwargs), [rand(6, 3)], dtype)


def test_embedding_index_shapes_and_padding_row_value():
    w = rand(6, 4)
    ew, tw = pair(w)
    for idx in [3, [1], [[[0, 1], [2, 3]]], np.zeros((2, 0), dtype=np.int64)]:
        ei, ti = longs(idx)
        assert_close(F.embedding(ei, ew), TF.embedding(ti, tw))
    # The padding row is returned as stored (torch does not zero it in the forward) but gets no gradient,
    # even when it holds inf.
    w[2] = np.inf
    ew, tw = pair(w)
    ei, ti = longs(IDX)
    eo, to = F.embedding(ei, ew, padding_idx=2), TF.embedding(ti, tw, padding_idx=2)
    assert_close(eo, to)
    eo.sum().backward()
    to.sum().backward()
    assert_close(ew.grad, tw.grad)
    assert not np.isnan(ew.grad.numpy()).any()


def test_embedding_gradcheck():
    ei, _ = longs(IDX)
    w = ember.tensor(rand(6, 3), requires_grad=True)
    # (padding_idx and scale_grad_by_freq change the gradient on purpose, so only the plain lookup.)
    assert ember.autograd.gradcheck(lambda w: F.embedding(ei, w), (w,))


def test_embedding_max_norm_renormalises_in_place():
    w = rand(6, 3) * 3
    ew, tw = pair(w, requires_grad=False)
    for norm_type in (2.0, 1.0):
        ei, ti = longs(IDX)
        assert_close(F.embedding(ei, ew, max_norm=1.5, norm_type=norm_type),
                     TF.embedding(ti, tw, max_norm=1.5, norm_type=norm_type))
        assert_close(ew, tw)


def test_embedding_errors():
    w = rand(5, 3)
    ew, tw = pair(w)
    for bad in ([5], [-1]):
        ei, ti = longs(bad)
        raises_like(IndexError, "out of", lambda: F.embedding(ei, ew), lambda: TF.embedding(ti, tw))
    raises_like(RuntimeError, "Expected tensor for argument #1 'indices' to have one of the following scalar types",
                lambda: F.embedding(ember.tensor([1.0]), ew), lambda: TF.embedding(torch.tensor([1.0]), tw))
    ei, ti = longs([1])
    raises_like(AssertionError, "Padding_idx must be within num_embeddings",
                lambda: F.embedding(ei, ew, padding_idx=5), lambda: TF.embedding(ti, tw, padding_idx=5))
    raises_like(AssertionError, "Padding_idx must be within num_embeddings",
                lambda: nn.Embedding(4, 2, padding_idx=-5), lambda: torch.nn.Embedding(4, 2, padding_idx=-5))
    raises_like(RuntimeError, "'weight' must be 2-D", lambda: F.embedding(ei, ember.zeros(5)),
                lambda: TF.embedding(ti, torch.zeros(5)))
    with pytest.raises(NotImplementedError, match="sparse"):
        F.embedding(ei, ew, sparse=True)
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding(4, 2, sparse=True)
    raises_like(AssertionError, "Embeddings parameter is expected to be 2-dimensional",
                lambda: nn.Embedding.from_pretrained(ember.zeros(3)),
                lambda: torch.nn.Embedding.from_pretrained(torch.zeros(3)))
    raises_like(AssertionError, "Shape of weight does not match",
                lambda: nn.Embedding(3, 2, _weight=ember.zeros(2, 2)),
                lambda: torch.nn.Embedding(3, 2, _weight=torch.zeros(2, 2)))


def test_embedding_module_init_repr_state_dict():
    ember.manual_seed(0)
    m = nn.Embedding(2000, 16, padding_idx=-3)
    t = torch.nn.Embedding(2000, 16, padding_idx=-3)
    assert m.padding_idx == t.padding_idx == 1997
    w = m.weight.detach().numpy()
    assert (w[1997] == 0).all()
    assert abs(w.mean()) < 0.03 and abs(w.std() - 1.0) < 0.03  # N(0, 1)
    assert m.weight.dtype == ember.float32 and m.weight.requires_grad
    assert list(m.state_dict()) == list(t.state_dict()) == ["weight"]
    for kwargs in [{}, dict(padding_idx=0, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True)]:
        assert repr(nn.Embedding(10, 3, **kwargs)) == repr(torch.nn.Embedding(10, 3, **kwargs))
    # The padding row's gradient is zero through the module too.
    m = nn.Embedding(5, 2, padding_idx=0)
    m(ember.tensor([[0, 1, 0]])).sum().backward()
    assert (m.weight.grad.numpy()[0] == 0).all() and (m.weight.grad.numpy()[1] == 1).all()


def test_embedding_from_pretrained():
    w = ember.tensor(rand(4, 3), dtype=ember.float32)
    m = nn.Embedding.from_pretrained(w)
    assert not m.weight.requires_grad and m.num_embeddings == 4 and m.embedding_dim == 3
    assert m.weight.data_ptr() == w.data_ptr()  # shares the tensor, as torch
    np.testing.assert_array_equal(m(ember.tensor([2, 0])).numpy(), w.numpy()[[2, 0]])
    m = nn.Embedding.from_pretrained(w, freeze=False, padding_idx=1)
    assert m.weight.requires_grad and m.padding_idx == 1
    assert repr(m) == repr(torch.nn.Embedding.from_pretrained(torch.zeros(4, 3), freeze=False, padding_idx=1))


# ---- one_hot -------------------------------------------------------------------------------

def test_one_hot_matches_torch():
    for idx, n in [([0, 3, 1], -1), ([[1, 0], [2, 2]], 4), (2, -1), (np.zeros(0, dtype=np.int64), 3)]:
        ei, ti = longs(idx)
        eo, to = F.one_hot(ei, n), TF.one_hot(ti, n)
        assert eo.dtype == ember.int64
        assert_close(eo, to)


def test_one_hot_errors():
    cases = [(lambda m: m.tensor([0.0, 1.0]), -1, "one_hot is only applicable to index tensor of type LongTensor"),
             (lambda m: m.tensor([-1, 2]), -1, "Class values must be non-negative"),
             (lambda m: m.tensor([1, 5]), 3, "Class values must be smaller than num_classes"),
             (lambda m: m.tensor([1, 2]), -2, "Class values must be smaller than num_classes"),
             (lambda m: m.zeros(0, dtype=m.int64), -1, "Can not infer total number of classes from empty tensor")]
    for make, n, msg in cases:
        raises_like(RuntimeError, msg, lambda: F.one_hot(make(ember), n), lambda: TF.one_hot(make(torch), n))


# ---- normalize, cosine_similarity, pairwise_distance ---------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, 0), (3.0, -1), (math.inf, 1), (2.0, (0, 2))])
def test_normalize_matches_torch(dtype, p, dim):
    x = rand(3, 4, 2)
    x[1, :, 0] = 0  # a zero vector along dim 1: the eps clamp, and no NaN in the gradient
    check_fn(lambda a: F.normalize(a, p=p, dim=dim), lambda a: TF.normalize(a, p=p, dim=dim), [x], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cosine_similarity_matches_torch(dtype):
    x1, x2 = rand(4, 5, seed=1), rand(4, 5, seed=2)
    x1[1] = 0           # zero vector: clamped norm, finite gradients
    x1[2] = 1e-10       # a norm below eps: torch's clamp has no gradient of its own
    check_fn(lambda a, b: F.cosine_similarity(a, b), lambda a, b: TF.cosine_similarity(a, b), [x1, x2], dtype)
    check_fn(lambda a, b: F.cosine_similarity(a, b, dim=0, eps=1e-3),
             lambda a, b: TF.cosine_similarity(a, b, dim=0, eps=1e-3), [x1, x2], dtype)
    # broadcasting, and 1-D inputs giving a 0-d result
    check_fn(lambda a, b: F.cosine_similarity(a, b, dim=-1), lambda a, b: TF.cosine_similarity(a, b, dim=-1),
             [rand(3, 1, 4), rand(2, 4, seed=3)], dtype)
    check_fn(lambda a, b: F.cosine_similarity(a, b, dim=0), lambda a, b: TF.cosine_similarity(a, b, dim=0),
             [rand(4), rand(4, seed=5)], dtype)
    raises_like(RuntimeError, r"The size of tensor a \(2\) must match the size of tensor b \(4\)",
                lambda: F.cosine_similarity(ember.zeros(2, 3), ember.zeros(4, 3)),
                lambda: TF.cosine_similarity(torch.zeros(2, 3), torch.zeros(4, 3)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", [{}, dict(p=1.0), dict(p=3.0, keepdim=True), dict(eps=0.0)])
def test_pairwise_distance_matches_torch(dtype, kwargs):
    x1, x2 = rand(4, 5, seed=1), rand(4, 5, seed=2)
    x2[0] = x1[0]  # a zero difference (with eps=0, the norm of a zero vector)
    check_fn(lambda a, b: F.pairwise_distance(a, b, **kwargs), lambda a, b: TF.pairwise_distance(a, b, **kwargs),
             [x1, x2], dtype)


def test_norms_gradcheck():
    x1 = ember.tensor(rand(3, 4, seed=1), requires_grad=True)
    x2 = ember.tensor(rand(3, 4, seed=2), requires_grad=True)
    gc = ember.autograd.gradcheck
    assert gc(lambda a: F.normalize(a, dim=1), (x1,))
    assert gc(lambda a: F.normalize(a, p=3.0, dim=0), (x1,))
    assert gc(lambda a, b: F.cosine_similarity(a, b), (x1, x2))
    assert gc(lambda a, b: F.pairwise_distance(a, b), (x1, x2))


# ---- pad -----------------------------------------------------------------------------------

PAD_CASES = [((1, 2), "constant", 4), ((-1, 2, 3, -2), "constant", 4), ((1, 1, 2, 0, 1, 1, 0, 2), "constant", 4),
             ((0, 0), "constant", 2), ((2, 1), "reflect", 3), ((2, 1, 1, 3), "reflect", 4), ((1, 0), "reflect", 2),
             ((3, 1, 2, 4), "replicate", 3), ((1, 1, 1, 1, 1, 1), "replicate", 5), ((2, 3, 1, 4), "circular", 4),
             ((3, -1), "circular", 3), ((-2, 1), "circular", 3), ((-1, 2), "replicate", 3),
             ((2, -1), "replicate", 3), ((-1, 2), "reflect", 3)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pad,mode,ndim", PAD_CASES)
def test_pad_matches_torch(dtype, pad, mode, ndim):
    x = rand(*[2, 3, 4, 5, 3][:ndim])
    check_fn(lambda a: F.pad(a, pad, mode), lambda a: TF.pad(a, pad, mode), [x], dtype)


def test_pad_value_and_gradcheck():
    ex, tx = pair(rand(2, 3))
    assert_close(F.pad(ex, (1, 1, 2, 0), value=-2.5), TF.pad(tx, (1, 1, 2, 0), value=-2.5))
    ei, ti = longs([[1, 2], [3, 4]])
    assert_close(F.pad(ei, (1, 0), value=7), TF.pad(ti, (1, 0), value=7))
    x = ember.tensor(rand(2, 3, 4), requires_grad=True)
    for mode in ("constant", "reflect", "replicate", "circular"):
        assert ember.autograd.gradcheck(lambda a: F.pad(a, (2, 1, 1, -1), mode), (x,))


def test_pad_errors():
    def both(pad, mode="constant", value=None, shape=(2, 3)):
        return (lambda: F.pad(ember.zeros(*shape), pad, mode, value),
                lambda: TF.pad(torch.zeros(*shape), pad, mode, value))
    raises_like(RuntimeError, "Padding length must be divisible by 2", *both((1,)))
    raises_like(RuntimeError, "Padding length should be less than or equal to two times the input dimension but "
                "got padding length 6 and input of dimension 2", *both((1, 1, 1, 1, 1, 1)))
    raises_like(RuntimeError, "narrow", *both((-2, -2)))
    raises_like(RuntimeError, "Padding size should be less than the corresponding input dimension",
                *both((3, 3), "reflect", shape=(1, 2, 3)))
    raises_like(RuntimeError, "Padding value causes wrapping around more than once",
                *both((4, 3), "circular", shape=(1, 2, 3)))
    raises_like(NotImplementedError, "Unrecognised padding mode foo", *both((1, 1), "foo"))
    raises_like(RuntimeError, "Padding mode \"replicate\" doesn't take in value argument",
                *both((1, 1), "replicate", 2.0))
    raises_like(NotImplementedError, "Padding size 4 is not supported for 2D input tensor",
                *both((1, 1, 1, 1), "reflect"))


# ---- group_norm, rms_norm ------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,groups,affine", [((2, 6, 5), 3, True), ((3, 4, 2, 3), 2, False), ((2, 4), 2, True),
                                                 ((2, 6, 5), 1, True)])
def test_group_norm_matches_torch(dtype, shape, groups, affine):
    C = shape[1]
    arrays = [rand(*shape) * 3 + 1] + ([rand(C, seed=1), rand(C, seed=2)] if affine else [])
    check_fn(lambda x, *wb: F.group_norm(x, groups, *wb), lambda x, *wb: TF.group_norm(x, groups, *wb), arrays, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,normalized,eps", [((2, 6, 5), [5], None), ((3, 4, 2), (4, 2), 1e-3), ((4,), [4], None)])
def test_rms_norm_matches_torch(dtype, shape, normalized, eps):
    w_shape = (normalized,) if isinstance(normalized, int) else tuple(normalized)
    check_fn(lambda x, w: F.rms_norm(x, normalized, w, eps), lambda x, w: TF.rms_norm(x, normalized, w, eps),
             [rand(*shape), rand(*w_shape, seed=1)], dtype)
    check_fn(lambda x: F.rms_norm(x, normalized, eps=eps), lambda x: TF.rms_norm(x, normalized, eps=eps),
             [rand(*shape) * 1e-5], dtype)  # eps=None: finfo(dtype).eps matters at this scale


def test_group_rms_norm_gradcheck():
    x = ember.tensor(rand(2, 4, 3), requires_grad=True)
    w = ember.tensor(rand(4, seed=1), requires_grad=True)
    b = ember.tensor(rand(4, seed=2), requires_grad=True)
    assert ember.autograd.gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w, b))
    w3 = ember.tensor(rand(3, seed=3), requires_grad=True)
    assert ember.autograd.gradcheck(lambda x, w: F.rms_norm(x, [3], w), (x, w3))


def test_group_rms_norm_errors():
    def gn(*args):
        return (lambda: F.group_norm(*[ember.zeros(*a) if isinstance(a, tuple) else a for a in args]),
                lambda: TF.group_norm(*[torch.zeros(*a) if isinstance(a, tuple) else a for a in args]))
    raises_like(RuntimeError, "Expected number of channels in input to be divisible by num_groups, but got input "
                r"of shape \[2, 6, 4\] and num_groups=4", *gn((2, 6, 4), 4))
    raises_like(RuntimeError, "Expected at least 2 dimensions for input tensor but received 1", *gn((6,), 3))
    raises_like(ValueError, r"Expected more than 1 value per channel when training, got input size \[1, 2, 1\]",
                *gn((1, 2, 1), 2))
    raises_like(RuntimeError, "Expected weight to be a vector of size equal to the number of channels in input",
                *gn((2, 6, 4), 3, (4,)))
    raises_like(ValueError, r"num_channels \(6\) must be divisible by num_groups \(4\)",
                lambda: nn.GroupNorm(4, 6), lambda: torch.nn.GroupNorm(4, 6))
    raises_like(RuntimeError, r"Given normalized_shape=\[4, 3\], expected input with shape \[\*4, 3\], but got "
                r"input of size\[2, 3\]", lambda: F.rms_norm(ember.zeros(2, 3), [4, 3]),
                lambda: TF.rms_norm(torch.zeros(2, 3), [4, 3]))
    raises_like(RuntimeError, "Expected weight to be of same shape as normalized_shape",
                lambda: F.rms_norm(ember.zeros(2, 3), [3], ember.ones(4)),
                lambda: TF.rms_norm(torch.zeros(2, 3), [3], torch.ones(4)))


# ---- the modules ---------------------------------------------------------------------------

MODULES = [("GroupNorm", (3, 6), {}), ("GroupNorm", (2, 4), dict(eps=1e-3, affine=False)),
           ("GroupNorm", (2, 4), dict(bias=False)), ("RMSNorm", ([3, 4],), {}),
           ("RMSNorm", (5,), dict(eps=1e-3, elementwise_affine=False)), ("BatchNorm2d", (3,), {}),
           ("BatchNorm2d", (3,), dict(momentum=None, affine=False, track_running_stats=False)),
           ("BatchNorm1d", (4,), dict(bias=False)), ("Embedding", (7, 3), dict(padding_idx=2))]


@pytest.mark.parametrize("name,args,kwargs", MODULES)
def test_module_init_repr_state_dict_match_torch(name, args, kwargs):
    m, t = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(m) == repr(t)
    assert list(m.state_dict()) == list(t.state_dict())
    for (k, v), (tk, tv) in zip(m.state_dict().items(), t.state_dict().items()):
        assert tuple(v.shape) == tuple(tv.shape) and TORCH_DTYPE[v.dtype] == tv.dtype, k
        if name != "Embedding" or k != "weight":
            np.testing.assert_array_equal(v.numpy(), tv.numpy())
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", [{}, dict(momentum=None), dict(track_running_stats=False), dict(affine=False)])
def test_batchnorm2d_trains_and_evals_like_torch(dtype, kwargs):
    m = nn.BatchNorm2d(3, **kwargs).to(dtype)
    t = torch.nn.BatchNorm2d(3, **kwargs).to(TORCH_DTYPE[dtype])
    if m.affine:
        with ember.no_grad(), torch.no_grad():
            for p, tp, seed in ((m.weight, t.weight, 1), (m.bias, t.bias, 2)):
                p.copy_(ember.tensor(rand(3, seed=seed), dtype=dtype))
                tp.copy_(torch.tensor(rand(3, seed=seed)))
    for step in range(3):
        check_fn(m, t, [rand(4, 3, 2, 5, seed=10 + step) * (step + 1) + step], dtype)
    for (k, v), tv in zip(m.state_dict().items(), t.state_dict().values()):
        np.testing.assert_allclose(v.numpy(), tv.numpy(), rtol=1e-5, err_msg=k)
    m.eval()
    t.eval()
    check_fn(m, t, [rand(2, 3, 4, 4, seed=20)], dtype)


def test_batchnorm_share_one_base_and_check_dims():
    from ember.nn.modules.normalization import _BatchNorm
    assert issubclass(nn.BatchNorm1d, _BatchNorm) and issubclass(nn.BatchNorm2d, _BatchNorm)
    raises_like(ValueError, r"expected 4D input \(got 3D input\)", lambda: nn.BatchNorm2d(3)(ember.zeros(2, 3, 4)),
                lambda: torch.nn.BatchNorm2d(3)(torch.zeros(2, 3, 4)))
    raises_like(RuntimeError, "running_mean should contain 4 elements not 3",
                lambda: nn.BatchNorm2d(3)(ember.zeros(2, 4, 4, 4)),
                lambda: torch.nn.BatchNorm2d(3)(torch.zeros(2, 4, 4, 4)))
    m = nn.BatchNorm2d(3)
    m(ember.tensor(rand(2, 3, 2, 2), dtype=ember.float32))
    assert m.num_batches_tracked.dtype == ember.int64 and m.num_batches_tracked.item() == 1


@pytest.mark.parametrize("name,args,kwargs,shape", [("GroupNorm", (2, 4), {}, (3, 4, 5)),
                                                   ("RMSNorm", ([5],), {}, (3, 4, 5)),
                                                   ("RMSNorm", (5,), dict(eps=1e-2), (3, 5))])
def test_norm_modules_forward_backward_match_torch(name, args, kwargs, shape):
    m, t = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    x = rand(*shape)
    ex, tx = pair(x, ember.float32)
    eo, to = m(ex), t(tx)
    assert_close(eo, to)
    eo.sum().backward()
    to.sum().backward()
    assert_close(ex.grad, tx.grad, **GRAD_TOL[ember.float32])
    assert_close(m.weight.grad, t.weight.grad, **GRAD_TOL[ember.float32])


def test_small_text_model_trains_like_torch():
    """A script-shaped model (Embedding with padding, GroupNorm, RMSNorm, Linear) trained with
    Adagrad: ember loaded with torch's initial state dict follows torch step for step."""
    def build(lib):
        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = lib.nn.Embedding(20, 8, padding_idx=0)
                self.gn = lib.nn.GroupNorm(2, 8)
                self.rms = lib.nn.RMSNorm(8)
                self.fc = lib.nn.Linear(8, 3)

            def forward(self, idx):
                h = self.emb(idx).mean(1)              # (N, 8)
                h = self.gn(h.unsqueeze(2)).squeeze(2)
                return self.fc(self.rms(h))
        return Net()

    torch.manual_seed(0)
    t = build(torch).double()
    m = build(ember).double()
    m.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    eo, to = ember.optim.Adagrad(m.parameters(), lr=0.1), torch.optim.Adagrad(t.parameters(), lr=0.1)
    rng = np.random.default_rng(3)
    for _ in range(5):
        idx = rng.integers(0, 20, size=(6, 5))
        y = rng.integers(0, 3, size=6)
        el = F.cross_entropy(m(ember.tensor(idx)), ember.tensor(y))
        tl = TF.cross_entropy(t(torch.tensor(idx)), torch.tensor(y))
        eo.zero_grad()
        to.zero_grad()
        el.backward()
        tl.backward()
        eo.step()
        to.step()
        np.testing.assert_allclose(el.item(), tl.item(), rtol=1e-10)
    for (k, v), tv in zip(m.state_dict().items(), t.state_dict().values()):
        np.testing.assert_allclose(v.numpy(), tv.numpy(), rtol=1e-9, atol=1e-12, err_msg=k)
