"""The CPU side of the multi-tensor optimizer and clip_grad_norm_ work (the CUDA kernels are in
test_cuda_gpu_optim.py): the CPU twins of the group kernels, the chunked gradient norm and the
in-place scale (their functors are the ones the CUDA kernels run) against PyTorch, param groups
that mix dtypes or span more tensors than one CUDA launch, the error paths, and
`ember train --device cuda` failing fast, with the reason, on a machine without a usable GPU."""
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from conftest import assert_close, to_torch, torch

CHUNK = 8192  # kOptimChunk in csrc/kernels/optim_args.h


def grads(shapes, dtypes, seed=0):
    rng = np.random.default_rng(seed)
    return [ember.tensor(rng.standard_normal(s), dtype=d) for s, d in zip(shapes, dtypes)]


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, 0.5, math.inf])
def test_grad_norm_matches_torch_vector_norm(norm_type):
    shapes = [(3, 4), (CHUNK + 1,), (2 * CHUNK + 17,), (1,)]
    gs = grads(shapes, [ember.float32] * 4)
    total = ember._C._grad_norm(gs, norm_type)
    assert total.dim() == 0 and total.dtype == ember.float32
    per = torch.stack([torch.linalg.vector_norm(to_torch(g), norm_type) for g in gs])
    assert_close(total, torch.linalg.vector_norm(per, norm_type), rtol=1e-5)


def test_grad_norm_mixed_dtypes_uses_the_first_dtype_and_strided_grads():
    base = grads([(6, 5), (CHUNK + 3,)], [ember.float64, ember.float32], seed=1)
    gs = [base[0].t(), base[1]]  # a strided gradient is read through a contiguous copy
    total = ember._C._grad_norm(gs, 2.0)
    assert total.dtype == ember.float64
    expected = math.sqrt(sum(float((to_torch(g).double() ** 2).sum()) for g in gs))
    assert abs(total.item() - expected) < 1e-6 * expected


def test_scale_grads_in_place_bumps_versions_and_handles_strides():
    gs = grads([(4, 3), (CHUNK + 5,)], [ember.float32, ember.float64], seed=2)
    strided = ember.zeros(3, 4).t()
    strided.copy_(gs[0])
    before = [to_torch(g).clone() for g in gs]
    versions = [g._version for g in gs]
    ember._C._scale_grads_([strided] + gs, ember.tensor(0.25))
    for g, b, v in zip(gs, before, versions):
        assert_close(g, b * 0.25)
        assert g._version == v + 1
    assert_close(strided, before[0] * 0.25)


def test_clip_grad_norm_cpu_path_agrees_with_the_native_norm():
    ps = [nn.Parameter(ember.zeros(*s)) for s in [(3, 4), (CHUNK + 1,)]]
    for p, g in zip(ps, grads([(3, 4), (CHUNK + 1,)], [ember.float32] * 2, seed=3)):
        p.grad = g
    native = ember._C._grad_norm([p.grad for p in ps], 2.0).item()
    total = nn.utils.clip_grad_norm_(ps, 1.0)
    assert abs(total.item() - native) < 1e-5 * native
    assert abs(ember._C._grad_norm([p.grad for p in ps], 2.0).item() - 1.0) < 1e-5


def test_grad_norm_errors():
    with pytest.raises(ValueError, match=r"\[clip_grad_norm_\] expected at least one gradient"):
        ember._C._grad_norm([], 2.0)
    with pytest.raises(TypeError, match=r"\[clip_grad_norm_\] gradient 1 has dtype ember.int64"):
        ember._C._grad_norm([ember.ones(2), ember.ones(2, dtype=ember.int64)], 2.0)
    with pytest.raises(NotImplementedError, match=r"norm_type must be a positive number or inf on this path, got 0"):
        ember._C._grad_norm([ember.ones(2)], 0.0)
    with pytest.raises(RuntimeError, match=r"the scale must be a one-element floating tensor"):
        ember._C._scale_grads_([ember.ones(2)], ember.ones(2))


def _torch_params(params):
    return [torch.nn.Parameter(to_torch(p.detach())) for p in params]


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.01, amsgrad=True)),
                                         ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5))])
