#!/usr/bin/env bash
# Builds ember's extension with extra CMake options in a build folder of its own, and lays out an
# importable package beside it, never touching the development build in python/ember:
#
#   pkg=$(tools/build_variant.sh NAME [cmake options...])   # then PYTHONPATH=$pkg python ...
#
# - configures build-NAME/ with the options (ccache if present) and builds _C into build-NAME/lib;
# - copies python/ember (without its _C) to build-NAME/python/ember and links that _C into it;
# - prints build-NAME/python, the folder to put on PYTHONPATH. Build output goes to stderr.
# Used by tools/sanitize.sh (build-asan, build-tsan) and tools/emulated_gpu_tests.sh (build-cuda-emu).
set -euo pipefail

name=${1:?"usage: tools/build_variant.sh NAME [cmake options...]"}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-$name
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$root" -B "$build" -G Ninja -DEMBER_OUTPUT_DIR="$build/lib" "${launcher[@]}" "$@" >&2
ninja -C "$build" -j"${JOBS:-2}" >&2

pkg=$build/python
rm -rf "$pkg/ember"
mkdir -p "$pkg"
(cd "$root/python" && tar cf - --exclude='_C*.so' --exclude=__pycache__ ember) | (cd "$pkg" && tar xf -)
ln -s "$build"/lib/_C*.so "$pkg/ember/"
echo "$pkg"
