"""What a run says about itself and its rows: machine, versions, the table, JSON, markdown, plot.

Rows measured while the 1-minute load average exceeded the core count shared the CPU with other
processes; they are marked "busy" in the table and should be distrusted (DESIGN.md, benchmarks).
"""
import datetime
import json
import os
import platform

import numpy as np


def machine_info():
    cpu, flags = "unknown CPU", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and cpu == "unknown CPU":
                    cpu = line.split(":", 1)[1].strip()
                elif line.startswith("flags") and not flags:
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    isa = [f for f in ("avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16") if f in flags]
    return {"cpu": cpu or platform.processor(), "logical_cores": os.cpu_count(), "isa": isa,
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version()}


def is_busy(record, cores):
    return max(record["load_1min"]) > cores + 0.5


def _fmt_time(s):
    if s is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def table_lines(records, cores):
    lines = ["| workload | engine | median | IQR | ratio to ember | IQR of ratio | load |",
             "|---|---|---:|---|---:|---|---|"]
    for rec in records:
        busy = "busy" if is_busy(rec, cores) else "ok"
        load = f"{rec['load_1min'][0]:.1f}->{rec['load_1min'][1]:.1f} {busy}"
        label = rec["label"] + (f" ({rec['note']})" if rec["note"] else "")
        for name, m in rec["engines"].items():
            ratio = "-" if m["ratio"] is None else f"{m['ratio']:.3g}x"
            riqr = "-" if m["ratio"] is None else f"{m['ratio_q1']:.3g}-{m['ratio_q3']:.3g}"
            lines.append(f"| {label} | {name} | {_fmt_time(m['median_s'])} | "
                         f"{_fmt_time(m['q1_s'])} - {_fmt_time(m['q3_s'])} | {ratio} | {riqr} | {load} |")
            label = ""  # the label once per row group
        if rec.get("validated"):
            lines.append(f"| {label} | {', '.join(rec['validated'])} | validated, not timed | | | | |")
    return lines


def notes_lines(records):
    """Why engines are missing from rows: skipped (with the reason) or disagreeing (an error)."""
    out, seen = [], set()
    for rec in records:
        for name, why in rec["skipped"].items():
            if (name, why) not in seen:  # one line per distinct reason, not per row
                seen.add((name, why))
                rows = [r["label"] for r in records if r["skipped"].get(name) == why]
                where = rows[0] if len(rows) == 1 else f"{len(rows)} rows"
                out.append(f"- skipped {name} ({where}): {why}")
        for name, why in rec["failed"].items():
            out.append(f"- VALIDATION FAILED {name} on {rec['label']}: {why}")
    return out


def header(meta):
    m = meta["machine"]
    la, lb = meta["load_before"], meta["load_after"]
    return [
        f"date: {meta['date']}",
        f"machine: {m['cpu']}, {m['logical_cores']} logical cores, ISA {' '.join(m['isa']) or '-'}, "
        f"{m['os']}, python {m['python']}",
        f"engines: {'; '.join(meta['versions'])}",
        f"threads: {meta['threads']} for every engine ({meta['thread_setup']})",
        f"load average (1/5/15 min): before {la[0]:.2f}/{la[1]:.2f}/{la[2]:.2f}, "
        f"after {lb[0]:.2f}/{lb[1]:.2f}/{lb[2]:.2f}",
        f"method: validated first; {meta['repeats']} interleaved rounds per row (blocks of ~{meta['block_ms']:g} ms, "
        f"{meta['idle_ms']:g} ms idle before each), median and IQR of time per call, ratio to ember = "
        "median of per-round ratios (below 1 = faster than ember)",
    ]


def render_text(meta, records):
    cores = meta["machine"]["logical_cores"] or 1
    parts = header(meta) + [""] + table_lines(records, cores)
    notes = notes_lines(records)
    if notes:
        parts += [""] + notes
    busy = [r["label"] for r in records if is_busy(r, cores)]
    if busy:
        parts += ["", f"{len(busy)} row(s) ran with the 1-minute load average above {cores}: other processes "
                  "competed for the CPU; distrust those rows (marked busy)."]
    return "\n".join(parts) + "\n"


def write_outputs(out_dir, meta, records, stem=None):
    """Writes <stem>.json, <stem>.md and (with matplotlib) <stem>.png; returns the paths written."""
    os.makedirs(out_dir, exist_ok=True)
    stem = stem or f"suite-cpu-{meta['date']}"
    base = os.path.join(out_dir, stem)
    with open(base + ".json", "w") as f:
        json.dump({"meta": meta, "rows": records}, f, indent=1)
    with open(base + ".md", "w") as f:
        f.write("# ember benchmark suite: native vs pure-Python engines vs PyTorch\n\n")
        f.write("```\n" + "\n".join(header(meta)) + "\n```\n\n")
        text = render_text(meta, records)
        f.write(text.split("\n\n", 1)[1])
        f.write(f"\nReproduce: `python bench/suite.py {' '.join(meta['argv'])}`\n")
    written = [base + ".json", base + ".md"]
    if plot_mlp(records, base + ".png"):
        written.append(base + ".png")
    return written


def plot_mlp(records, path):
    """Log-log time per MLP step vs parameter count, one line per engine; False without matplotlib."""
    rows = [r for r in records if r["group"] == "mlp" and r["engines"]]
    if not rows:
        return False
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(7, 4.5))
    names = sorted({n for r in rows for n in r["engines"]})
    for name in names:
        pts = [(r["size"], r["engines"][name]) for r in rows if name in r["engines"]]
        xs = np.array([p[0] for p in pts])
        med = np.array([m["median_s"] for _, m in pts])
        err = np.array([[m["median_s"] - m["q1_s"] for _, m in pts], [m["q3_s"] - m["median_s"] for _, m in pts]])
        ax.errorbar(xs, med, yerr=err, marker="o", capsize=3, label=name)
    for r in rows:
        ax.annotate(r["label"].split()[1], (r["size"], min(m["median_s"] for m in r["engines"].values())),
                    textcoords="offset points", xytext=(0, -14), ha="center", fontsize=7)
    ax.set(xscale="log", yscale="log", xlabel="parameters", ylabel="seconds per training step",
           title="MLP training step (forward, cross-entropy, backward, SGD)")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def now():
    return datetime.datetime.now()
