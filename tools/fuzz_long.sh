#!/usr/bin/env bash
# Runs ember's fuzzers in their long mode for a fixed time: the op fuzzer against PyTorch
# (tests/test_fuzz_ops.py) and the checkpoint fuzzer (tests/test_checkpoint_fuzz.py), one after
# the other, again and again, with fresh random cases each round, until SECONDS have passed.
#
#   tools/fuzz_long.sh 3600                 # one hour; a log and a summary in fuzz-long/
#   tools/fuzz_long.sh 600 -x               # further arguments go to pytest
#
# It runs a frozen copy of python/ember (fuzz-long/python), so rebuilding the extension while it
# runs cannot pull the module from under it. Failures land in hypothesis' example database
# (.hypothesis/) and in the log with their @reproduce_failure line; the exit status is 1 when any
# round failed. The summary counts rounds, cases (hypothesis' own tally of passing and failing
# examples, from --hypothesis-show-statistics) and time.
set -uo pipefail

budget=${1:?"usage: tools/fuzz_long.sh SECONDS [pytest args...]"}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/fuzz-long
mkdir -p "$out/python"
rm -rf "$out/python/ember"
(cd "$root/python" && tar cf - --exclude=__pycache__ ember) | (cd "$out/python" && tar xf -)
log=$out/log.txt
: >"$log"

start=$(date +%s)
# The commit the frozen copy was taken from (the tree may move on while the rounds run).
commit="$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- python csrc || echo '+changes')"
rounds=0
failed=0
cd "$root"
while (( $(date +%s) - start < budget )); do
  for file in tests/test_fuzz_ops.py tests/test_checkpoint_fuzz.py; do
    rounds=$((rounds + 1))
    echo "=== round $rounds: $file ($(date -u +%H:%M:%S))" >>"$log"
    if ! PYTHONPATH="$out/python" EMBER_FUZZ_LONG=1 python -m pytest -p no:cacheprovider \
        --hypothesis-show-statistics "$file" "$@" >>"$log" 2>&1; then
      failed=$((failed + 1))
      echo "=== round $rounds FAILED" >>"$log"
    fi
    (( $(date +%s) - start < budget )) || break
  done
done

# hypothesis prints "- N passing examples, M failing examples, K invalid examples" per test.
cases=$(grep -Eo '[0-9]+ passing examples, [0-9]+ failing' "$log" | awk '{p += $1; f += $4} END {print p + f}')
failing=$(grep -Eo '[0-9]+ failing examples' "$log" | awk '{f += $1} END {print f + 0}')
{
  echo "fuzz_long: $rounds rounds in $(( $(date +%s) - start )) s, ${cases:-0} cases, $failing failing, $failed failed rounds"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "commit: $commit (the package fuzzed was copied at the start)"
} | tee "$out/summary.txt"
[ "$failed" -eq 0 ]
