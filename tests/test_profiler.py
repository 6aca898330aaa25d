"""ember.profiler (Note [The profiler], csrc/core/profiler.h): what a training step records, the
table, the Chrome trace's schema, record_function, `ember train --profile`, and nothing recorded
outside a profile."""
import json

import pytest

import ember
import ember.nn as nn
from ember import cli

KINDS = {"kernel", "forward", "backward", "alloc", "free", "transfer", "sync", "user"}


def mlp_step(device="cpu"):
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3)).to(device)
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    x, y = ember.randn(8, 4).to(device), ember.randint(0, 3, (8,)).to(device)

    def step():
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def test_a_training_step_records_its_nodes_kernels_and_memory():
    step = mlp_step()
    step()  # warm: the optimizer's state, the gradients' memory
    with ember.profiler.profile(record_shapes=True) as prof:
        with ember.profiler.record_function("step"):
            step()
    events = prof.events()
    assert {e.kind for e in events} <= KINDS
    forward = [e for e in events if e.kind == "forward"]
    backward = [e for e in events if e.kind == "backward" and e.name != "AccumulateGrad"]
    # Linear+ReLU (fused), Linear, cross-entropy: three nodes, each run once backward, linked by seq.
    assert [e.name for e in forward] == ["LinearReluBackward0", "LinearBackward0", "CrossEntropyLossBackward0"]
    assert sorted(e.seq for e in backward) == sorted(e.seq for e in forward)
    assert forward[0].detail == "(8, 4), (16, 4), (16,)"  # the inputs' shapes: x, weight, bias
    assert sum(e.name == "AccumulateGrad" for e in events if e.kind == "backward") == 4  # 4 parameters
    kernels = [e.name for e in events if e.kind == "kernel"]
    assert kernels.count("linear_gemm") == 2 and kernels.count("sgd_update_group") == 1
    assert all(e.dur_ns >= 0 for e in events) and all(e.thread >= 1 for e in events)
    user = next(e for e in events if e.kind == "user")
    assert all(user.start_ns <= e.start_ns <= user.start_ns + user.dur_ns for e in events if e.kind == "kernel")
    allocs = [e for e in events if e.kind == "alloc"]
    assert allocs and all(e.bytes > 0 and e.device == -1 for e in allocs)
    freed = sum(e.bytes for e in events if e.kind == "free")
    assert 0 < freed <= sum(e.bytes for e in allocs)


def test_nothing_is_recorded_outside_a_profile():
    step = mlp_step()
    with ember.profiler.profile() as prof:
        pass
    step()
    assert prof.events() == [] and not ember._C._profiler_enabled()
    with ember.profiler.profile() as outer:
        with pytest.raises(RuntimeError, match="a profile is open already"):
            with ember.profiler.profile():
                pass
        step()
    assert any(e.kind == "kernel" for e in outer.events())


def test_the_table_sorts_and_limits():
    step = mlp_step()
    with ember.profiler.profile() as prof:
        step()
        step()
    averages = prof.key_averages()
    gemm = next(a for a in averages if a.name == "linear_gemm")
    assert gemm.count == 4 and gemm.total_ns >= gemm.max_ns >= gemm.avg_ns > 0
    table = averages.table(sort_by="count", row_limit=3)
    lines = [line for line in table.splitlines() if line and not line.startswith("-")]
    assert lines[0].split()[:3] == ["Name", "Kind", "Calls"] and len(lines) == 4
    counts = [int(line.split()[2]) for line in lines[1:]]
    assert counts == sorted(counts, reverse=True)
    with pytest.raises(ValueError, match="unknown sort_by 'speed'"):
        averages.table(sort_by="speed")


def test_the_chrome_trace_is_well_formed(tmp_path):
    step = mlp_step()
    with ember.profiler.profile() as prof:
        with ember.profiler.record_function("step"):
            step()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())
    events = trace["traceEvents"]
    assert trace["displayTimeUnit"] == "ms" and events
    for e in events:
        assert e["ph"] in {"X", "i", "C", "s", "f", "M"} and isinstance(e["name"], str) and "pid" in e
        if e["ph"] != "M":
            assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0
        if e["ph"] == "X":
            assert e["dur"] >= 0 and e["cat"] in KINDS and "tid" in e
    starts = sorted(e["id"] for e in events if e["ph"] == "s")
    assert starts and starts == sorted(e["id"] for e in events if e["ph"] == "f")  # each arrow has two ends
    assert any(e["ph"] == "C" and e["name"] == "memory allocated since the profile began (bytes)" for e in events)


