"""Does a GEMM right after an idle spell run slower than one right after another? (The suite
sleeps 0.1 s before each timed block; a pool worker asleep on a condition variable, or a core in
a low-power state, would charge its wake-up to the first call.)

    python bench/probes/idle_wake.py [--n 1024] [--threads 2] [--rounds 25] [--ember-path DIR]

Each round sleeps 0.1 s, times one ember n^3 matmul ("cold") and one more at once ("warm"), then
does the same with NumPy (OpenBLAS). Prints the medians and the median per-round cold / warm ratio
(about 1 = no wake-up penalty) for both, with the 1-minute load average."""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # bench/, for _common
import _common  # noqa: E402

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--n", type=int, default=1024)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--rounds", type=int, default=25)
p.add_argument("--ember-path", help="import ember from this folder instead of python/")
ARGS = p.parse_args()
_common.set_threads_env(ARGS.threads)
_common.use_dev_build(ARGS.ember_path)

import time  # noqa: E402

import numpy as np  # noqa: E402

import ember  # noqa: E402


def cold_warm(fn):
    time.sleep(0.1)
    t0 = time.perf_counter()
    fn()
    t1 = time.perf_counter()
    fn()
    return t1 - t0, time.perf_counter() - t1


def main():
    rng = np.random.default_rng(0)
    an, bn = (rng.standard_normal((ARGS.n, ARGS.n)).astype(np.float32) for _ in range(2))
    a, b = ember.tensor(an), ember.tensor(bn)
    fns = {"ember": lambda: a @ b, "numpy": lambda: an @ bn}
    for f in fns.values():
        for _ in range(5):
            f()
    res = {k: [] for k in fns}
    for _ in range(ARGS.rounds):
        for k, f in fns.items():
            res[k].append(cold_warm(f))
    for k, r in res.items():
        r = np.asarray(r)
        print(f"n={ARGS.n} threads {ARGS.threads} {k}: after 0.1 s idle {np.median(r[:, 0]) * 1e3:.2f} ms, "
              f"right after {np.median(r[:, 1]) * 1e3:.2f} ms, cold/warm {np.median(r[:, 0] / r[:, 1]):.2f}")
    print(f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
