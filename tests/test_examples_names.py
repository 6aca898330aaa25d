"""examples/names_mlp.py runs on ember as a user runs it and learns, and, started from the same weights
on the same minibatches, ember's losses and weights follow PyTorch's step by step (with and without
the BatchNorm layer)."""
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "names_mlp.py"


def load_example(backend, monkeypatch):
    """The example as a module whose `torch` is the chosen backend."""
    monkeypatch.setenv("EMBER_EXAMPLE_BACKEND", backend)
    spec = importlib.util.spec_from_file_location(f"names_mlp_{backend}", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("flags", [[], ["--batchnorm"]], ids=["plain", "batchnorm"])
def test_names_mlp_runs_on_ember_and_learns(flags):
    ember_parent = str(Path(ember.__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=ember_parent + os.pathsep + os.environ.get("PYTHONPATH", ""),
               EMBER_EXAMPLE_BACKEND="ember")
    proc = subprocess.run([sys.executable, str(EXAMPLE), "--steps", "1500", "--samples", "5", *flags],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "backend: ember" in proc.stdout
    logged = [float(v) for v in re.findall(r"^step\s+\d+/\d+: loss (\S+)", proc.stdout, re.M)]
    assert len(logged) >= 5 and logged[0] > 3.0 and logged[-1] < logged[0] - 0.5, proc.stdout
    train_loss = float(re.search(r"train loss: (\S+)", proc.stdout).group(1))
    val_loss = float(re.search(r"val loss: (\S+)", proc.stdout).group(1))
    assert train_loss < 2.6 and val_loss < 2.7, proc.stdout
    samples = re.search(r"samples: (.*)", proc.stdout).group(1).split()
    assert len(samples) >= 4 and all(re.fullmatch(r"[a-z]+", s) for s in samples), proc.stdout


@pytest.mark.parametrize("batchnorm", [False, True], ids=["plain", "batchnorm"])
def test_names_mlp_losses_match_torch(monkeypatch, batchnorm):
    ex_e, ex_t = load_example("ember", monkeypatch), load_example("torch", monkeypatch)
    assert ex_e.torch is ember and ex_t.torch is torch
    names = ex_e.make_names()
    assert names == ex_t.make_names()
    stoi, _ = ex_e.build_vocab(names)
    Xe, Ye = ex_e.build_dataset(names[:2000], stoi)
    Xt, Yt = ex_t.build_dataset(names[:2000], stoi)
    np.testing.assert_array_equal(Xe.numpy(), Xt.numpy())

    # The two libraries' generators draw different numbers, so torch starts from ember's weights and
    # both take the same minibatch rows.
    pe = ex_e.init_params(len(stoi), ember.Generator().manual_seed(3), batchnorm=batchnorm)
    pt = {k: torch.tensor(v.detach().numpy().copy(), requires_grad=True) for k, v in pe.items()}
    be, bt = ex_e.init_buffers(batchnorm), ex_t.init_buffers(batchnorm)
    steps, batch = 40, 32
    rows = np.random.default_rng(0).integers(0, Xe.shape[0], size=(steps, batch))
    le = ex_e.train(pe, be, Xe, Ye, steps, g=None, batch_indices=ember.tensor(rows))
    lt = ex_t.train(pt, bt, Xt, Yt, steps, g=None, batch_indices=torch.tensor(rows))
    assert len(le) == len(lt) == steps and le[-1] < le[0]
    np.testing.assert_allclose(le, lt, rtol=2e-5, atol=1e-6)
    for name in pe:
        np.testing.assert_allclose(pe[name].detach().numpy(), pt[name].detach().numpy(),
                                   rtol=1e-4, atol=1e-5, err_msg=name)
    for name in be:
        np.testing.assert_allclose(be[name].numpy(), bt[name].numpy(), rtol=1e-4, atol=1e-5, err_msg=name)
    held_out = names[2000:2300]
    Xve, Yve = ex_e.build_dataset(held_out, stoi)
    Xvt, Yvt = ex_t.build_dataset(held_out, stoi)
    np.testing.assert_allclose(ex_e.split_loss(pe, be, Xve, Yve), ex_t.split_loss(pt, bt, Xvt, Yvt),
                               rtol=2e-5)
