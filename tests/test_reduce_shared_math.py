"""The reduction maths the CPU kernels share with their CUDA twins (kernels/reduce_functors.h),
exercised through the CPU: the max/min candidate rule (Note [Max/min candidates]) where a long row
is cut into chunks whose candidates are combined, and cross_entropy's per-row loss."""
import numpy as np
import pytest

import ember
from conftest import assert_close, to_torch, torch

N = 1_200_001  # more than two chunks of 2^18 elements: the chunked argmax path


def long_row():
    x = (np.arange(N) % 1000).astype(np.float64)  # ties: 999 in every chunk
    return x


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_chunked_argmax_takes_the_first_extreme_across_chunks(dtype):
    x = long_row()
    x[700_000] = 5000.0  # the max, twice, in two chunks: the first wins
    x[1_100_000] = 5000.0
    x[300_000] = -7.0    # the min, in another chunk than its tie below
    x[900_000] = -7.0
    e = ember.tensor(x, dtype=dtype)
    t = to_torch(e)
    for name in ["argmax", "argmin"]:
        assert getattr(e, name)().item() == getattr(t, name)().item()
    v, i = e.max(dim=0)
    assert (v.item(), i.item()) == (5000.0, 700_000)
    v, i = e.min(dim=0)
    assert (v.item(), i.item()) == (-7.0, 300_000)
    assert_close(e.amax(), t.amax())


def test_chunked_argmax_nan_wins_in_a_later_chunk():
    x = long_row()
    x[50] = 1e9          # the largest number is in the first chunk
    x[800_000] = np.nan  # but a NaN in a later chunk wins, and the first NaN's index is taken
    x[1_000_000] = np.nan
    e = ember.tensor(x)
    assert e.argmax().item() == 800_000 and e.argmin().item() == 800_000
    v, i = e.max(dim=0)
    assert np.isnan(v.item()) and i.item() == 800_000
    assert np.isnan(e.amin().item())


def test_chunked_argmax_of_ints_and_two_long_rows():
    x = np.arange(2 * N, dtype=np.int64) % 977
    x[N + 10] = -1
    x[N + 20] = -1
    e = ember.tensor(x.reshape(2, N))
    t = to_torch(e)
    assert e.argmin(dim=1).tolist() == t.argmin(dim=1).tolist() == [0, 10]
    assert e.argmax(dim=1).tolist() == t.argmax(dim=1).tolist()


@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_row_loss_with_minus_inf_logits(smoothing):
    # float64 rows take the general loop: a -inf logit adds nothing to the logsumexp, and without
    # smoothing the loss stays finite (the smoothing term is only added when it is used).
    x = ember.tensor([[1.0, -np.inf, 2.0], [0.5, 0.25, -np.inf]], dtype=ember.float64, requires_grad=True)
    target = ember.tensor([0, 1])
    loss = ember.nn.functional.cross_entropy(x, target, label_smoothing=smoothing, reduction="none")
    want = torch.nn.functional.cross_entropy(to_torch(x), to_torch(target), label_smoothing=smoothing,
                                             reduction="none")
    assert_close(loss, want)
    if smoothing == 0.0:
        assert np.isfinite(loss.detach().numpy()).all()
        loss.sum().backward()
        tx = to_torch(x)
        torch.nn.functional.cross_entropy(tx, to_torch(target), reduction="sum").backward()
        assert_close(x.grad, tx.grad)
