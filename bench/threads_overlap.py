"""Two Python threads training two MLPs at once, against the same two trainings one after the
other: how much of the native work overlaps now that long native calls release the GIL
(Note [Releasing the GIL], csrc/bindings/gil.h).

    python bench/threads_overlap.py [--threads 1] [--repeats 5] [--steps 50] [--rows 64-64-10,784-512-512-10]
    python bench/threads_overlap.py --ember-path /tmp/old ...   # another build, to compare

Each model trains with SGD on fixed data; before timing, the weights of the concurrent run are
checked to equal the sequential run's bit for bit. Repeats alternate the two orders (sequential
first, then concurrent first) and report medians; the speedup is sequential / concurrent time
(2.0 = perfect overlap on two free cores). The kernel thread count is per Python thread (each
trainer sets it); with --threads 1 and two cores the two trainings each have one core to
themselves when the machine is otherwise idle. A control row times CPython's own GIL-releasing
work (sha256) the same way: the overlap the machine allows at that moment. The load average is
printed: on a shared machine distrust rows measured under load."""
import argparse
import os
import statistics
import threading
import time

import _common


def _parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1, help="kernel threads per trainer (default 1)")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--rows", default="64-64-10,784-512-512-10")
    p.add_argument("--ember-path", help="import ember from this folder instead of python/")
    return p.parse_args()


ARGS = _parse()
_common.use_dev_build(ARGS.ember_path)

import numpy as np  # noqa: E402

import ember  # noqa: E402
from ember import nn  # noqa: E402

BATCH = {"64-64-10": 32, "784-512-512-10": 256}


def trainer(sizes, seed, steps):
    """A function that trains one MLP from fixed weights and data and returns its weights."""
    rng = np.random.default_rng(seed)
    batch = BATCH.get("-".join(map(str, sizes)), 64)
    x = ember.tensor(rng.standard_normal((batch, sizes[0])).astype(np.float32))
    y = ember.tensor(rng.integers(0, sizes[-1], batch))
    init = [rng.standard_normal((o, i)).astype(np.float32) * (2 / i) ** 0.5 for i, o in zip(sizes, sizes[1:])]

    def run():
        ember.set_num_threads(ARGS.threads)
        layers = []
        for w in init:
            lin = nn.Linear(w.shape[1], w.shape[0])
            with ember.no_grad():
                lin.weight.copy_(ember.tensor(w))
                lin.bias.zero_()
            layers += [lin, nn.ReLU()]
        model = nn.Sequential(*layers[:-1])
        opt = ember.optim.SGD(model.parameters(), lr=0.01)
        for _ in range(steps):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        return [p.detach().numpy().copy() for p in model.parameters()]

    return run


def in_threads(fns):
    out = [None] * len(fns)
    threads = [threading.Thread(target=lambda i=i, f=f: out.__setitem__(i, f())) for i, f in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def control_speedup(repeats):
    """The same measure for CPython's own GIL-releasing work (hashlib on 32 MB): the overlap the
    machine allows right now. Far below 2 on two cores means other processes hold a core."""
    import hashlib
    data = b"x" * (32 << 20)

    def h():
        for _ in range(2):
            hashlib.sha256(data).digest()

    seq, par = [], []
    for _ in range(repeats):
        seq.append(timed(lambda: (in_threads([h]), in_threads([h]))))
        par.append(timed(lambda: in_threads([h, h])))
    return statistics.median(seq), statistics.median(par)


def main():
    print(f"{os.cpu_count()} CPUs, {ARGS.threads} kernel thread(s) per trainer, {ARGS.steps} steps, "
          f"ember from {os.path.dirname(ember.__file__)}")
    print("| MLP | one after the other (ms) | two threads (ms) | speedup | load avg |")
    print("|---|---|---|---|---|")
    s, p = control_speedup(ARGS.repeats)
    print(f"| control: sha256 (CPython releases the GIL) | {s * 1e3:.0f} | {p * 1e3:.0f} | {s / p:.2f}x | "
          f"{os.getloadavg()[0]:.1f} |")
    for row in ARGS.rows.split(","):
        sizes = tuple(int(s) for s in row.split("-"))
        a, b = trainer(sizes, 0, ARGS.steps), trainer(sizes, 1, ARGS.steps)
        seq = [in_threads([a])[0], in_threads([b])[0]]
        par = in_threads([a, b])
        assert all(np.array_equal(u, v) for s, p in zip(seq, par) for u, v in zip(s, p)), "results differ"
        t_seq, t_par = [], []
        for r in range(ARGS.repeats):
            order = [(t_seq, lambda: (in_threads([a]), in_threads([b]))), (t_par, lambda: in_threads([a, b]))]
            for times, fn in order if r % 2 == 0 else order[::-1]:
                time.sleep(0.1)
                times.append(timed(fn))
        s, p = statistics.median(t_seq), statistics.median(t_par)
        print(f"| {row} | {s * 1e3:.0f} | {p * 1e3:.0f} | {s / p:.2f}x | {os.getloadavg()[0]:.1f} |")


if __name__ == "__main__":
    main()
