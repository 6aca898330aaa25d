"""ember.profiler, as torch.profiler: where a step's time, memory and transfers go.

    with ember.profiler.profile(record_shapes=True) as prof:
        with ember.profiler.record_function("step"):
            loss = model(x).sum(); loss.backward()
    print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))
    prof.export_chrome_trace("trace.json")      # chrome://tracing or ui.perfetto.dev

The events are the native engine's (Note [The profiler], csrc/core/profiler.h): kernel calls (a CUDA
kernel is timed on the host, from its launch to the launch's return: its device time is not
measured), autograd nodes made in forward (with their inputs' shapes under record_shapes) and run
in backward, allocations and frees, host<->device transfers, syncs, and record_function ranges.
With no profile open the engine's hooks cost an atomic load each."""
import functools
import json
from collections import namedtuple

from . import _C

__all__ = ["profile", "record_function", "ProfilerActivity"]

Event = namedtuple("Event", "kind name start_ns dur_ns thread device bytes seq detail")
Event.__doc__ = """One profiled event. kind: kernel, forward, backward, alloc, free, transfer, sync or
user; start_ns/dur_ns from the profile's start (dur_ns 0 for an instant); thread: 1, 2, ... in order
of first event; device: -1 for the CPU, else the CUDA ordinal; bytes for alloc/free/transfer; seq:
the autograd node's sequence number (forward and backward); detail: shapes or transfer kind."""


class ProfilerActivity:
    """torch.profiler.ProfilerActivity. ember records both kinds whichever are named."""
    CPU = "cpu"
    CUDA = "cuda"


# torch's sort keys, and what they mean here: every time is host time.
_SORT_KEYS = {"cpu_time_total": "total_ns", "self_cpu_time_total": "total_ns", "cuda_time_total": "total_ns",
              "device_time_total": "total_ns", "cpu_time": "avg_ns", "count": "count", "bytes": "bytes"}

Average = namedtuple("Average", "kind name count total_ns avg_ns max_ns bytes shapes")


class EventAverages(list):
    """key_averages(): one Average per (kind, name[, input shapes]), most total time first. span_ns:
    the profile's length, from its first event's start to its last event's end."""
    span_ns = 0

    def table(self, sort_by="cpu_time_total", row_limit=100):
        if sort_by not in _SORT_KEYS:
            raise ValueError(f"table: unknown sort_by {sort_by!r}; known: {', '.join(_SORT_KEYS)}")
        rows = sorted(self, key=lambda a: getattr(a, _SORT_KEYS[sort_by]), reverse=True)[:row_limit]
        shapes = any(a.shapes for a in rows)
        # Ranges nest (kernels inside a backward node inside a user range): shares of the whole
        # profile, not of a sum that would count a kernel twice.
        header = ["Name", "Kind", "Calls", "Total", "Avg", "Max", "% of profile", "Bytes"]
        header += ["Input shapes"] if shapes else []
        body = [[a.name, a.kind, str(a.count), _time(a.total_ns), _time(a.avg_ns), _time(a.max_ns),
                 f"{100 * a.total_ns / max(self.span_ns, 1):.1f}%" if a.total_ns else "",
                 str(a.bytes) if a.bytes else ""] + ([a.shapes] if shapes else []) for a in rows]
        widths = [max(len(r[i]) for r in [header] + body) for i in range(len(header))]
        line = "-" * (sum(widths) + 2 * len(widths))
        fmt = lambda r: "  ".join(c.ljust(w) if i < 2 or i == 8 else c.rjust(w)  # noqa: E731
                                  for i, (c, w) in enumerate(zip(r, widths)))
        return "\n".join([line, fmt(header), line] + [fmt(r) for r in body] + [line]) + "\n"


def _time(ns):
    return f"{ns / 1e6:.3f}ms" if ns >= 1e6 else f"{ns / 1e3:.3f}us"


