"""The include layering of csrc (tools/check_layers.py): the real tree is clean, and the checker
catches each kind of upward include when one is planted."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKER = ROOT / "tools" / "check_layers.py"


def run_checker(csrc):
    return subprocess.run([sys.executable, str(CHECKER), str(csrc)], capture_output=True, text=True)


def test_csrc_includes_run_one_way():
    result = run_checker(ROOT / "csrc")
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("layer,target", [
    ("core", "autograd/node.h"),
    ("core", "kernels/functors.h"),
    ("kernels", "ops/ops.h"),
    ("kernels", "autograd/node.h"),
    ("autograd", "ops/loop_builder.h"),
    ("autograd", "kernels/functors.h"),
    ("ops", "bindings/bindings.h"),
])
def test_upward_include_is_reported(tmp_path, layer, target):
    (tmp_path / layer).mkdir()
    (tmp_path / layer / "planted.cpp").write_text(f'#include <vector>\n#include "{target}"\n')
    result = run_checker(tmp_path)
    assert result.returncode == 1
    assert f'{layer} may not include "{target}"' in result.stdout
    assert "planted.cpp:2" in result.stdout


@pytest.mark.parametrize("folder,target", [("kernels/cuda", "kernels/cpu/loops.h"),
                                           ("kernels", "kernels/cpu/loops.h"),
                                           ("kernels", "kernels/cuda/launch.cuh")])
def test_twins_share_only_kernels_headers(tmp_path, folder, target):
    (tmp_path / folder).mkdir(parents=True)
    (tmp_path / folder / "planted.h").write_text(f'#include "{target}"\n')
    result = run_checker(tmp_path)
    assert result.returncode == 1 and f'{folder} may not include "{target}"' in result.stdout


@pytest.mark.parametrize("layer,target", [
    ("autograd", "ops/ops.h"),
    ("kernels/cpu", "kernels/cpu/loops.h"),
    ("kernels/cuda", "kernels/cuda/launch.cuh"),
    ("ops", "autograd/inplace.h"),
    ("ops", "kernels/functors.h"),
    ("bindings", "ops/ops.h"),
    ("kernels", "core/tensor.h"),
])
def test_downward_include_is_allowed(tmp_path, layer, target):
    (tmp_path / layer).mkdir(parents=True)
    (tmp_path / layer / "fine.cpp").write_text(f'#include "{target}"\n')
    assert run_checker(tmp_path).returncode == 0
