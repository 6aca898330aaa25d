"""The `ember` command: the main job trains and writes its run folder, eval reloads it, bad
arguments are argparse errors, info prints the build flags."""
import csv
import json
import subprocess
import sys

import pytest

import ember
from ember import cli, data


def test_datasets_are_seeded_and_shaped():
    for name in ("spirals", "moons", "circles"):
        X1, y1 = data.load(name, seed=3)
        X2, y2 = data.load(name, seed=3)
        X3, _ = data.load(name, seed=4)
        assert X1.shape[1] == 2 and X1.dtype == ember.float32 and y1.dtype == ember.int64
        assert X1.shape[0] == y1.shape[0]
        assert (X1 == X2).all().item() and (y1 == y2).all().item()
        assert not (X1 == X3).all().item()


def test_unknown_dataset_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown dataset 'nope'"):
        data.load("nope")


def _final_accuracies(out):
    line = [ln for ln in out.splitlines() if ln.startswith("done in")][0]
    train_acc = float(line.split("train accuracy ")[1].split(",")[0])
    test_acc = float(line.split("test accuracy ")[1].split()[0])
    return train_acc, test_acc


def test_train_writes_a_run_folder_and_eval_reloads_it(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["train", "--epochs", "40", "--seed", "1", "--out", str(out), "--no-progress"]) == 0
    train_acc, test_acc = _final_accuracies(capsys.readouterr().out)
    assert train_acc >= 0.95
    for name in ("model.safetensors", "metrics.csv", "config.json", "index.html"):
        assert (out / name).exists(), name
    with open(out / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 40 and float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"])
    config = json.loads((out / "config.json").read_text())
    assert config["dataset"] == "spirals" and config["hidden"] == [64, 64]
    assert (out / "loss.png").stat().st_size > 1000  # matplotlib is a dependency of the install
    assert (out / "decision_boundary.png").stat().st_size > 1000
    page = (out / "index.html").read_text()
    assert "<img src='loss.png'" in page and "<img src='decision_boundary.png'" in page
    assert page.count("<tr>") >= 40 and f"test accuracy {test_acc:.3f}" in page and "Linear(in_features=2" in page

    assert cli.main(["eval", "--checkpoint", str(out)]) == 0
    line = capsys.readouterr().out
    assert "test loss" in line and f"accuracy {test_acc:.3f}" in line


def test_train_with_sgd_and_tanh_on_moons(tmp_path, capsys):
    assert cli.main(["train", "--dataset", "moons", "--optimizer", "sgd", "--lr", "0.3", "--activation", "tanh",
                     "--hidden", "16", "--epochs", "20", "--out", str(tmp_path), "--no-progress"]) == 0
    assert _final_accuracies(capsys.readouterr().out)[0] > 0.8


@pytest.mark.parametrize("argv, message", [
    (["train", "--epochs", "0"], "must be positive"),
    (["train", "--hidden", "6x4"], "comma-separated ints"),
    (["train", "--dataset", "imagenet"], "invalid choice"),
    (["train", "--device", "tpu"], "expected cpu or cuda"),
    (["eval"], "--checkpoint"),
])
def test_bad_arguments_are_argparse_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(argv)
    assert e.value.code == 2
    assert message in capsys.readouterr().err


def test_user_level_failures_are_one_line_errors(tmp_path, capsys):
    assert cli.main(["eval", "--checkpoint", str(tmp_path)]) == 1
    assert "not an ember run directory" in capsys.readouterr().err
    if not ember.cuda.is_available():
        assert cli.main(["train", "--device", "cuda", "--epochs", "1", "--out", str(tmp_path / "r")]) == 1
        assert "cuda" in capsys.readouterr().err


def test_info_and_module_entry_point():
    out = subprocess.run([sys.executable, "-m", "ember", "info"], capture_output=True, text=True, check=True).stdout
    assert "ember " in out and "OpenMP" in out and "CUDA backend built" in out
    assert f"CPU ISA: {ember._C._detected_cpu_isa()}" in out  # as the kernels' dispatch reports it


def test_digits_mlp_reaches_97_percent(tmp_path, capsys):
    pytest.importorskip("sklearn")
    assert cli.main(["train", "--dataset", "digits", "--hidden", "128", "--epochs", "30", "--out", str(tmp_path),
                     "--no-progress"]) == 0
    assert _final_accuracies(capsys.readouterr().out)[1] >= 0.97


def test_bench_subcommand_hands_its_arguments_to_the_suite(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["bench", "--help"])
    assert e.value.code == 0
    assert "--quick" in capsys.readouterr().out
