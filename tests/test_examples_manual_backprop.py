"""examples/manual_backprop.py passes every one of its checks on both backends, and, on the same weights
and batch, autograd's gradients of every intermediate agree between ember and PyTorch."""
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
EXAMPLE = ROOT / "examples" / "manual_backprop.py"
N_CHECKS = 28    # 26 tensors by hand + 2 fused closed forms


def load_example(backend, monkeypatch):
    """The example as a module whose `torch` is the chosen backend."""
    monkeypatch.setenv("EMBER_EXAMPLE_BACKEND", backend)
    spec = importlib.util.spec_from_file_location(f"manual_backprop_{backend}", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("backend", ["ember", "torch"])
def test_manual_backprop_every_check_passes(backend):
    ember_parent = str(Path(ember.__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=ember_parent + os.pathsep + os.environ.get("PYTHONPATH", ""),
               EMBER_EXAMPLE_BACKEND=backend)
    proc = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"backend: {backend}" in proc.stdout
    checks = re.findall(r"^(.+?)\s*\| exact: (True|False)\s*\| approx: (True|False)\s*\| max diff: (\S+)$",
                        proc.stdout, re.M)
    assert len(checks) == N_CHECKS, proc.stdout
    assert all(approx == "True" for _, _, approx, _ in checks), proc.stdout
    assert all(abs(float(diff)) < 1e-6 for _, _, _, diff in checks), proc.stdout
    assert "all checks passed" in proc.stdout


@pytest.mark.parametrize("seed", [0, 1])
def test_manual_backprop_gradients_match_torch(monkeypatch, seed):
    ex_e, ex_t = load_example("ember", monkeypatch), load_example("torch", monkeypatch)
    assert ex_e.torch is ember and ex_t.torch is torch
    # The generators of the two libraries differ, so both start from the same ember draw.
    pe, Xe, Ye = ex_e.make_problem(ember.Generator().manual_seed(seed), batch=32)
    pt = {k: torch.tensor(v.detach().numpy().copy(), requires_grad=True) for k, v in pe.items()}
    Xt, Yt = torch.tensor(Xe.numpy()), torch.tensor(Ye.numpy())

    ok_e, loss_e, grads_e = ex_e.run_checks(pe, Xe, Ye)
    ok_t, loss_t, grads_t = ex_t.run_checks(pt, Xt, Yt)
    assert ok_e and ok_t
    np.testing.assert_allclose(loss_e, loss_t, rtol=1e-6)
    assert grads_e.keys() == grads_t.keys()
    for name in grads_e:
        # row_max's gradient is rounding noise around an exact zero, so only its size is compared.
        atol = 1e-8 if name == "row_max" else 1e-7
        np.testing.assert_allclose(grads_e[name].numpy(), grads_t[name].numpy(), rtol=1e-4, atol=atol,
                                   err_msg=name)