def test_two_threads_are_two_tracks():
    import threading
    steps = [mlp_step(), mlp_step()]
    with ember.profiler.profile() as prof:
        workers = [threading.Thread(target=lambda s=s: [s() for _ in range(3)]) for s in steps]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    threads = {e.thread for e in prof.events() if e.name == "linear_gemm"}
    assert len(threads) == 2
    assert sum(e.name == "linear_gemm" for e in prof.events()) == 2 * 3 * 2


def test_record_function_as_a_decorator():
    @ember.profiler.record_function("double")
    def double(x):
        return x * 2

    with ember.profiler.profile() as prof:
        double(ember.ones(3))
    assert [e.name for e in prof.events() if e.kind == "user"] == ["double"]
    assert double(ember.ones(2)).tolist() == [2.0, 2.0]  # and it runs without a profile


def test_ember_train_profile_writes_a_trace(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["train", "--epochs", "1", "--profile", "3", "--out", str(out), "--no-progress"]) == 0
    assert "profile of 3 steps" in capsys.readouterr().out
    trace = json.loads((out / "trace.json").read_text())
    users = [e["name"] for e in trace["traceEvents"] if e.get("cat") == "user"]
    assert users == ["step 1", "step 2", "step 3"]
    assert "linear_gemm" in (out / "profile.txt").read_text()


@pytest.mark.gpu
def test_transfers_and_syncs_on_a_device():
    with ember.profiler.profile() as prof:
        x = ember.ones(1000).cuda()
        y = (x * 2).cpu()
    events = prof.events()
    to_device = [e for e in events if e.kind == "transfer" and e.name == "host to device"]
    to_host = [e for e in events if e.kind == "transfer" and e.name == "device to host"]
    assert [(e.bytes, e.detail, e.device) for e in to_device] == [(4000, "pageable", 0)]
    assert [e.bytes for e in to_host] == [4000]
    assert any(e.kind == "sync" for e in events)
    assert any(e.kind == "kernel" and e.device == 0 for e in events)
    assert any(e.kind == "alloc" and e.device == 0 for e in events)
    assert y.tolist()[:2] == [2.0, 2.0]


@pytest.mark.gpu
def test_cuda_kernels_are_timed_on_the_device(tmp_path):
    step = mlp_step("cuda")
    step()
    ember.cuda.synchronize()
    with ember.profiler.profile() as prof:
        step()
    events = prof.events()
    launches = {e.seq: e for e in events if e.kind == "kernel" and e.device == 0}
    device = [e for e in events if e.kind == "device_kernel"]
    # Every launch has its device time, under its launch number, and a kernel runs after its launch
    # was queued (allowing the anchor's microseconds of uncertainty, Note [Kernel time on the device]).
    assert len(launches) >= 5 and 0 not in launches
    assert sorted(e.seq for e in device) == sorted(launches)
    for d in device:
        host = launches[d.seq]
        assert (d.name, d.device, d.thread) == (host.name, 0, host.thread) and d.dur_ns >= 0
        assert d.start_ns >= host.start_ns - 20_000
    # One stream: each kernel starts after the one before it ended.
    ordered = sorted(device, key=lambda e: e.start_ns)
    assert [d.seq for d in ordered] == sorted(d.seq for d in device)
    assert all(b.start_ns >= a.start_ns + a.dur_ns - 1_000 for a, b in zip(ordered, ordered[1:]))
    table = prof.key_averages().table(sort_by="cuda_time_total", row_limit=3)
    assert table.splitlines()[3].split()[1] == "device_kernel"

    prof.export_chrome_trace(str(tmp_path / "trace.json"))
    trace = json.loads((tmp_path / "trace.json").read_text())["traceEvents"]
    stream = [e for e in trace if e.get("cat") == "device_kernel"]
    assert len(stream) == len(device) and {(e["pid"], e["tid"]) for e in stream} == {(1, 1)}
    arrows = [e for e in trace if e.get("name") == "launch to kernel"]
    assert len(arrows) == 2 * len(device)
    names = {(e["pid"], e.get("tid")): e["args"]["name"] for e in trace if e["ph"] == "M"}
    assert names[(1, None)] == "cuda:0" and names[(1, 1)] == "stream (device time)"


@pytest.mark.gpu
def test_kernels_captured_into_a_graph_are_timed_on_the_host_only():
    x = ember.ones(64, device="cuda")
    g = ember.cuda.CUDAGraph()
    with ember.profiler.profile() as prof:
        with ember.cuda.graph(g):
            y = (x * 2.0).relu()
        g.replay()
    events = prof.events()
    assert any(e.kind == "kernel" and e.device == 0 for e in events)
    assert not any(e.kind == "device_kernel" for e in events)
    assert y.cpu().tolist()[:2] == [2.0, 2.0]
