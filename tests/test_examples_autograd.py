"""The autograd examples run (as a user would run them) and print what they claim."""
import os
import re
import subprocess
import sys
from pathlib import Path

import ember

ROOT = Path(__file__).resolve().parents[1]


def run_example(name):
    # The example must import the same ember the tests import (a dev build or the installed one).
    ember_parent = str(Path(ember.__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=ember_parent + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / name)], capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_vanishing_gradients():
    out = run_example("vanishing_gradients.py")
    rows = re.findall(r"^\s*(\d+)\s+(\S+)\s+(\S+)$", out, re.M)
    assert [int(r[0]) for r in rows] == list(range(1, 21))
    small = [float(r[1]) for r in rows]
    xavier = [float(r[2]) for r in rows]
    # shrinking toward the input with the small init: every layer below has a smaller gradient
    assert all(a < b for a, b in zip(small, small[1:]))
    assert small[0] / small[-1] < 1e-3
    assert 0.1 < xavier[0] / xavier[-1] < 10.0
    assert "vanishing with small init, level with xavier init: yes" in out


def test_hessian_vector_product():
    out = run_example("hessian_vector_product.py")
    m = re.search(r"Hessian shape: \((\d+), (\d+)\)", out)
    assert m and m.group(1) == m.group(2) == "32"
    errs = [float(e) for e in re.findall(r"- H @ v\| = (\S+)", out)]
    assert len(errs) == 2 and max(errs) < 1e-10
    assert "double-backward HVP matches the explicit Hessian: yes" in out
