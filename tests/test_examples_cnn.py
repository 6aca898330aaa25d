"""examples/cnn_digits.py runs on both backends as a user runs it, and, started from the same
weights on the same minibatches, ember's losses follow PyTorch's step by step."""
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ember

pytest.importorskip("sklearn")
torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "cnn_digits.py"


def load_example(backend, monkeypatch):
    """The example as a module whose `torch` is the chosen backend."""
    monkeypatch.setenv("EMBER_EXAMPLE_BACKEND", backend)
    spec = importlib.util.spec_from_file_location(f"cnn_digits_{backend}", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cnn_digits_runs_on_ember_and_learns():
    ember_parent = str(Path(ember.__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=ember_parent + os.pathsep + os.environ.get("PYTHONPATH", ""),
               EMBER_EXAMPLE_BACKEND="ember")
    proc = subprocess.run([sys.executable, str(EXAMPLE), "--epochs", "4"], capture_output=True, text=True,
                          env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "backend: ember" in proc.stdout
    loss = float(re.search(r"final loss: (\S+)", proc.stdout).group(1))
    acc = float(re.search(r"test accuracy: (\S+)", proc.stdout).group(1))
    assert loss < 0.8 and acc > 0.75, proc.stdout


def test_cnn_digits_losses_match_torch(monkeypatch):
    ex_e, ex_t = load_example("ember", monkeypatch), load_example("torch", monkeypatch)
    assert ex_e.torch is ember and ex_t.torch is torch
    ember.manual_seed(0)
    me, mt = ex_e.DigitsCNN(), ex_t.DigitsCNN()
    state = {k: torch.from_numpy(v.detach().numpy().copy()) for k, v in me.state_dict().items()}
    mt.load_state_dict(state)
    Xe, ye = ex_e.load_digits()
    Xt, yt = ex_t.load_digits()
    np.testing.assert_array_equal(Xe.numpy(), Xt.numpy())
    steps = 8
    le = ex_e.train(me, Xe[:512], ye[:512], epochs=1, max_steps=steps)
    lt = ex_t.train(mt, Xt[:512], yt[:512], epochs=1, max_steps=steps)
    assert len(le) == len(lt) == steps
    np.testing.assert_allclose(le, lt, rtol=2e-5, atol=1e-6)
    for (name, pe), (_, pt) in zip(me.state_dict().items(), mt.state_dict().items()):
        np.testing.assert_allclose(pe.numpy(), pt.detach().numpy(), rtol=1e-4, atol=1e-5, err_msg=name)
