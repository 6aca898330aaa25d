"""Activation memory with and without utils.checkpoint on a deep MLP.

A `depth`-layer MLP (width x width, batch rows, tanh) runs forward + backward twice: normally,
and with every `every` layers wrapped in checkpoint(). The gradients of both runs are checked to
be identical first; then each mode is run `repeats` times, interleaved, reporting
  held after forward: bytes of CPU tensor storage alive once the loss exists (the activations
                      backward will need), above what was alive before the forward;
  peak:               the most bytes alive at once during forward + backward, above that baseline,
                      with .grad set to None before the step (the parameter gradients that
                      backward creates are included) and with .grad buffers kept and zeroed;
  time:               the median wall time of forward + backward.
Bytes come from ember's allocator counters (ember._C._memory_stats()).

    python bench/checkpoint_memory.py [--depth 32 --width 1024 --batch 256 --every 4]
"""
import argparse
import os
import statistics
import time

import _common

_common.use_dev_build()

import numpy as np  # noqa: E402

import ember  # noqa: E402
from ember.utils.checkpoint import checkpoint  # noqa: E402


def make_params(depth, width, seed=0):
    ember.manual_seed(seed)
    return [((ember.randn(width, width) / width ** 0.5).requires_grad_(), ember.zeros(width, requires_grad=True))
            for _ in range(depth)]


def layers(params):
    def run(h):
        for w, b in params:
            h = (h @ w + b).tanh()
        return h
    return run


def step(params, x, every, keep_grads=False):
    """One forward + backward; returns (bytes held after forward, peak bytes, seconds).
    keep_grads: the .grad buffers of the last step are zeroed and reused (set_to_none=False), so
    the peak is what forward + backward need beyond them, the activations above all."""
    for w, b in params:
        if keep_grads and w.grad is not None:
            with ember.no_grad():
                w.grad.mul_(0)
                b.grad.mul_(0)
        else:
            w.grad = b.grad = None
    base = ember._C._memory_stats()["current"]
    ember._C._reset_peak_memory_stats()
    t0 = time.perf_counter()
    h = x
    for i in range(0, len(params), every or len(params)):
        seg = layers(params[i:i + (every or len(params))])
        h = checkpoint(seg, h) if every else seg(h)
    loss = (h * h).mean()
    held = ember._C._memory_stats()["current"] - base
    loss.backward()
    seconds = time.perf_counter() - t0
    peak = ember._C._memory_stats()["peak"] - base
    return held, peak, seconds


def grads_of(params):
    return [t.grad.numpy().copy() for p in params for t in p]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--depth", type=int, default=32)
    ap.add_argument("--width", type=int, default=1024)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--every", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    params = make_params(a.depth, a.width)
    x = ember.randn(a.batch, a.width)

    step(params, x, 0)
    ref = grads_of(params)
    step(params, x, a.every)
    same = all(np.array_equal(r, g) for r, g in zip(ref, grads_of(params)))
    if not same:
        raise SystemExit("checkpointed gradients differ from the plain ones: not timing")

    rows = {"no checkpoint": [], f"checkpoint every {a.every} layers": []}
    kept = {name: [] for name in rows}
    for r in range(a.repeats):
        order = list(rows.items()) if r % 2 == 0 else list(rows.items())[::-1]
        for name, out in order:
            out.append(step(params, x, 0 if name == "no checkpoint" else a.every))
    for name in kept:  # a first step allocates the buffers, the second reuses them
        for _ in range(2):
            kept[name].append(step(params, x, 0 if name == "no checkpoint" else a.every, keep_grads=True))

    mib = 1 << 20
    act = a.batch * a.width * 4
    print(f"ember checkpoint memory: {a.depth} layers of {a.width}, batch {a.batch}, float32 "
          f"(one activation = {act / mib:.2f} MiB; parameters = {sum(p.numel() for q in params for p in q) * 4 / mib:.0f} MiB)")
    print(f"machine: {_common.machine_line()}, "
          f"threads {ember._C._build_info()['threads']}, load average {os.getloadavg()[0]:.2f}")
    print("gradients identical with and without checkpointing: yes")
    grads = sum(p.numel() for q in params for p in q) * 4 / mib
    print(f"(peak includes the {grads:.0f} MiB of parameter gradients that backward creates)")
    print("| mode | held after forward (MiB) | peak, .grad=None (MiB) | peak, .grad kept (MiB) "
          "| time median (s) [min-max] |")
    print("|---|---:|---:|---:|---:|")
    for name, out in rows.items():
        held = out[0][0] / mib
        peak = max(o[1] for o in out) / mib
        peak_kept = kept[name][-1][1] / mib
        ts = [o[2] for o in out]
        print(f"| {name} | {held:.1f} | {peak:.1f} | {peak_kept:.1f} | "
              f"{statistics.median(ts):.2f} [{min(ts):.2f}-{max(ts):.2f}] |")


if __name__ == "__main__":
    main()
