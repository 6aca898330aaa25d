"""One engine per process: the 784-512-512-10 SGD training step (batch 256) in blocks of 3 steps,
with an optional idle spell before each block, to see how a process's speed depends on idling
(Note [How long workers spin]) and how it differs from process to process
(bench/results/cpu-speed-2026-11-25-final.md).

    python bench/probes/step_modes.py ember|torch [--threads 2] [--idle 0.1] [--blocks 40]"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # bench/, for _common
import _common  # noqa: E402

import numpy as np  # noqa: E402

_common.use_dev_build()

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("engine", choices=["ember", "torch"])
p.add_argument("--threads", type=int, default=2)
p.add_argument("--idle", type=float, default=0.0, help="seconds of sleep before each block")
p.add_argument("--blocks", type=int, default=40)
args = p.parse_args()
lib = __import__(args.engine)
lib.set_num_threads(args.threads)

rng = np.random.default_rng(0)
sizes, batch = [784, 512, 512, 10], 256
x = lib.tensor(rng.standard_normal((batch, sizes[0])), dtype=lib.float32)
y = lib.tensor(rng.integers(0, sizes[-1], batch))
params = []
for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
    params += [lib.tensor(rng.standard_normal((fan_in, fan_out)) * 0.05, dtype=lib.float32).requires_grad_(),
               lib.zeros(fan_out).requires_grad_()]


def step():
    h = x
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i < len(params) - 2:
            h = h.relu()
    lib.nn.functional.cross_entropy(h, y).backward()
    with lib.no_grad():
        for w in params:
            w -= 0.01 * w.grad
            w.grad = None


for _ in range(5):
    step()
ms = []
for _ in range(args.blocks):
    if args.idle:
        time.sleep(args.idle)
    t0 = time.perf_counter()
    step(), step(), step()
    ms.append((time.perf_counter() - t0) / 3 * 1e3)
q1, med, q3 = np.percentile(ms, [25, 50, 75])
print(f"{args.engine} threads {args.threads} idle {args.idle:g} s: median {med:.2f} ms per step (IQR {q1:.2f}-{q3:.2f})")
