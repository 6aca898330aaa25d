"""The suite's MLP training steps (and SGEMM rows), ember against PyTorch, interleaved in one process:
a quicker, more focused version of `bench/suite.py --workloads mlp,sgemm --engines ember,torch`
for A/B work on a shared machine.

    python bench/mlp_step_ab.py [--threads 2] [--repeats 21] [--idle-ms 100] [--rows 784-128-10,784-512-512-10,sgemm1024]
    python bench/mlp_step_ab.py --only ember --seconds 5 ...   # one engine in a loop, for perf record / perf stat
    python bench/mlp_step_ab.py --threads 1 --cpu-time --ember-path /tmp/old ...  # A/B two builds of ember

Rows are built by ember.bench.workloads (the suite's own data, weights and validation), timed as
the suite times them (blocks of about --block-ms, the engines interleaved A B, B A, ..., sleeping
--idle-ms before each block), and reported as medians and the median of per-round ratios
torch / ember (above 1 = ember faster). The 1-minute load average is printed beside each row.

--cpu-time times with the process's CPU time instead of the wall clock: with --threads 1 on a
machine that other jobs keep busy, that is the cost of a step without the time spent waiting for
a core (only meaningful at one thread: at two it also counts the workers' spinning).
--ember-path DIR imports ember from DIR (a folder holding an `ember` package) instead of the
development build in python/, to compare two builds run by run."""
import argparse
import os
import time

import _common


def _parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=21)
    p.add_argument("--block-ms", type=float, default=20.0)
    p.add_argument("--idle-ms", type=float, default=100.0, help="sleep before each block (the suite: 100 at 2 threads)")
    p.add_argument("--rows", default="784-128-10,784-512-512-10,sgemm1024")
    p.add_argument("--only", choices=("ember", "torch", "numpy"), help="loop one engine (for perf)")
    p.add_argument("--seconds", type=float, default=5.0, help="with --only: how long to loop")
    p.add_argument("--cpu-time", action="store_true", help="time with process CPU time (use with --threads 1)")
    p.add_argument("--ember-path", help="import ember from this folder instead of python/")
    return p.parse_args()


ARGS = _parse()
_common.set_threads_env(ARGS.threads)
_common.use_dev_build(ARGS.ember_path)
if ARGS.cpu_time:
    _common.use_cpu_time()  # the runner's clock
from ember.bench import engines as E, runner, workloads as W  # noqa: E402

ROWS = {
    "784-128-10": lambda: W.mlp_row((784, 128, 10), 128, 0),
    "784-512-512-10": lambda: W.mlp_row((784, 512, 512, 10), 256, 0),
    "784-1024-1024-10": lambda: W.mlp_row((784, 1024, 1024, 10), 1024, 0),
    "64-64-10": lambda: W.mlp_row((64, 64, 10), 64, 0),
    "sgemm512": lambda: W.sgemm_row(512),
    "sgemm1024": lambda: W.sgemm_row(1024),
}


def main():
    names = [ARGS.only] if ARGS.only else ["ember", "torch"]
    engines = E.discover(names)
    E.set_threads(ARGS.threads)
    for label in ARGS.rows.split(","):
        row = ROWS[label]()
        if ARGS.only:
            run = row.build(engines[0]).run
            t0 = time.perf_counter()
            t_end, n = t0 + ARGS.seconds, 0
            while time.perf_counter() < t_end:
                run()
                n += 1
            print(f"{label}: {ARGS.only} {n} calls, {(time.perf_counter() - t0) / n * 1e3:.3f} ms/call"
                  f"{' (cpu)' if ARGS.cpu_time else ''}", flush=True)
            continue
        ok, failures = runner.validate(row, engines)
        assert not failures, failures
        load = os.getloadavg()[0]
        cases = {e.name: (row.build(e).run, e.sync) for e in ok}
        m = runner.measure(cases, ARGS.repeats, ARGS.block_ms / 1e3, ARGS.idle_ms / 1e3)
        e, t = m["ember"], m["torch"]
        print(f"{label:18} threads {ARGS.threads} idle {ARGS.idle_ms:g}ms: ember {e.median * 1e3:8.3f} ms  "
              f"torch {t.median * 1e3:8.3f} ms  torch/ember {t.ratio:.3f}x (IQR {t.ratio_q1:.2f}-{t.ratio_q3:.2f})  "
              f"load {load:.1f}->{os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
