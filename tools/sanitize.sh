#!/usr/bin/env bash
# Builds ember's extension with a sanitizer, in a build folder of its own, and runs pytest on it.
#
#   tools/sanitize.sh asan                               # ASan+UBSan over the whole suite
#   tools/sanitize.sh asan core                          # the core test files (what CI runs)
#   tools/sanitize.sh tsan tests/test_threads.py         # ThreadSanitizer on the thread tests
#   tools/sanitize.sh tsan tests/test_threads.py -k hook # any further pytest arguments
#
# Modes: asan (-fsanitize=address,undefined,float-cast-overflow: out-of-bounds and use-after-free, plus undefined
# behaviour such as signed overflow, misaligned loads, bad shifts and enum values) and tsan
# (-fsanitize=thread: data races and lock-order inversions). A new mode is one more case below:
# its -fsanitize value, its runtime library and its options. `core` stands for the test files of
# CORE_TESTS below: the engine, every op family, views and in-place writes, serialization.
#
# What it does:
# - builds the extension with -DEMBER_SANITIZE=<flag> into build-<mode>/ with an importable package
#   beside it (tools/build_variant.sh), never over the development build in python/ember;
# - runs pytest with the sanitizer's runtime in LD_PRELOAD. Why: the Python interpreter is not
#   built with the sanitizer. The runtime must be loaded before anything else to intercept
#   pthread_create, mutexes and malloc from the process's start; a sanitized module dlopen'ed into
#   an uninstrumented python otherwise fails to load ("cannot allocate memory in static TLS
#   block") or misses the threads and locks made before it came in. CPython's own memory accesses
#   stay invisible (not instrumented), but its GIL is a pthread mutex and condition variable, so
#   TSan does see the happens-before edges that taking and dropping the GIL make.
# The exit status is pytest's, or the sanitizer's (TSan: 66) when it reported anything; in asan
# mode the reports go to files (every process of the run, subprocesses included) that are printed
# at the end, and any report fails the run.
# Known, explained false positives are suppressed in tools/<mode>.supp (each entry says why).
set -euo pipefail

mode=${1:?"usage: tools/sanitize.sh MODE [core] [pytest args...]   (MODE: asan, tsan)"}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
cxx=${CXX:-g++}
build=$root/build-$mode
reports=$build/reports

# The core files: the native engine's paths a user reaches first. About four minutes under ASan on
# two cores (the whole suite takes about half an hour).
CORE_TESTS=(tests/test_autograd_engine.py tests/test_ops.py tests/test_elementwise.py tests/test_matmul.py
            tests/test_reduce.py tests/test_softmax_loss.py tests/test_fused_linear.py tests/test_indexing.py
            tests/test_inplace.py tests/test_inplace_views.py tests/test_mem_overlap.py
            tests/test_nan_semantics.py tests/test_overflow.py tests/test_int_wraparound.py
            tests/test_stride0_reduce.py tests/test_checkpoint.py tests/test_checkpoint_errors.py
            tests/test_checkpoint_fuzz.py tests/test_fuzz_ops.py)
if [ "${1:-}" = core ]; then
  shift
  set -- "${CORE_TESTS[@]}" "$@"
fi

case $mode in
  asan)
    # float-cast-overflow is not part of "undefined": a float out of an integer's range converted to
    # it (Note [Float to integer conversion], kernels/functors.h).
    flag=address,undefined,float-cast-overflow
    # ASan's runtime first; the module itself links libubsan, which loads as a normal dependency.
    # libstdc++ right after it: ASan wraps __cxa_throw when it starts, and python does not link the
    # C++ runtime, so without it there ASan finds nothing to wrap and aborts at the first C++
    # exception ("CHECK failed: ... real___cxa_throw").
    runtime=$("$cxx" -print-file-name=libasan.so)
    preload_also=$("$cxx" -print-file-name=libstdc++.so)
    # detect_leaks=0: CPython frees little at exit by design (interned strings, module state), so
    # LeakSanitizer would report thousands of leaks that are not ember's.
    # allocator_may_return_null=1: a request too big for any machine returns null, as malloc does,
    # so the tests of ember's (and torch's) out-of-memory errors see the error they check for.
    # log_path: each process writes its reports to a file of its own, read back below.
    rm -rf "$reports" && mkdir -p "$reports"
    export ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:log_path=$reports/asan:${ASAN_OPTIONS:-}"
    export UBSAN_OPTIONS="print_stacktrace=1:log_path=$reports/ubsan:${UBSAN_OPTIONS:-}"
    # Python objects through malloc, not CPython's arenas, so ASan sees overruns into them too.
    export PYTHONMALLOC=malloc
    ;;
  tsan)
    flag=thread
    runtime=$("$cxx" -print-file-name=libtsan.so)
    # history_size: longer access histories, so both stacks of a race are shown.
    export TSAN_OPTIONS="suppressions=$root/tools/tsan.supp history_size=4 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
    ;;
  *)
    echo "tools/sanitize.sh: unknown mode '$mode' (known: asan, tsan)" >&2
    exit 2
    ;;
esac
preload="$runtime${preload_also:+ $preload_also}"
[ -f "$runtime" ] || { echo "tools/sanitize.sh: $runtime not found (install the compiler's sanitizer runtime)" >&2; exit 2; }

# RelWithDebInfo: pybind11 strips a Release module (reports would name no function) and links it
# with LTO (slow); CMakeLists.txt compiles a sanitized build at -O1.
pkg=$("$root/tools/build_variant.sh" "$mode" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMBER_CUDA=OFF -DEMBER_SANITIZE="$flag")

# The interpreter itself, not a wrapper: `python` may be a shell script (a pyenv shim), and bash
# does not start with the TSan runtime preloaded (it crashes at start-up).
py=$(python -c 'import sys; print(sys.executable)')
cd "$root"
echo "tools/sanitize.sh: running pytest under $mode ($runtime)" >&2
# --capture=sys: pytest leaves file descriptor 2 alone, so reports made during a passing test
# reach the terminal instead of being captured and dropped with the test's output.
status=0
PYTHONPATH="$pkg" LD_PRELOAD="$preload" "$py" -m pytest -p no:cacheprovider --capture=sys "$@" || status=$?
# A report is an error (ASan's "ERROR:", UBSan's "runtime error:"); the runtimes' warnings (a
# failed huge allocation, say) are printed but do not fail the run.
if [ -d "$reports" ] && [ -n "$(ls -A "$reports")" ]; then
  echo "tools/sanitize.sh: what $mode wrote (files in $reports):" >&2
  cat "$reports"/* >&2
  if grep -lqE 'ERROR: |runtime error:' "$reports"/*; then
    [ "$status" -ne 0 ] || status=1
  fi
fi
exit $status
