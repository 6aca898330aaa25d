#!/usr/bin/env bash
# Builds ember's extension with a sanitizer, in a build folder of its own, and runs pytest on it.
#
#   tools/sanitize.sh tsan tests/test_threads.py        # ThreadSanitizer on the thread tests
#   tools/sanitize.sh tsan tests/test_threads.py -k hook  # any further pytest arguments
#
# Modes: tsan (-fsanitize=thread). A new mode (asan, ubsan) is one more case below: its
# -fsanitize value, its runtime library and its options.
#
# What it does:
# - configures build-<mode>/ with -DEMBER_SANITIZE=<flag> and builds _C there (ccache if present);
#   the module goes to build-<mode>/lib, never over the development build in python/ember;
# - copies python/ember (without its _C) to build-<mode>/python/ember and links the sanitized _C
#   into it, so `import ember` from PYTHONPATH=build-<mode>/python gets the sanitized build;
# - runs pytest with the sanitizer's runtime in LD_PRELOAD. Why: the Python interpreter is not
#   built with the sanitizer. The runtime must be loaded before anything else to intercept
#   pthread_create, mutexes and malloc from the process's start; a sanitized module dlopen'ed into
#   an uninstrumented python otherwise fails to load ("cannot allocate memory in static TLS
#   block") or misses the threads and locks made before it came in. CPython's own memory accesses
#   stay invisible (not instrumented), but its GIL is a pthread mutex and condition variable, so
#   TSan does see the happens-before edges that taking and dropping the GIL make.
# The exit status is pytest's, or the sanitizer's (TSan: 66) when it reported anything.
# Known, explained false positives are suppressed in tools/<mode>.supp (each entry says why).
set -euo pipefail

mode=${1:?"usage: tools/sanitize.sh MODE [pytest args...]   (MODE: tsan)"}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
cxx=${CXX:-g++}

case $mode in
  tsan)
    flag=thread
    runtime=$("$cxx" -print-file-name=libtsan.so)
    # history_size: longer access histories, so both stacks of a race are shown.
    export TSAN_OPTIONS="suppressions=$root/tools/tsan.supp history_size=4 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
    ;;
  *)
    echo "tools/sanitize.sh: unknown mode '$mode' (known: tsan)" >&2
    exit 2
    ;;
esac
[ -f "$runtime" ] || { echo "tools/sanitize.sh: $runtime not found (install the compiler's sanitizer runtime)" >&2; exit 2; }

build=$root/build-$mode
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# RelWithDebInfo: pybind11 strips a Release module (reports would name no function) and links it
# with LTO (slow); ember's own -O3 still applies.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMBER_CUDA=OFF -DEMBER_SANITIZE="$flag" \
  -DEMBER_OUTPUT_DIR="$build/lib" "${launcher[@]}" >/dev/null
ninja -C "$build" -j"${JOBS:-2}"

pkg=$build/python
rm -rf "$pkg/ember"
mkdir -p "$pkg"
(cd "$root/python" && tar cf - --exclude='_C*.so' --exclude=__pycache__ ember) | (cd "$pkg" && tar xf -)
ln -s "$build"/lib/_C*.so "$pkg/ember/"

# The interpreter itself, not a wrapper: `python` may be a shell script (a pyenv shim), and bash
# does not start with the TSan runtime preloaded (it crashes at start-up).
py=$(python -c 'import sys; print(sys.executable)')
cd "$root"
echo "tools/sanitize.sh: running pytest under $mode ($runtime)" >&2
# --capture=sys: pytest leaves file descriptor 2 alone, so reports made during a passing test
# reach the terminal instead of being captured and dropped with the test's output.
PYTHONPATH="$pkg" LD_PRELOAD="$runtime" "$py" -m pytest -p no:cacheprovider --capture=sys "$@"
