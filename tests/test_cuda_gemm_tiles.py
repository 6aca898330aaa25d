"""Float32 GEMM tiles chosen by shape (Note [GEMM tiles by shape], kernels/cuda/gemm_tiles.cu): the
MLP step launches the small tiles that fill the SMs, and whichever tile runs, every result (forward,
and the transposed products of the backward pass) has the same bits. The per-kernel checks across
transposes, panels and epilogues are in tools/cuda_emu/test_gemm.cpp."""
import os
import subprocess
import sys

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember import _C

pytestmark = pytest.mark.gpu

TILES = ["128x128", "64x64", "32x32", "16x16", "64x16"]


def _mlp_step_results():
    ember.manual_seed(3)
    model = nn.Sequential(nn.Linear(50, 70), nn.ReLU(), nn.Linear(70, 10)).cuda()
    x = ember.randn(37, 50).cuda()
    y = ember.randint(0, 10, (37,)).cuda()
    out = model(x)
    nn.functional.cross_entropy(out, y).backward()
    return [out.detach().cpu().numpy()] + [p.grad.cpu().numpy() for p in model.parameters()]


def test_every_tile_gives_the_same_bits():
    try:
        results = {}
        for tile in TILES:
            _C._cuda_force_gemm_tile(tile)
            results[tile] = _mlp_step_results()
    finally:
        _C._cuda_force_gemm_tile("auto")
    for tile in TILES[1:]:
        for got, want in zip(results[tile], results[TILES[0]]):
            assert got.tobytes() == want.tobytes(), tile
    assert np.abs(results[TILES[0]][1]).sum() > 0  # the gradients are not all zero


def test_an_unknown_tile_is_refused_by_name():
    with pytest.raises(ValueError, match=r"\[gemm\] unknown tile '8x8'; known: auto, 128x128"):
        _C._cuda_force_gemm_tile("8x8")


def test_the_rule_fills_the_sms_at_mlp_shapes():
    assert _C._cuda_gemm_tile_rule(4096, 4096, 1, 132) == "128x128"
    assert _C._cuda_gemm_tile_rule(128, 128, 1, 132) == "16x16"  # one 128 x 128 block otherwise
    assert _C._cuda_gemm_tile_rule(128, 128, 1, 16) == "32x32"  # a smaller GPU fills sooner
    assert _C._cuda_gemm_tile_rule(128, 10, 1, 132) == "16x16"
    assert _C._cuda_gemm_tile_rule(60000, 10, 1, 132) == "64x16"


@pytest.mark.skipif(not ember.cuda.is_emulated(), reason="reads the emulated device's launch log")
def test_the_mlp_step_launches_the_small_tiles():
    # The 784-128-10 step of `ember bench` (batch 128) on the emulated device's 132 SMs.
    code = ("import ember; from ember.bench.cuda_counters import build, step; "
            "m, o, x, y = build((784, 128, 10), 128, 'SGD'); step(m, o, x, y); ember.cuda.synchronize()")
    env = dict(os.environ, EMBER_CUDA_LOG_LAUNCHES="1",
               PYTHONPATH=os.path.dirname(os.path.dirname(ember.__file__)))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    gemms = [line.split(": ")[1] for line in proc.stderr.splitlines() if "gemm" in line]
    assert gemms and "sgemm" not in gemms, gemms  # no 128 x 128 launch
    assert set(gemms) <= {"sgemm_16x16", "sgemm_32x32", "sgemm_64x64", "sgemm_64x16"}, gemms
