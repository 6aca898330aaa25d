"""The `ember` command: the main job trains, bad arguments are argparse errors, info prints flags."""
import subprocess
import sys

import pytest

import ember
from ember import cli, data


def test_datasets_are_seeded_and_shaped():
    for name in data.DATASETS:
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


def test_train_learns_spirals(capsys):
    assert cli.main(["train", "--epochs", "60", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    final = [line for line in out.splitlines() if line.startswith("done in")][0]
    train_acc = float(final.split("train accuracy ")[1].split(",")[0])
    assert train_acc >= 0.9, out


def test_train_with_sgd_and_tanh_on_moons(capsys):
    assert cli.main(["train", "--dataset", "moons", "--optimizer", "sgd", "--lr", "0.3",
                     "--activation", "tanh", "--hidden", "16", "--epochs", "30"]) == 0
    assert "test accuracy" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["train", "--epochs", "0"], "must be positive"),
    (["train", "--hidden", "6x4"], "comma-separated ints"),
    (["train", "--dataset", "imagenet"], "invalid choice"),
])
def test_bad_arguments_are_argparse_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(argv)
    assert e.value.code == 2
    assert message in capsys.readouterr().err


def test_info_and_module_entry_point():
    out = subprocess.run([sys.executable, "-m", "ember", "info"], capture_output=True, text=True, check=True).stdout
    assert "ember " in out and "OpenMP" in out and "CUDA backend built" in out
