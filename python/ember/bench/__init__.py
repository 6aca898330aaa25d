"""ember's benchmark suite: ember against pure-Python reference engines and PyTorch, in one run.

    python -m ember.bench [--quick] [--out DIR] [--threads N] [--engines value,numpy,ember,torch]
                          [--workloads overhead,mlp,sgemm,memory,cnn] [--repeats N]

(also `python bench/suite.py ...` and `ember bench ...`). Each row is validated across engines
before it is timed; see runner.py for the method and report.py for what is written.
"""
import argparse
import os
import sys

from . import engines as _engines
from . import report, runner, workloads

__all__ = ["main", "parse_args"]


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="ember bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="fewer rounds and smaller sizes (about a minute; Value only on 2-16-16-2)")
    p.add_argument("--out", metavar="DIR",
                   help="folder for suite-cpu-DATE.{json,md,png} (default: bench/results if it exists here, else .)")
    p.add_argument("--threads", type=int, default=1, help="threads for every engine (default 1)")
    p.add_argument("--engines", default=_engines.DEFAULT_ENGINES,
                   help=f"comma-separated, from {','.join(_engines.ENGINE_NAMES)}; ember/torch bring their "
                        "-cuda rows along (default %(default)s)")
    p.add_argument("--workloads", default=",".join(workloads.WORKLOADS),
                   help="comma-separated subset of %(default)s")
    p.add_argument("--repeats", type=int, help="timed rounds per row (default 15, or 5 with --quick)")
    p.add_argument("--block-ms", type=float, help="target length of one timed block (default 20, or 10 with --quick)")
    p.add_argument("--validate-only", action="store_true", help="check that the engines agree, time nothing")
    args = p.parse_args(argv)
    unknown = set(args.workloads.split(",")) - set(workloads.WORKLOADS)
    if unknown:
        p.error(f"unknown workload(s) {', '.join(sorted(unknown))}; choose from {', '.join(workloads.WORKLOADS)}")
    if args.threads < 1:
        p.error("--threads must be at least 1")
    args.repeats = args.repeats or (5 if args.quick else 15)
    args.block_ms = args.block_ms or (10.0 if args.quick else 20.0)
    if args.out is None:
        args.out = os.path.join("bench", "results") if os.path.isdir(os.path.join("bench", "results")) else "."
    return args


def main(argv=None):
    """Runs the suite; returns 0, or 1 when an engine disagreed with ember on some row."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        names = _engines.expand(args.engines)
    except ValueError as e:
        print(e, file=sys.stderr)
        return 2
    engines = _engines.discover(names)
    thread_setup = _engines.set_threads(args.threads)
    # Note [Idle between engines]: with one thread there are no BLAS workers left spinning, so a
    # short pause is enough; with more, OpenBLAS's workers (NumPy's) spin for about 2^28 cycles,
    # ~0.1 s here, after a call. A 0.1 s pause was not always enough: with NumPy in the run,
    # ember's 2-thread 784-512-512-10 step measured 8.2 ms against 5.5 ms without it, as its
    # second thread found the other core taken. 0.25 s leaves a margin.
    idle_s = 0.25 if args.threads > 1 else 0.01
    for e in engines:
        if e.skip:
            print(f"skipping {e.name}: {e.skip}", file=sys.stderr)

    load_before, started = os.getloadavg(), report.now()
    records = []
    rows = workloads.rows_for(args.workloads.split(","), args.quick)
    for i, row in enumerate(rows):
        print(f"[{i + 1}/{len(rows)}] {row.label}", file=sys.stderr, flush=True)
        records.append(runner.run_row(row, engines, args.repeats, args.block_ms / 1e3, idle_s,
                                      time_it=not args.validate_only))
    meta = {
        "date": started.date().isoformat(), "started": started.isoformat(timespec="seconds"),
        "finished": report.now().isoformat(timespec="seconds"), "argv": list(argv if argv is not None else sys.argv[1:]),
        "machine": report.machine_info(), "threads": args.threads, "thread_setup": thread_setup,
        "versions": [e.version for e in engines if e.version and not e.skip] + [f"numpy {__import__('numpy').__version__}"],
        "load_before": list(load_before), "load_after": list(os.getloadavg()),
        "repeats": args.repeats, "block_ms": args.block_ms, "idle_ms": idle_s * 1e3, "quick": args.quick,
        "reference": runner.REFERENCE,
    }
    print(report.render_text(meta, records))
    stem = f"suite-cpu-{meta['date']}" + ("-quick" if args.quick else "")
    for path in report.write_outputs(args.out, meta, records, stem):
        print(f"wrote {path}", file=sys.stderr)
    return 1 if any(r["failed"] for r in records) else 0
