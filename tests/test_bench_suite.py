"""The benchmark suite's validation step (every engine pair agrees on the tiny sizes) and one tiny
end-to-end run that must produce the table and the JSON. Nothing here asserts a time."""
import itertools
import json

import numpy as np
import pytest

from conftest import torch  # noqa: F401  (the torch engine needs it; skips the file without it)
from ember.bench import engines as bench_engines
from ember.bench import main, parse_args, runner, workloads

CPU_ENGINES = ["value", "numpy", "ember", "torch"]


@pytest.fixture(scope="module")
def engines():
    return {e.name: e for e in bench_engines.discover(CPU_ENGINES)}


def _tiny_rows():
    rows = [workloads.overhead_row(op, rg) for op in workloads.OVERHEAD_OPS for rg in (False, True)]
    rows.append(workloads.mlp_row((2, 16, 16, 2), 100, value_limit=10 ** 6))
    rows.append(workloads.mlp_row((5, 7, 3), 9, value_limit=10 ** 6))
    rows.append(workloads.sgemm_row(64))
    rows += [workloads.memory_row(op, 10 ** 4) for op in ("add", "exp", "sum", "softmax")]
    rows.append(workloads.cross_entropy_row(32, classes=10))
    return rows


@pytest.mark.parametrize("row", _tiny_rows(), ids=lambda r: r.label)
def test_every_engine_pair_agrees(row, engines):
    usable = [e for e in engines.values() if not e.skip and not row.skip(e)]
    assert {"numpy", "ember", "torch"} <= {e.name for e in usable}
    results = {e.name: row.build(e).check() for e in usable}
    for a, b in itertools.combinations(results, 2):
        assert runner.agree(results[a], results[b], row.rtol) is None, (a, b, runner.agree(results[a], results[b], row.rtol))


def test_validate_reports_a_disagreeing_engine(engines):
    row = workloads.overhead_row("add", False)
    good_build = row.build

    def broken_build(engine):  # numpy's result is off by 1%: validation must catch it before timing
        case = good_build(engine)
        if engine.name == "numpy":
            check = case.check
            case.check = lambda: {k: v * 1.01 for k, v in check().items()}
        return case
    row.build = broken_build
    ok, failures = runner.validate(row, [engines["ember"], engines["numpy"], engines["torch"]])
    assert [e.name for e in ok] == ["ember", "torch"]
    assert "disagrees with ember: out: max |diff|" in failures["numpy"]


def test_mlp_check_includes_loss_grads_and_updated_weights(engines):
    row = workloads.mlp_row((2, 16, 16, 2), 100, value_limit=10 ** 6)
    res = row.build(engines["ember"]).check()
    _, _, params = workloads.mlp_data((2, 16, 16, 2), 100)
    assert set(res) == {"loss"} | {f"grad{i}" for i in range(6)} | {f"param{i}" for i in range(6)}
    for i, p in enumerate(params):  # one SGD step: p - lr * grad
        np.testing.assert_allclose(res[f"param{i}"], p - workloads.LR * res[f"grad{i}"], rtol=1e-5, atol=1e-6)


def test_value_is_skipped_with_a_reason_on_large_sizes(engines):
    row = workloads.mlp_row((784, 128, 10), 128, value_limit=40_000)
    assert "would take too long" in row.skip(engines["value"])
    assert row.skip(engines["ember"]) is None


def test_engine_names_and_cuda_rows():
    assert bench_engines.expand("value,ember") == ["value", "ember", "ember-cuda"]
    with pytest.raises(ValueError, match=r"\[bench\] unknown engine 'jax'"):
        bench_engines.expand("ember,jax")
    (cuda,) = bench_engines.discover(["ember-cuda"])
    import ember
    assert (cuda.skip is None) == ember.cuda.is_available()


def test_parse_args_quick_defaults_and_errors(capsys):
    args = parse_args(["--quick", "--out", "x"])
    assert (args.repeats, args.block_ms, args.threads) == (5, 10.0, 1)
    with pytest.raises(SystemExit):
        parse_args(["--workloads", "overhead,nope"])
    assert "unknown workload(s) nope" in capsys.readouterr().err


def test_quick_overhead_run_writes_table_and_json(tmp_path, capsys):
    rc = main(["--quick", "--workloads", "overhead", "--repeats", "2", "--block-ms", "1",
               "--engines", "numpy,ember,torch", "--out", str(tmp_path)])
    assert rc == 0
    out = capsys.readouterr().out
    assert "| workload | engine | median | IQR | ratio to ember |" in out
    assert "threads: 1 for every engine" in out and "skipped ember-cuda" in out
    (js,) = tmp_path.glob("suite-cpu-*-quick.json")
    data = json.loads(js.read_text())
    assert len(data["rows"]) == 2 * len(workloads.OVERHEAD_OPS)
    for rec in data["rows"]:
        assert not rec["failed"]
        assert set(rec["engines"]) == {"numpy", "ember", "torch"}
        assert rec["engines"]["ember"]["ratio"] == 1.0
        assert all(len(m["times_s"]) == 2 for m in rec["engines"].values())
    assert data["meta"]["machine"]["logical_cores"] >= 1 and data["meta"]["threads"] == 1
    assert (tmp_path / js.name.replace(".json", ".md")).exists()
