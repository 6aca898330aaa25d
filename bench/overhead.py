"""Per-op overhead of ember against PyTorch on tiny tensors, where the time is all dispatch,
allocation and graph bookkeeping rather than arithmetic.

    python bench/overhead.py [--threads 1] [--repeats 31] [--out bench/results/overhead-cpu-DATE.md] [--ember-path DIR]

Both engines run in this one process with the same thread count (OMP_NUM_THREADS and
torch.set_num_threads). Each row first checks that the two engines compute the same thing, then
warms up, then times blocks of calls with the engines interleaved (A B, B A, ...) and reports the
median per-call time of each and the median and IQR of the per-repeat ratio ember / torch."""
import argparse
import os
import sys

import _common


def _parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1, help="threads for both engines (default 1)")
    p.add_argument("--repeats", type=int, default=31, help="timed blocks per engine and row")
    p.add_argument("--block-ms", type=float, default=20.0, help="target length of one timed block")
    p.add_argument("--out", help="also write the table as markdown to this file")
    p.add_argument("--ember-path", help="import ember from this folder instead of python/ (to compare builds)")
    return p.parse_args()


ARGS = _parse()
_common.set_threads_env(ARGS.threads)
_common.use_dev_build(ARGS.ember_path)

import datetime  # noqa: E402
import platform  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

import ember  # noqa: E402

torch.set_num_threads(ARGS.threads)
IDLE_S = 0.02  # let the other engine's worker threads go quiet before timing the next one


# ---------------------------------------------------------------- the workloads

def make_binary(lib, requires_grad, op):
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.standard_normal((4, 4)).astype(np.float32), requires_grad=requires_grad)
    b = lib.tensor(rng.standard_normal((4, 4)).astype(np.float32), requires_grad=requires_grad)
    return {"add": lambda: a + b, "mul": lambda: a * b, "relu": lambda: a.relu()}[op]


def has_matmul():
    return hasattr(ember, "matmul") and hasattr(ember.Tensor, "__matmul__")


def ember_cross_entropy():
    nn = getattr(ember, "nn", None)
    return getattr(getattr(nn, "functional", None), "cross_entropy", None)


def make_mlp_step(lib, lr=0.1, n=100):
    """One training step of a 2-16-16-2 MLP on `n` points: forward, loss, backward, SGD."""
    rng = np.random.default_rng(1)
    x_np = rng.standard_normal((n, 2)).astype(np.float32)
    y_np = (x_np[:, 0] * x_np[:, 1] > 0).astype(np.int64)
    shapes = [(2, 16), (16,), (16, 2), (2,)]
    params = [lib.tensor((rng.standard_normal(s) * 0.5).astype(np.float32), requires_grad=True) for s in shapes]
    x = lib.tensor(x_np)
    # Both engines use the same loss: cross-entropy once ember has one.
    ce = ember_cross_entropy()
    if ce is not None and lib is torch:
        ce = torch.nn.functional.cross_entropy
    if ce is not None:
        y = lib.tensor(y_np)
        loss_fn = ce
    else:  # no cross-entropy yet: squared error to one-hot targets, the same in both engines
        y = lib.tensor(np.eye(2, dtype=np.float32)[y_np])
        loss_fn = lambda out, y: ((out - y) ** 2).sum() * (1.0 / n)  # noqa: E731

    def step():
        w1, b1, w2, b2 = params
        out = (x @ w1 + b1).relu() @ w2 + b2
        loss = loss_fn(out, y)
        loss.backward()
        with lib.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None
        return loss
    return step, params, ("cross_entropy" if ce is not None else "squared error")


# ---------------------------------------------------------------- validation

def as_numpy(t):
    return t.detach().numpy()


def validate_binary(op, requires_grad):
    e, t = make_binary(ember, requires_grad, op)(), make_binary(torch, requires_grad, op)()
    np.testing.assert_allclose(as_numpy(e), as_numpy(t), rtol=1e-6, atol=1e-7)
    assert e.requires_grad == t.requires_grad


def validate_mlp():
    (es, ep, _), (ts, tp, _) = make_mlp_step(ember), make_mlp_step(torch)
    for _ in range(2):
        np.testing.assert_allclose(es().item(), ts().item(), rtol=1e-4)
    for a, b in zip(ep, tp):
        np.testing.assert_allclose(as_numpy(a), as_numpy(b), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- timing

def compare(ember_fn, torch_fn, repeats, block_s):
    te, tt = _common.interleaved([ember_fn, torch_fn], repeats, block_s, idle_s=IDLE_S, warmup=50)
    return _common.ember_vs_torch(te, tt)


# ---------------------------------------------------------------- report

def main():
    rows, notes = [], []
    load_before = os.getloadavg()
    for op in ("add", "mul", "relu"):
        for rg in (False, True):
            validate_binary(op, rg)
            label = {"add": "a + b", "mul": "a * b", "relu": "a.relu()"}[op]
            label += " (4x4 f32" + (", requires_grad)" if rg else ")")
            res = compare(make_binary(ember, rg, op), make_binary(torch, rg, op), ARGS.repeats, ARGS.block_ms / 1e3)
            rows.append((label, res))
            print(f"  measured {label}", file=sys.stderr)
    if has_matmul():
        validate_mlp()
        (es, _, loss_name), (ts, _, _) = make_mlp_step(ember), make_mlp_step(torch)
        res = compare(es, ts, ARGS.repeats, ARGS.block_ms / 1e3)
        rows.append((f"MLP 2-16-16-2 step, 100 points ({loss_name})", res))
    else:
        notes.append("MLP step skipped: ember.matmul is not available in this build.")
    load_after = os.getloadavg()

    header = [
        f"date: {datetime.date.today().isoformat()}",
        f"machine: {_common.machine_line()}",
        f"threads: {ARGS.threads} for both (OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}, "
        f"torch.get_num_threads()={torch.get_num_threads()})",
        f"versions: ember {ember.__version__}, torch {torch.__version__}, numpy {np.__version__}, "
        f"python {platform.python_version()}",
        f"load average (1/5/15 min): before {load_before[0]:.2f}/{load_before[1]:.2f}/{load_before[2]:.2f}, "
        f"after {load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f}",
        f"method: {ARGS.repeats} interleaved repeats per row (blocks of ~{ARGS.block_ms:g} ms), "
        "median per-call time, ratio = median of per-repeat ember/torch ratios, IQR of those ratios",
    ]
    table = ["| workload | ember (us/call) | torch (us/call) | ember / torch | IQR of ratio |",
             "|---|---:|---:|---:|---|"]
    for label, r in rows:
        table.append(f"| {label} | {r['ember_us']:.2f} | {r['torch_us']:.2f} | {r['ratio']:.2f}x | "
                     f"{r['iqr'][0]:.2f}-{r['iqr'][1]:.2f} |")
    text = "\n".join(header) + "\n\n" + "\n".join(table) + "\n" + "".join(f"\nnote: {n}" for n in notes) + "\n"
    print(text)
    if ARGS.out:
        with open(ARGS.out, "w") as f:
            f.write("# ember vs PyTorch: per-op overhead (CPU)\n\n")
            f.write("".join(f"- {h}\n" for h in header) + "\n" + "\n".join(table) + "\n")
            f.write("".join(f"\n{n}\n" for n in notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
