"""The multi-tensor CUDA optimizer steps and clip_grad_norm_ against their CPU twins and PyTorch,
and GPU training: a whole MLP step on the GPU against the same step on the CPU, no host sync or
transfer inside a training step, memory that stays flat, and `ember train --device cuda`. Every
test is marked `gpu`: it skips on a machine without a GPU (EMBER_REQUIRE_GPU=1 makes that a
failure). PyTorch's CUDA build is a second oracle when the installed torch has one."""
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from conftest import TORCH_DTYPE, assert_no_host_traffic, gpu_steps, torch

pytestmark = pytest.mark.gpu

torch_cuda = torch.cuda.is_available()
TOL = {ember.float32: dict(rtol=2e-5, atol=2e-6), ember.float64: dict(rtol=1e-12, atol=1e-14)}
# Sizes around the multi-tensor chunk (kOptimChunk = 8192 in kernels/optim_args.h): one element,
# a small matrix, exactly one chunk, one past it, several chunks with a ragged end.
CHUNK = 8192
SIZES = [(1,), (7, 3), (CHUNK,), (CHUNK + 1,), (2 * CHUNK + 5,)]
MAX_TENSORS_PER_LAUNCH = 32  # kernels/cuda/multi_tensor.cuh


def host(t):
    return t.detach().cpu().numpy()


def close(gpu, cpu, dtype):
    assert gpu.device.type == "cuda" and cpu.device.type == "cpu"
    np.testing.assert_allclose(host(gpu), host(cpu), **TOL[dtype])


def arrays(shapes, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


def run_steps(make_opt, shapes, dtype, device, steps=3):
    """Parameters made from fixed arrays, `steps` updates with fixed gradients; returns (params, opt)."""
    params = [nn.Parameter(ember.tensor(a, dtype=dtype).to(device)) for a in arrays(shapes, 0)]
    opt = make_opt(params)
    for k in range(steps):
        for p, g in zip(params, arrays(shapes, k + 1)):
            p.grad = ember.tensor(g, dtype=dtype).to(device)
        opt.step()
    return params, opt


def run_torch(make_opt, shapes, dtype, steps=3):
    td = TORCH_DTYPE[dtype]
    params = [torch.nn.Parameter(torch.tensor(a, dtype=td, device="cuda")) for a in arrays(shapes, 0)]
    opt = make_opt(params)
    for k in range(steps):
        for p, g in zip(params, arrays(shapes, k + 1)):
            p.grad = torch.tensor(g, dtype=td, device="cuda")
        opt.step()
    return params


def check_against_cpu_and_torch(ember_cls, torch_cls, kwargs, shapes, dtype):
    gpu, gopt = run_steps(lambda ps: ember_cls(ps, **kwargs), shapes, dtype, "cuda")
    cpu, copt = run_steps(lambda ps: ember_cls(ps, **kwargs), shapes, dtype, "cpu")
    for g, c in zip(gpu, cpu):
        close(g, c, dtype)
    for g, c in zip(gpu, cpu):  # every state buffer too ('step' stays a CPU counter)
        for name, value in copt.state[c].items():
            gv = gopt.state[g][name]
            if name == "step":
                assert gv.device.type == "cpu" and gv.item() == value.item()
            else:
                close(gv, value, dtype)
    if torch_cuda:
        tp = run_torch(lambda ps: torch_cls(ps, **kwargs), shapes, dtype)
        for g, t in zip(gpu, tp):
            np.testing.assert_allclose(host(g), t.detach().cpu().numpy(), **TOL[dtype])


SGD_OPTIONS = [dict(lr=0.1), dict(lr=0.1, momentum=0.9), dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
               dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.1, maximize=True)]
ADAM_OPTIONS = [dict(lr=0.01), dict(lr=0.01, amsgrad=True), dict(lr=0.01, weight_decay=0.1),
                dict(lr=0.02, betas=(0.8, 0.9), eps=1e-6, amsgrad=True, weight_decay=0.01, maximize=True)]
ADAMW_OPTIONS = [dict(lr=0.01), dict(lr=0.01, amsgrad=True, weight_decay=0.1)]
RMSPROP_OPTIONS = [dict(lr=0.01), dict(lr=0.01, centered=True), dict(lr=0.01, momentum=0.9),
                   dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.1, maximize=True)]
