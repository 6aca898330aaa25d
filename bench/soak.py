"""Soak: many training steps of a 784-128-10 MLP with the process's resident memory (RSS) sampled
as it goes, to show that nothing grows step after step (graphs, saved tensors, the CPU block
cache, optimizer state, hooks). Issue 13 asks for 10^5 steps with RSS flat within 5%.

    python bench/soak.py                       # 100,000 steps, batch 64, Adam, 1 thread
    python bench/soak.py --steps 2000 --out -  # a quick look, printed only

Flatness is judged after a warm-up (the allocator's caches and the first Adam state fill during
the first steps): the samples of the second half against the sample after warm-up. The loss
must also fall, so a run that does no work can't pass. Writes bench/results/soak-<date>.md.
"""
import argparse
import datetime
import os
import platform
import sys
import time

import _common

P = argparse.ArgumentParser(description=__doc__.split("\n")[0])
P.add_argument("--steps", type=int, default=100_000)
P.add_argument("--batch", type=int, default=64)
P.add_argument("--samples", type=int, default=50, help="RSS samples over the run")
P.add_argument("--warmup", type=int, default=1000, help="steps before the baseline sample")
P.add_argument("--threads", type=int, default=1)
P.add_argument("--out", default=None, help="markdown path, or - for stdout only")
ARGS = P.parse_args()
_common.set_threads_env(ARGS.threads)
_common.use_dev_build()

import numpy as np  # noqa: E402

import ember  # noqa: E402


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS in /proc/self/status")


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def main():
    ember.manual_seed(0)
    rng = np.random.default_rng(0)
    X = ember.tensor(rng.standard_normal((4096, 784)).astype(np.float32))
    W_true = rng.standard_normal((784, 10)).astype(np.float32)
    y = ember.tensor((X.numpy() @ W_true).argmax(1))
    model = ember.nn.Sequential(ember.nn.Linear(784, 128), ember.nn.ReLU(), ember.nn.Linear(128, 10))
    opt = ember.optim.Adam(model.parameters(), lr=1e-3)
    every = max(1, ARGS.steps // ARGS.samples)
    samples, losses = [], []
    baseline = None
    start = time.perf_counter()
    for step in range(1, ARGS.steps + 1):
        i = (step * ARGS.batch) % (X.shape[0] - ARGS.batch)
        loss = ember.nn.functional.cross_entropy(model(X[i:i + ARGS.batch]), y[i:i + ARGS.batch])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step == 1:
            first_loss = loss.item()
        if step == ARGS.warmup:
            baseline = rss_mb()
        if step % every == 0 or step == ARGS.steps:
            samples.append((step, rss_mb(), loss.item()))
            losses.append(loss.item())
    wall = time.perf_counter() - start
    late = [r for s, r, _ in samples if s > ARGS.steps // 2]
    baseline = baseline or samples[0][1]
    growth = max(late) / baseline - 1.0
    last_loss = np.mean(losses[-3:])
    ok = growth <= 0.05 and last_loss < first_loss
    lines = [
        f"# Soak: {ARGS.steps:,} steps of a 784-128-10 MLP ({datetime.date.today()})",
        "",
        f"Machine: {cpu_model()}, {os.cpu_count()} cores (shared with other jobs); "
        f"ember threads {ARGS.threads}; batch {ARGS.batch}, Adam lr 1e-3, cross-entropy; `python bench/soak.py "
        f"--steps {ARGS.steps}`.",
        "",
        f"- wall time {wall:.1f} s ({wall / ARGS.steps * 1e3:.3f} ms/step)",
        f"- RSS after {ARGS.warmup:,} warm-up steps: {baseline:.1f} MB; max over the second half: {max(late):.1f} MB "
        f"(growth {growth * 100:+.2f}%, limit +5%)",
        f"- loss {first_loss:.4f} (step 1) -> {last_loss:.4f} (last samples)",
        f"- verdict: {'FLAT' if ok else 'NOT FLAT'}",
        "",
        "| step | RSS (MB) | loss |",
        "|---:|---:|---:|",
    ] + [f"| {s:,} | {r:.1f} | {l_:.4f} |" for s, r, l_ in samples]
    text = "\n".join(lines) + "\n"
    print(text)
    if ARGS.out != "-":
        path = ARGS.out or os.path.join(os.path.dirname(__file__), "results", f"soak-{datetime.date.today()}.md")
        with open(path, "w") as f:
            f.write(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
