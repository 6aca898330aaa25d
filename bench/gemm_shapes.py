"""The GEMMs of the suite's MLP training steps (and square SGEMMs), ember against PyTorch, one shape
at a time, with the operand layouts the step really uses.

    python bench/gemm_shapes.py [--threads 2] [--repeats 15] [--idle-ms 0] [--shapes mlp|square|all]

A layer h = x @ W (W stored (in, out), as in the suite) runs three GEMMs per step:
    forward   NN  (batch, in) @ (in, out)
    grad x    NT  g (batch, out) @ W^T          (a transposed view of W, read in place)
    grad W    TN  x^T (in, batch) @ g (batch, out)
Both engines run in this one process with the same thread count; each row checks that they agree,
warms up, then times blocks of calls interleaved (A B, B A, ...), sleeping --idle-ms before each
block (the suite sleeps 100 ms at 2 threads), and prints the median time, GFLOP/s and the median
of the per-round ratios torch / ember (above 1 = ember faster)."""
import argparse
import os

import _common


def _parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--block-ms", type=float, default=20.0)
    p.add_argument("--idle-ms", type=float, default=0.0, help="sleep before each timed block")
    p.add_argument("--shapes", default="mlp", choices=("mlp", "square", "all"))
    p.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    p.add_argument("--cpu-time", action="store_true",
                   help="time with process CPU time (with --threads 1: the cost without waiting for a core)")
    p.add_argument("--ember-path", help="import ember from this folder instead of python/")
    return p.parse_args()


ARGS = _parse()
_common.set_threads_env(ARGS.threads)
_common.use_dev_build(ARGS.ember_path)
if ARGS.cpu_time:
    _common.use_cpu_time()

import numpy as np  # noqa: E402
import torch  # noqa: E402

import ember  # noqa: E402

torch.set_num_threads(ARGS.threads)


def mlp_shapes():
    """(label, M, N, K, layout) for every GEMM of the suite's three larger MLP steps."""
    out = []
    for sizes, batch in (((784, 128, 10), 128), ((784, 512, 512, 10), 256)):
        tag = "-".join(map(str, sizes))
        for li, (fi, fo) in enumerate(zip(sizes[:-1], sizes[1:])):
            out.append((f"{tag} L{li + 1} fwd", batch, fo, fi, "NN"))
            if li > 0:
                out.append((f"{tag} L{li + 1} dx", batch, fi, fo, "NT"))
            out.append((f"{tag} L{li + 1} dW", fi, fo, batch, "TN"))
    return out


def square_shapes():
    return [(f"square {n}", n, n, n, "NN") for n in (256, 512, 1024)]


def operands(lib, M, N, K, layout, dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((K, M) if layout[0] == "T" else (M, K)).astype(dtype)
    b = rng.standard_normal((N, K) if layout[1] == "T" else (K, N)).astype(dtype)
    a, b = lib.tensor(a), lib.tensor(b)
    if layout[0] == "T":
        a = a.t()
    if layout[1] == "T":
        b = b.t()
    return a, b


def main():
    shapes = {"mlp": mlp_shapes, "square": square_shapes}.get(ARGS.shapes, lambda: mlp_shapes() + square_shapes())()
    print(f"threads {ARGS.threads}, {ARGS.dtype}, idle {ARGS.idle_ms} ms, {'cpu' if ARGS.cpu_time else 'wall'} time, "
          f"load {os.getloadavg()[0]:.2f}")
    print(f"{'shape':28} {'MxNxK':>16} {'lay':>3} {'ember':>10} {'GF/s':>6} {'torch':>10} {'GF/s':>6} {'torch/ember':>11}")
    for label, M, N, K, layout in shapes:
        ea, eb = operands(ember, M, N, K, layout, ARGS.dtype)
        ta, tb = operands(torch, M, N, K, layout, ARGS.dtype)
        got, want = (ea @ eb).numpy(), (ta @ tb).numpy()
        err = np.abs(got - want).max() / max(np.abs(want).max(), 1e-30)
        assert err < 1e-4, f"{label}: ember and torch disagree ({err:.3g})"
        times_e, times_t = _common.interleaved([lambda: ea @ eb, lambda: ta @ tb], ARGS.repeats, ARGS.block_ms / 1e3,
                                               idle_s=ARGS.idle_ms / 1e3, warmup=3)
        te, tt = np.median(times_e), np.median(times_t)
        ratio = _common.ratio_stats(times_t, times_e)[0]
        gf = 2 * M * N * K / 1e9
        print(f"{label:28} {f'{M}x{N}x{K}':>16} {layout:>3} {te * 1e6:8.1f}us {gf / te:6.1f} {tt * 1e6:8.1f}us "
              f"{gf / tt:6.1f} {ratio:10.2f}x", flush=True)
    print(f"load after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