ADAGRAD_OPTIONS = [dict(lr=0.05), dict(lr=0.05, lr_decay=0.1, initial_accumulator_value=0.5),
                   dict(lr=0.05, weight_decay=0.1, eps=1e-6, maximize=True)]


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("kwargs", SGD_OPTIONS)
def test_sgd_matches_cpu_and_torch(kwargs, dtype):
    check_against_cpu_and_torch(ember.optim.SGD, torch.optim.SGD, kwargs, SIZES, dtype)


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("kwargs", ADAM_OPTIONS)
def test_adam_matches_cpu_and_torch(kwargs, dtype):
    check_against_cpu_and_torch(ember.optim.Adam, torch.optim.Adam, kwargs, SIZES, dtype)


@pytest.mark.parametrize("kwargs", ADAMW_OPTIONS)
def test_adamw_matches_cpu_and_torch(kwargs):
    check_against_cpu_and_torch(ember.optim.AdamW, torch.optim.AdamW, kwargs, SIZES, ember.float32)


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("kwargs", RMSPROP_OPTIONS)
def test_rmsprop_matches_cpu_and_torch(kwargs, dtype):
    check_against_cpu_and_torch(ember.optim.RMSprop, torch.optim.RMSprop, kwargs, SIZES, dtype)


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("kwargs", ADAGRAD_OPTIONS)
def test_adagrad_matches_cpu_and_torch(kwargs, dtype):
    check_against_cpu_and_torch(ember.optim.Adagrad, torch.optim.Adagrad, kwargs, SIZES, dtype)


@pytest.mark.parametrize("cls,kwargs", [(ember.optim.SGD, dict(lr=0.1, momentum=0.9)),
                                        (ember.optim.Adam, dict(lr=0.01, amsgrad=True)),
                                        (ember.optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.5)),
                                        (ember.optim.Adagrad, dict(lr=0.05, lr_decay=0.1))])
def test_group_larger_than_one_launch(cls, kwargs):
    # More tensors than one launch struct holds, so the group takes two launches; a tensor that
    # spans several chunks sits at the boundary.
    shapes = [(i % 5 + 1, 3) for i in range(MAX_TENSORS_PER_LAUNCH - 1)] + [(3 * CHUNK + 1,)] + [(4,)] * 9
    tcls = getattr(torch.optim, cls.__name__)
    check_against_cpu_and_torch(cls, tcls, kwargs, shapes, ember.float32)


def test_mixed_dtypes_and_first_step_per_tensor():
    # One group with float32 and float64 parameters (one launch per dtype), and an SGD momentum
    # buffer that is new for one parameter while the others already have one.
    def make(device):
        a = nn.Parameter(ember.tensor(arrays([(5,)], 0)[0], dtype=ember.float32).to(device))
        b = nn.Parameter(ember.tensor(arrays([(CHUNK + 3,)], 1)[0], dtype=ember.float64).to(device))
        c = nn.Parameter(ember.tensor(arrays([(6,)], 2)[0], dtype=ember.float32).to(device))
        opt = ember.optim.SGD([a, b, c], lr=0.1, momentum=0.9)
        for k in range(3):
            for p, g in zip((a, b, c), arrays([(5,), (CHUNK + 3,), (6,)], 10 + k)):
                p.grad = None if (p is c and k == 0) else ember.tensor(g, dtype=p.dtype).to(device)
            opt.step()
        return a, b, c
    for g, c in zip(make("cuda"), make("cpu")):
        close(g, c, g.dtype)


def test_non_contiguous_parameter():
    def make(device):
        p = nn.Parameter(ember.tensor(arrays([(6, 4)], 0)[0], dtype=ember.float32).to(device).t())
        opt = ember.optim.Adam([p], lr=0.1)
        p.grad = ember.tensor(arrays([(4, 6)], 1)[0], dtype=ember.float32).to(device)
        opt.step()
        return p
    close(make("cuda"), make("cpu"), ember.float32)


def test_device_mismatch_in_a_group_is_an_error():
    a = nn.Parameter(ember.ones(3).cuda())
    b = nn.Parameter(ember.ones(3))
    a.grad, b.grad = ember.ones(3).cuda(), ember.ones(3)
    with pytest.raises(RuntimeError, match=r"\[sgd\] expected all tensors on the same device, got cuda:0 and cpu"):
        ember.optim.SGD([a, b], lr=0.1).step()
    # A gradient on another device than its parameter, and a state buffer likewise.
    with pytest.raises(RuntimeError, match=r"\[sgd\] expected all tensors on the same device, got cuda:0 and cpu"):
        ember._C._sgd_step([a], [ember.ones(3)], [None], 0.1, 0.0, 0.0, False, 0.0, False)
    with pytest.raises(RuntimeError, match=r"\[adam\] expected all tensors on the same device, got cuda:0 and cpu"):
        ember._C._adam_step([a], [ember.ones(3).cuda()], [ember.zeros(3)], [ember.zeros(3).cuda()], [None],
                            [ember.tensor(0.0)], 0.1, 0.9, 0.999, 1e-8, 0.0, False, False, False)
    with pytest.raises(RuntimeError, match=r"\[adam\] state 'step' of parameter 0 must be a one-element floating CPU"):
        ember._C._adam_step([a], [ember.ones(3).cuda()], [ember.zeros(3).cuda()], [ember.zeros(3).cuda()], [None],
                            [ember.tensor(0.0).cuda()], 0.1, 0.9, 0.999, 1e-8, 0.0, False, False, False)


