"""ember.profiler, as torch.profiler: where a step's time, memory and transfers go.

    with ember.profiler.profile(record_shapes=True) as prof:
        with ember.profiler.record_function("step"):
            loss = model(x).sum(); loss.backward()
    print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))
    prof.export_chrome_trace("trace.json")      # chrome://tracing or ui.perfetto.dev

The events are the native engine's (Note [The profiler], csrc/core/profiler.h): kernel calls (a CUDA
kernel twice: its launch on the host, and what it took on the device as a "device_kernel" event,
from CUDA events around the launch: Note [Kernel time on the device]), autograd nodes made in forward (with their inputs' shapes under record_shapes) and run
in backward, allocations and frees, host<->device transfers, syncs, and record_function ranges.
With no profile open the engine's hooks cost an atomic load each."""
import functools
import json
from collections import namedtuple

from . import _C

__all__ = ["profile", "record_function", "ProfilerActivity"]

Event = namedtuple("Event", "kind name start_ns dur_ns thread device bytes seq detail")
Event.__doc__ = """One profiled event. kind: kernel, device_kernel, forward, backward, alloc, free,
transfer, sync or user; start_ns/dur_ns from the profile's start (dur_ns 0 for an instant); thread: 1, 2, ... in order
of first event; device: -1 for the CPU, else the CUDA ordinal; bytes for alloc/free/transfer; seq:
the autograd node's sequence number (forward and backward), or a CUDA kernel's launch number
(kernel and device_kernel); detail: shapes or transfer kind."""


class ProfilerActivity:
    """torch.profiler.ProfilerActivity. ember records both kinds whichever are named."""
    CPU = "cpu"
    CUDA = "cuda"


# torch's sort keys, and what they mean here: the device ones put the CUDA kernels' device times
# first, the others sort every row by its host time.
_by_device = lambda a: (a.kind == "device_kernel", a.total_ns)  # noqa: E731
_SORT_KEYS = {"cpu_time_total": lambda a: a.total_ns, "self_cpu_time_total": lambda a: a.total_ns,
              "cuda_time_total": _by_device, "device_time_total": _by_device, "cpu_time": lambda a: a.avg_ns,
              "count": lambda a: a.count, "bytes": lambda a: a.bytes}

Average = namedtuple("Average", "kind name count total_ns avg_ns max_ns bytes shapes")


class EventAverages(list):
    """key_averages(): one Average per (kind, name[, input shapes]), most total time first. span_ns:
    the profile's length, from its first event's start to its last event's end."""
    span_ns = 0

    def table(self, sort_by="cpu_time_total", row_limit=100):
        if sort_by not in _SORT_KEYS:
            raise ValueError(f"table: unknown sort_by {sort_by!r}; known: {', '.join(_SORT_KEYS)}")
        rows = sorted(self, key=_SORT_KEYS[sort_by], reverse=True)[:row_limit]
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
        host thread; per CUDA device, one track of kernel launches (host time) and one of the
        kernels on the device's stream (device time), an arrow from each launch to its kernel; a
        counter of the bytes allocated less those freed since the profile began (it dips below 0
        when older tensors die); and an arrow from each autograd node's forward to its backward."""
        with open(path, "w") as f:
            json.dump(chrome_trace(self._events), f)


# Tracks as (pid, tid) integers, named by metadata events: the host is process 0 with a thread per
# host thread; CUDA device N is process N + 1, with launches on thread 0 and its stream on thread 1.
_HOST_PID, _LAUNCHES_TID, _STREAM_TID = 0, 0, 1
# Flow ids: an autograd node's sequence number, or a launch number offset past any of those.
_LAUNCH_FLOW = 1 << 48


def _track(e):
    if e.kind in ("kernel", "device_kernel") and e.device >= 0:
        return e.device + 1, _STREAM_TID if e.kind == "device_kernel" else _LAUNCHES_TID
    return _HOST_PID, e.thread


def _track_names(events):
    names = [{"name": "process_name", "ph": "M", "pid": _HOST_PID, "args": {"name": "CPU"}}]
    for device in sorted({e.device for e in events if e.kind in ("kernel", "device_kernel") and e.device >= 0}):
        names.append({"name": "process_name", "ph": "M", "pid": device + 1, "args": {"name": f"cuda:{device}"}})
        names.append({"name": "thread_name", "ph": "M", "pid": device + 1, "tid": _LAUNCHES_TID,
                      "args": {"name": "kernel launches (host time)"}})
        names.append({"name": "thread_name", "ph": "M", "pid": device + 1, "tid": _STREAM_TID,
                      "args": {"name": "stream (device time)"}})
    for thread in sorted({e.thread for e in events if _track(e)[0] == _HOST_PID}):
        names.append({"name": "thread_name", "ph": "M", "pid": _HOST_PID, "tid": thread,
                      "args": {"name": f"host thread {thread}"}})
    return names


def _arrow(name, flow_id, start, end):
    """A flow arrow from the slice at start=(ts, pid, tid) to the one at end."""
    flow = {"name": name, "cat": "flow", "id": flow_id}
    return [dict(flow, ph="s", ts=start[0], pid=start[1], tid=start[2]),
            dict(flow, ph="f", bp="e", ts=end[0], pid=end[1], tid=end[2])]


def chrome_trace(events):
    trace, live = [], {}
    ends = {}  # (is a launch, seq) -> {kind: (ts, pid, tid)}: the two ends of each arrow
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
                trace.append({"name": "memory allocated since the profile began (bytes)", "ph": "C", "ts": ts,
                              "pid": _HOST_PID, "args": dict(live)})
            continue
        trace.append({"name": e.name, "cat": e.kind, "ph": "X", "ts": ts, "dur": e.dur_ns / 1e3, "pid": pid,
                      "tid": tid, "args": args})
        if e.seq and e.kind in ("forward", "backward", "kernel", "device_kernel"):
            ends.setdefault((e.kind in ("kernel", "device_kernel"), e.seq), {})[e.kind] = (ts, pid, tid)
    # Arrows once every slice is placed: a kernel's device time may begin before its launch's host
    # time by the anchor's few microseconds of uncertainty (Note [Kernel time on the device]).
    for (launch, seq), at in ends.items():
        source, target = ("kernel", "device_kernel") if launch else ("forward", "backward")
        if source in at and target in at:
            name = "launch to kernel" if launch else "forward to backward"
            trace += _arrow(name, _LAUNCH_FLOW + seq if launch else seq, at[source], at[target])
    return {"traceEvents": trace + _track_names(events), "displayTimeUnit": "ms"}


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
