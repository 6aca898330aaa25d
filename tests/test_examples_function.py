"""The custom-Function and checkpointing examples run and print what they claim."""
import os
import re
import subprocess
import sys
from pathlib import Path

import ember

ROOT = Path(__file__).resolve().parent.parent


def run_example(name):
    # The example must import the same ember the tests import (a dev build or the installed one).
    ember_parent = str(Path(ember.__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=ember_parent + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, str(ROOT / "examples" / name)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def numbers(pattern, text):
    return [float(v) for v in re.findall(pattern, text)]


def test_straight_through():
    out = run_example("straight_through.py")
    assert "straight-through: final loss 0.00, bits right 100%" in out
    plain_acc, = numbers(r"plain sign\(\):.*bits right (\d+)%", out)
    assert plain_acc < 80


def test_reparameterization():
    out = run_example("reparameterization.py")
    diff, = numbers(r"max difference ([0-9.e+-]+)", out)
    mu, = numbers(r"fitted mu = ([0-9.-]+)", out)
    sigma, = numbers(r"sigma = ([0-9.-]+)", out)
    assert diff < 1e-5 and abs(mu - 2.4) < 0.1 and sigma < 0.3


def test_gradient_reversal():
    out = run_example("gradient_reversal.py")
    assert "of 3*a + 4*b: [-1.5, -2.0]" in out
    ratios = numbers(r"\|w0/w1\| \(reliance on the domain direction\) ([0-9.]+)", out)
    assert len(ratios) == 3 and ratios[0] > ratios[1] > ratios[2]


def test_checkpointing():
    out = run_example("checkpointing.py")
    assert "gradients identical: True" in out
    plain, ck = numbers(r"~([0-9.]+) activations", out)
    assert ck * 3 < plain