def test_state_dict_round_trip_moves_state_to_the_parameters_device():
    p = nn.Parameter(ember.ones(4))
    p.grad = ember.full((4,), 0.5)
    opt = ember.optim.Adam([p], lr=0.1)
    opt.step()
    q = nn.Parameter(p.detach().cuda())  # the parameter's values travel apart from the optimizer's state
    qopt = ember.optim.Adam([q], lr=0.1)
    qopt.load_state_dict(opt.state_dict())
    state = qopt.state[q]
    assert state["exp_avg"].device.type == "cuda" and state["step"].device.type == "cpu"
    q.grad = ember.full((4,), 0.5).cuda()
    p.grad = ember.full((4,), 0.5)
    qopt.step()
    opt.step()
    close(q, p, ember.float32)


# ---- clip_grad_norm_

def grads_on(device, dtype=ember.float32, shapes=SIZES, scale=1.0):
    params = []
    for i, (a, g) in enumerate(zip(arrays(shapes, 0), arrays(shapes, 5))):
        p = nn.Parameter(ember.tensor(a, dtype=dtype).to(device))
        p.grad = ember.tensor(g * scale, dtype=dtype).to(device)
        params.append(p)
    return params


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("norm_type", [2.0, math.inf, 1.0, 3.0])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_cpu_and_torch(norm_type, max_norm, dtype):
    gpu, cpu = grads_on("cuda", dtype), grads_on("cpu", dtype)
    total = nn.utils.clip_grad_norm_(gpu, max_norm, norm_type=norm_type)
    ctotal = nn.utils.clip_grad_norm_(cpu, max_norm, norm_type=norm_type)
    assert total.device.type == "cuda" and total.dim() == 0 and total.dtype == dtype
    close(total, ctotal, dtype)
    for g, c in zip(gpu, cpu):
        close(g.grad, c.grad, dtype)
    if torch_cuda:
        tp = []
        for c in grads_on("cpu", dtype):
            t = torch.nn.Parameter(torch.from_numpy(host(c)).cuda())
            t.grad = torch.from_numpy(host(c.grad)).cuda()
            tp.append(t)
        ttotal = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type=norm_type)
        np.testing.assert_allclose(host(total), ttotal.cpu().numpy(), **TOL[dtype])
        for g, t in zip(gpu, tp):
            np.testing.assert_allclose(host(g.grad), t.grad.cpu().numpy(), **TOL[dtype])


def test_clip_grad_norm_many_tensors_and_mixed_dtypes():
    shapes = [(i + 1,) for i in range(MAX_TENSORS_PER_LAUNCH + 5)] + [(3 * CHUNK + 7,)]
    gpu, cpu = grads_on("cuda", shapes=shapes), grads_on("cpu", shapes=shapes)
    extra = [nn.Parameter(ember.ones(3, dtype=ember.float64).to(d)) for d in ("cuda", "cpu")]
    for p in extra:
        p.grad = ember.tensor([3.0, -4.0, 12.0], dtype=ember.float64).to(p.device)
    total = nn.utils.clip_grad_norm_(gpu + [extra[0]], 1.0)
    ctotal = nn.utils.clip_grad_norm_(cpu + [extra[1]], 1.0)
    close(total, ctotal, ember.float32)
    for g, c in zip(gpu + [extra[0]], cpu + [extra[1]]):
        close(g.grad, c.grad, g.dtype)


def test_clip_grad_norm_does_not_sync_and_nonfinite_raises():
    gpu = grads_on("cuda")
    ember.cuda.synchronize()
    ember.cuda.reset_transfer_stats()
    nn.utils.clip_grad_norm_(gpu, 0.5)
    nn.utils.clip_grad_norm_(gpu, 0.5, norm_type=math.inf)
    assert_no_host_traffic()
    gpu[0].grad = ember.tensor([float("nan")]).cuda()
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is non-finite"):
        nn.utils.clip_grad_norm_(gpu, 1.0, error_if_nonfinite=True)
    assert math.isnan(nn.utils.clip_grad_norm_(gpu, 1.0).item())


