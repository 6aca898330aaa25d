"""A picture of a Chrome trace written by ember.profiler (`ember train --profile` writes trace.json):
one row per kind of event on each process (user ranges, backward nodes, kernels, syncs, and a CUDA
device's kernels as run on its stream), time across,
so a trace can be looked at without a browser.

    python bench/plot_trace.py RUN/trace.json OUT.png [--title TEXT]
"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROWS = ["user", "backward", "forward", "kernel", "device_kernel", "sync"]  # top to bottom
COLOURS = {"user": "tab:gray", "backward": "tab:orange", "forward": "tab:green", "kernel": "tab:blue",
           "device_kernel": "tab:purple", "sync": "tab:red"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("trace")
    ap.add_argument("out")
    ap.add_argument("--title", default="")
    args = ap.parse_args()
    trace = json.load(open(args.trace))["traceEvents"]
    events = [e for e in trace if e.get("ph") == "X"]
    names = {e["pid"]: e["args"]["name"] for e in trace if e.get("ph") == "M" and e["name"] == "process_name"}
    if not events:
        raise SystemExit(f"{args.trace}: no timed events")
    t0 = min(e["ts"] for e in events)
    rows = [(pid, kind) for pid in sorted({e["pid"] for e in events}) for kind in ROWS
            if any(e["pid"] == pid and e["cat"] == kind for e in events)]
    fig, ax = plt.subplots(figsize=(14, 1 + 0.6 * len(rows)))
    for y, (pid, kind) in enumerate(reversed(rows)):
        spans = [((e["ts"] - t0) / 1e3, max(e["dur"] / 1e3, 0.002)) for e in events
                 if e["pid"] == pid and e["cat"] == kind]
        ax.broken_barh(spans, (y - 0.35, 0.7), facecolors=COLOURS[kind], edgecolors="none")
    ax.set_yticks(range(len(rows)), [f"{names.get(pid, pid)}: {kind}" for pid, kind in reversed(rows)])
    ax.set_xlabel("ms since the profile began")
    ax.set_title(args.title or args.trace)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)


if __name__ == "__main__":
    main()
