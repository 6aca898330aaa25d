#!/usr/bin/env bash
# The GPU validation a session runs first when it is lent a GPU (README, "On a GPU"): build ember
# for the GPU that is there, run every `gpu` test, then the GPU benchmarks against PyTorch (SGEMM,
# MLP steps, GEMM tiles at MLP shapes), and write everything to bench/results/gpu-<date>.md with the
# device, driver and versions named.
#
#     bash bench/gpu_validate.sh [results-file]      # from the repository root; about 5 minutes
#
# It builds with plain CMake into build-gpu/ (the extension lands in python/ember, as in the
# development build), for the GPU's own architecture only, so the build takes a minute or two.
# It needs nvcc, cmake, ninja, pybind11, pytest and PyTorch with CUDA: the lent machines have all.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
day=$(date +%F)
out=${1:-bench/results/gpu-$day.md}
log_dir=${LOG_DIR:-/tmp}

arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' .')
cmake -S . -B build-gpu -G Ninja -DEMBER_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="${arch}-real" \
      -DPython_EXECUTABLE="$(command -v "$PY")" > "$log_dir/gpu-cmake.log" 2>&1 || { cat "$log_dir/gpu-cmake.log"; exit 1; }
build_start=$(date +%s)
ninja -C build-gpu > "$log_dir/gpu-build.log" 2>&1 || { tail -50 "$log_dir/gpu-build.log"; exit 1; }
build_s=$(( $(date +%s) - build_start ))

export PYTHONPATH=$PWD/python
# The distributed gpu tests (tests/test_distributed_nccl.py) need mpi4py and the mpich wheel, and
# an NCCL. The lent machines have no network: carry the wheels as wheels/ (pip download -d wheels
# mpi4py mpich), and use the libnccl.so.2 of PyTorch's CUDA wheels (ember loads it at run time).
if [ -d wheels ]; then $PY -m pip install -q --no-index --find-links wheels mpi4py mpich > "$log_dir/gpu-wheels.log" 2>&1; fi
nccl=$($PY -c "import os, nvidia.nccl as n; print(os.path.join(list(n.__path__)[0], 'lib', 'libnccl.so.2'))" 2>/dev/null) \
  && [ -f "$nccl" ] && export EMBER_NCCL_LIBRARY=$nccl
# pyproject adds -q; a second -q would hide the pass count.
EMBER_REQUIRE_GPU=1 $PY -m pytest -m gpu -p no:cacheprovider tests > "$log_dir/gpu-tests.log" 2>&1
tests_rc=$?
$PY bench/gpu_gemm.py --out "$log_dir/gpu-gemm.md" > "$log_dir/gpu-gemm.log" 2>&1
$PY bench/gpu_mlp.py --out "$log_dir/gpu-mlp.md" > "$log_dir/gpu-mlp.log" 2>&1
$PY bench/gpu_gemm_tiles.py --out "$log_dir/gpu-gemm-tiles.md" > "$log_dir/gpu-gemm-tiles.log" 2>&1

{
  echo "# ember on a GPU, $day"
  echo
  echo "Written by \`bash bench/gpu_validate.sh\`."
  echo
  echo '```'
  nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv
  nvcc --version | tail -2
  $PY -c "import torch, platform; print('python', platform.python_version(), '| torch', torch.__version__, '| torch CUDA', torch.version.cuda)"
  echo "ember built for sm_${arch} in ${build_s} s"
  echo '```'
  echo
  echo "## \`EMBER_REQUIRE_GPU=1 python -m pytest -m gpu\` (exit status $tests_rc)"
  echo
  echo '```'
  grep -E "^(FAILED|ERROR)|passed|failed|error" "$log_dir/gpu-tests.log" | tail -40
  echo '```'
  echo
  echo "## SGEMM (bench/gpu_gemm.py)"
  echo
  if [ -s "$log_dir/gpu-gemm.md" ]; then cat "$log_dir/gpu-gemm.md"; else echo '```'; tail -30 "$log_dir/gpu-gemm.log"; echo '```'; fi
  echo
  echo "## MLP steps, softmax-CE and Adam (bench/gpu_mlp.py)"
  echo
  if [ -s "$log_dir/gpu-mlp.md" ]; then cat "$log_dir/gpu-mlp.md"; else echo '```'; tail -30 "$log_dir/gpu-mlp.log"; echo '```'; fi
  echo
  echo "## Float32 GEMM tiles at MLP shapes (bench/gpu_gemm_tiles.py)"
  echo
  if [ -s "$log_dir/gpu-gemm-tiles.md" ]; then cat "$log_dir/gpu-gemm-tiles.md"; else echo '```'; tail -30 "$log_dir/gpu-gemm-tiles.log"; echo '```'; fi
} > "$out"
echo "wrote $out (gpu tests exit status $tests_rc)"
exit $tests_rc