# ---- training on the GPU

def mlp(seed, device, widths=(2, 16, 16, 3)):
    ember.manual_seed(seed)
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1]).to(device)


def batch(device, n=100, seed=3):
    rng = np.random.default_rng(seed)
    x = ember.tensor(rng.standard_normal((n, 2)), dtype=ember.float32).to(device)
    y = ember.tensor(rng.integers(0, 3, n)).to(device)
    return x, y


def train_step(model, opt, x, y, clip=None):
    loss = nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    if clip is not None:
        nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    return loss


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_mlp_training_step_matches_cpu(opt_name):
    results = {}
    for device in ("cuda", "cpu"):
        model = mlp(0, device)
        opt = getattr(ember.optim, opt_name)(model.parameters(), lr=0.05)
        x, y = batch(device)
        losses = [train_step(model, opt, x, y, clip=1.0) for _ in range(3)]
        results[device] = (model, losses)
    (gm, gl), (cm, cl) = results["cuda"], results["cpu"]
    for g, c in zip(gl, cl):
        close(g, c, ember.float32)
    for (name, g), (_, c) in zip(gm.named_parameters(), cm.named_parameters()):
        np.testing.assert_allclose(host(g), host(c), rtol=1e-4, atol=1e-5, err_msg=name)
        np.testing.assert_allclose(host(g.grad), host(c.grad), rtol=1e-4, atol=1e-5, err_msg=name)


def test_training_step_has_no_sync_and_no_transfer():
    model = mlp(0, "cuda")
    opt = ember.optim.Adam(model.parameters(), lr=0.01)
    x, y = batch("cuda")
    for _ in range(3):  # warm-up: state and pool blocks exist
        train_step(model, opt, x, y, clip=1.0)
    ember.cuda.synchronize()
    ember.cuda.reset_transfer_stats()
    for _ in range(10):
        train_step(model, opt, x, y, clip=1.0)
    assert_no_host_traffic()


def test_device_resident_dataloader_moves_nothing_per_batch():
    x, y = batch("cuda", n=1000)
    loader = ember.data.DataLoader(ember.data.TensorDataset(x, y), batch_size=64, shuffle=True)
    ember.cuda.synchronize()
    ember.cuda.reset_transfer_stats()
    batches = list(loader)
    stats = ember.cuda.transfer_stats()
    assert stats["syncs"] == 0 and stats["bytes_to_host"] == 0
    assert stats["bytes_to_device"] == 1000 * 8  # the epoch's permutation, once
    assert all(b.device.type == "cuda" for xb_yb in batches for b in xb_yb)
    xs = ember.cat([b[0] for b in batches]).cpu().numpy()
    np.testing.assert_allclose(np.sort(xs[:, 0]), np.sort(host(x)[:, 0]))


def test_memory_reserved_is_flat_over_1000_steps():
    model = mlp(0, "cuda", widths=(2, 64, 64, 3))
    opt = ember.optim.Adam(model.parameters(), lr=0.01)
    x, y = batch("cuda", n=256)
    for _ in range(20):
        train_step(model, opt, x, y, clip=1.0)
    ember.cuda.synchronize()
    reserved, allocated = ember.cuda.memory_reserved(), ember.cuda.memory_allocated()
    for _ in range(gpu_steps(1000)):
        train_step(model, opt, x, y, clip=1.0)
    ember.cuda.synchronize()
    assert ember.cuda.memory_reserved() == reserved
    assert ember.cuda.memory_allocated() <= allocated


def test_ember_train_on_cuda_end_to_end(tmp_path, capsys):
    # The CPU run of test_cli.py, on the GPU: same seed, same initial weights, same batches.
    from ember import cli
    out = tmp_path / "run"
    assert cli.main(["train", "--device", "cuda", "--epochs", "40", "--seed", "1", "--log-every", "5",
                     "--out", str(out), "--no-progress"]) == 0
    done = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("done in")][0]
    assert float(done.split("train accuracy ")[1].split(",")[0]) >= 0.95
    assert (out / "model.safetensors").exists() and (out / "config.json").exists()
    assert len((out / "metrics.csv").read_text().splitlines()) == 41
    assert cli.main(["eval", "--checkpoint", str(out)]) == 0  # the checkpoint reloads on the CPU


def test_device_training_example_on_cuda():
    import os
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(Path(ember.__file__).resolve().parent.parent))
    proc = subprocess.run([sys.executable, str(root / "examples" / "train_on_device.py"), "--device", "cuda",
                           "--epochs", "20"], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert float(proc.stdout.split("train accuracy ")[1]) > 0.95
