"""Fused Linear+bias+ReLU (one native op, bias and ReLU in one output pass) against the unfused
sequence x @ W.T + b then relu, forward and forward+backward, in ember only.

    python bench/linear_fusion.py [--threads 1] [--repeats 21]

Each row first checks that the two paths agree, then warms up, then times them interleaved
(A B, B A, ...) and prints the median time of each and the median per-repeat ratio."""
import argparse
import os

import _common


def _parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1, help="OpenMP threads (default 1)")
    p.add_argument("--repeats", type=int, default=21)
    p.add_argument("--block-ms", type=float, default=20.0, help="target length of one timed block")
    return p.parse_args()


ARGS = _parse()
_common.set_threads_env(ARGS.threads)
_common.use_dev_build()

import numpy as np  # noqa: E402

import ember  # noqa: E402
import ember.nn.functional as F  # noqa: E402


def unfused(x, w, b):
    return (x @ w.t() + b).relu()


def fused(x, w, b):
    return F.linear_relu(x, w, b)


def make(batch, fan_in, fan_out, backward):
    ember.manual_seed(0)
    x = ember.randn(batch, fan_in)
    w = ember.randn(fan_out, fan_in).requires_grad_(backward)
    b = ember.randn(fan_out).requires_grad_(backward)

    def run(fn):
        def step():
            y = fn(x, w, b)
            if backward:
                y.sum().backward()
            return y
        return step
    return run(unfused), run(fused), (x, w, b)


def main():
    print(f"# linear_relu fusion, ember {ember.__version__}, {_common.machine_line()}, "
          f"threads={ARGS.threads}, load average {os.getloadavg()[0]:.1f} (shared machine: distrust rows "
          "measured under load)")
    print(f"{'shape (batch x in -> out)':>28} {'pass':>9} {'unfused us':>11} {'fused us':>9} {'fused/unfused':>14}")
    for batch, fan_in, fan_out in [(64, 64, 64), (1500, 64, 64), (256, 512, 512), (1024, 1024, 1024)]:
        for backward in (False, True):
            a, b, (x, w, bias) = make(batch, fan_in, fan_out, backward)
            np.testing.assert_allclose(fused(x, w, bias).detach().numpy(), unfused(x, w, bias).detach().numpy(),
                                       rtol=1e-4, atol=1e-4)
            ta, tb = _common.interleaved([a, b], ARGS.repeats, ARGS.block_ms / 1e3, warmup=3)
            shape = f"{batch} x {fan_in} -> {fan_out}"
            print(f"{shape:>28} {'fwd+bwd' if backward else 'fwd':>9} {np.median(ta) * 1e6:11.1f} "
                  f"{np.median(tb) * 1e6:9.1f} {_common.ratio_stats(tb, ta)[0]:14.2f}")


if __name__ == "__main__":
    main()
