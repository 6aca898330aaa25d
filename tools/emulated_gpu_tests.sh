#!/usr/bin/env bash
# Runs the gpu-marked tests on the emulated CUDA device: the extension built with EMBER_CUDA=EMU
# (Note [The emulated device], tools/cuda_emu/device.cpp), where ember.cuda.is_available() is
# True and every CUDA kernel and runtime call of ember runs on the CPU.
#
#   tools/emulated_gpu_tests.sh                         # every gpu-marked test (what CI runs)
#   tools/emulated_gpu_tests.sh tests/test_cuda_gpu.py -k adam   # further arguments go to pytest
#
# The build goes to build-cuda-emu/ (tools/build_variant.sh), never over python/ember. With
# EMBER_REQUIRE_GPU=1 a test that finds no device fails instead of skipping.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pkg=$("$root/tools/build_variant.sh" cuda-emu -DEMBER_CUDA=EMU)
cd "$root"
EMBER_REQUIRE_GPU=1 PYTHONPATH="$pkg" python -m pytest -p no:cacheprovider -m gpu "$@"