def test_group_with_mixed_dtypes_and_many_tensors_matches_torch(name, kwargs):
    # 40 tensors (more than one CUDA launch holds) alternating float32 and float64, one of
    # them several chunks long: the CPU group twin loops over them all.
    shapes = [(i % 4 + 1, 2) for i in range(39)] + [(2 * CHUNK + 1,)]
    dtypes = [ember.float32 if i % 2 else ember.float64 for i in range(40)]
    params = [nn.Parameter(g) for g in grads(shapes, dtypes)]
    tparams = _torch_params(params)
    opt, topt = getattr(ember.optim, name)(params, **kwargs), getattr(torch.optim, name)(tparams, **kwargs)
    for k in range(3):
        for p, t, g in zip(params, tparams, grads(shapes, dtypes, seed=k + 1)):
            p.grad, t.grad = g, to_torch(g)
        opt.step()
        topt.step()
    for p, t in zip(params, tparams):
        assert_close(p.detach(), t.detach())


def test_a_group_is_checked_before_anything_is_written():
    a, b = ember.ones(3), ember.ones(2)
    steps = [ember.tensor(0.0), ember.tensor(0.0)]
    message = r"\[adam\] gradient of parameter 1 has shape \(3,\) but the parameter has shape \(2,\)"
    with pytest.raises(RuntimeError, match=message):
        ember._C._adam_step([a, b], [ember.ones(3), ember.ones(3)], [ember.zeros(3), ember.zeros(2)],
                            [ember.zeros(3), ember.zeros(2)], [None, None], steps, 0.1, 0.9, 0.999, 1e-8, 0.0,
                            False, False, False)
    assert a.tolist() == [1.0, 1.0, 1.0]
    assert steps[0].item() == 0.0  # no step was counted either


def test_step_counter_must_be_a_cpu_floating_tensor():
    p = nn.Parameter(ember.ones(2))
    p.grad = ember.ones(2)
    opt = ember.optim.Adam([p], lr=0.1)
    opt.step()
    opt.state[p]["step"] = ember.tensor(1.0, dtype=ember.float64)  # what a float64 default dtype makes
    opt.step()
    assert opt.state[p]["step"].item() == 2.0 and opt.state[p]["step"].dtype == ember.float64
    opt.state[p]["step"] = ember.tensor(1)
    with pytest.raises(RuntimeError, match=r"\[adam\] state 'step' of parameter 0 must be a one-element floating CPU"):
        opt.step()


@pytest.mark.skipif(ember.cuda.is_available(), reason="checks the answer of a machine without a usable GPU")
def test_train_on_cuda_without_a_gpu_fails_fast_saying_why(tmp_path):
    from ember.apps.train import train
    config = dict(dataset="spirals", data=None, hidden=[8], activation="relu", epochs=1, batch_size=32,
                  optimizer="adam", lr=0.01, device="cuda", seed=0, log_every=1)
    with pytest.raises(RuntimeError, match="CUDA is not available: " + ember.cuda.unavailable_reason()):
        train(config, str(tmp_path / "run"), progress=False, log=lambda *a: None)
    assert not (tmp_path / "run").exists()  # nothing was written


@pytest.mark.skipif(ember.cuda.is_available(), reason="checks the answer of a machine without a usable GPU")
def test_cli_train_on_cuda_without_a_gpu_is_one_line_error(tmp_path, capsys):
    from ember import cli
    argv = ["train", "--device", "cuda:0", "--epochs", "1", "--out", str(tmp_path / "r"), "--no-progress"]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("ember train: error:") and ember.cuda.unavailable_reason() in err
    assert len(err.strip().splitlines()) == 1


def test_module_cpu_moves_back_to_the_cpu():
    model = nn.Linear(2, 3)
    assert model.cpu() is model and model.weight.device.type == "cpu"


@pytest.mark.skipif(ember.cuda.is_available(), reason="checks the answer of a machine without a usable GPU")
def test_gpu_benchmark_skips_cleanly_without_a_gpu():
    import os
    import subprocess
    import sys
    script = os.path.join(os.path.dirname(__file__), "..", "bench", "gpu_mlp.py")
    run = subprocess.run([sys.executable, script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.startswith("skipped: ")


def _run_example(*args):
    import os
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(Path(ember.__file__).resolve().parent.parent))
    proc = subprocess.run([sys.executable, str(root / "examples" / "train_on_device.py"), *args],
                          capture_output=True, text=True, env=env, timeout=120)
    return proc


def test_device_training_example_runs_on_the_cpu():
    proc = _run_example("--device", "cpu", "--epochs", "20")
    assert proc.returncode == 0, proc.stderr
    assert float(proc.stdout.split("train accuracy ")[1]) > 0.95


@pytest.mark.skipif(ember.cuda.is_available(), reason="checks the answer of a machine without a usable GPU")
def test_device_training_example_on_cuda_without_a_gpu_says_why():
    proc = _run_example("--device", "cuda", "--epochs", "1")
    assert proc.returncode != 0 and "CUDA is not available" in proc.stderr