class profile:
    """A context manager that records the engine's events between enter and exit (torch's
    signature: activities, record_shapes, profile_memory and with_stack are accepted; memory is
    always recorded, stacks never). One profile at a time."""

    def __init__(self, activities=None, record_shapes=False, profile_memory=False, with_stack=False, **_ignored):
        self.record_shapes = record_shapes
        self._events = []

    def __enter__(self):
        if not _C._profiler_start(self.record_shapes):
            raise RuntimeError("ember.profiler.profile: a profile is open already (one at a time)")
        return self

    def __exit__(self, *exc):
        self._events = [Event(*e) for e in _C._profiler_stop()]
        return False

    def events(self):
        return list(self._events)

    def key_averages(self, group_by_input_shape=False):
        groups = {}
        for e in self._events:
            key = (e.kind, e.name, e.detail if group_by_input_shape and e.kind == "forward" else "")
            groups.setdefault(key, []).append(e)
        out = EventAverages()
        for (kind, name, shapes), es in groups.items():
            total = sum(e.dur_ns for e in es)
            out.append(Average(kind, name, len(es), total, total // len(es), max(e.dur_ns for e in es),
                               sum(e.bytes for e in es), shapes))
        out.sort(key=lambda a: a.total_ns, reverse=True)
        if self._events:
            out.span_ns = max(e.start_ns + e.dur_ns for e in self._events) - min(e.start_ns for e in self._events)
        return out

    def export_chrome_trace(self, path):
        """Writes the events as Chrome trace JSON (chrome://tracing, ui.perfetto.dev): one track per
        host thread, one per CUDA device for its kernel launches, a counter of the bytes allocated
        less those freed since the profile began (it dips below 0 when older tensors die), and
        an arrow from each autograd node's forward to its backward."""
        with open(path, "w") as f:
            json.dump(chrome_trace(self._events), f)


def _track(e):
    """(pid, tid) of an event: host threads under "CPU", CUDA launches under "cuda:N"."""
    if e.kind == "kernel" and e.device >= 0:
        return f"cuda:{e.device} (kernel launches, host time)", 0
    return "CPU", e.thread


def chrome_trace(events):
    trace, forward_at = [], {}
    live = {}
    for e in sorted(events, key=lambda e: e.start_ns):
        pid, tid = _track(e)
        ts = e.start_ns / 1e3
        args = {k: v for k, v in (("device", e.device), ("bytes", e.bytes), ("seq", e.seq), ("detail", e.detail))
                if v not in (0, "", -1)}
        if e.kind in ("alloc", "free", "transfer"):
            trace.append({"name": e.name, "cat": e.kind, "ph": "i", "s": "t", "ts": ts, "pid": pid, "tid": tid,
                          "args": args})
            if e.kind != "transfer":
                where = "cpu" if e.device < 0 else f"cuda:{e.device}"
                live[where] = live.get(where, 0) + (e.bytes if e.kind == "alloc" else -e.bytes)
                trace.append({"name": "memory allocated since the profile began (bytes)", "ph": "C", "ts": ts, "pid": "CPU",
                              "args": dict(live)})
            continue
        trace.append({"name": e.name, "cat": e.kind, "ph": "X", "ts": ts, "dur": e.dur_ns / 1e3, "pid": pid,
                      "tid": tid, "args": args})
        if e.kind == "forward":
            forward_at[e.seq] = (ts, pid, tid)
        elif e.kind == "backward" and e.seq in forward_at:
            fts, fpid, ftid = forward_at.pop(e.seq)
            flow = {"name": "forward to backward", "cat": "autograd", "id": e.seq}
            trace.append(dict(flow, ph="s", ts=fts, pid=fpid, tid=ftid))
            trace.append(dict(flow, ph="f", bp="e", ts=ts, pid=pid, tid=tid))
    names = {pid for pid, _ in map(_track, events)} | {"CPU"}
    trace += [{"name": "process_name", "ph": "M", "pid": p, "args": {"name": p}} for p in sorted(names)]
    return {"traceEvents": trace, "displayTimeUnit": "ms"}


class record_function:
    """A named range in the profile (a context manager, or a decorator): record_function("step")."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self._start = _C._profiler_now_ns()
        return self

    def __exit__(self, *exc):
        _C._profiler_add_range(self.name, self._start)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with record_function(self.name):
                return fn(*args, **kwargs)
        return wrapped
