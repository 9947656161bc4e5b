#!/usr/bin/env bash
# smoke.sh — build the libFuzzer harnesses in build-fuzz and run each one
# briefly on the seed corpus.  Prints one line per harness with its exec
# count; exits non-zero if a harness crashed (the input is kept under
# build-fuzz/fuzz-artifacts/ and the stack is in the log printed).
#
#   fuzz/smoke.sh                 20 s per harness (CI)
#   FUZZ_TIME=300 fuzz/smoke.sh   longer runs
set -uo pipefail
cd "$(dirname "$0")/.."
build=${FUZZ_BUILD:-build-fuzz}
time=${FUZZ_TIME:-20}
harnesses="snapshot checkpoint bulkfile bulkfile-zstd legacy ops pieces"

if ! command -v clang >/dev/null; then
    echo "smoke.sh: clang is not installed (apt-get install clang libclang-rt-14-dev)" >&2
    exit 1
fi
if [ ! -d "$build" ]; then
    CC=clang meson setup "$build" -Dfuzz=true -Dtests=false >/dev/null || exit 1
fi
ninja -C "$build" >/dev/null || { ninja -C "$build"; exit 1; }

corpus=$build/fuzz-corpus
fuzz/make-corpus.sh "$corpus" "$build/bench/virtsnap-bench-gen" >/dev/null || exit 1
mkdir -p "$build/fuzz-artifacts" "$build/fuzz-logs"

status=0
# Every kept reproducer first: a finding that comes back fails at once.
for f in fuzz/crashers/*; do
    h=
    for cand in $harnesses; do
        case ${f##*/} in "$cand"-*) h=$cand ;; esac   # longest prefix wins
    done
    [ -n "$h" ] || continue
    if ! "$build/fuzz/fuzz-$h" "$f" >"$build/fuzz-logs/replay.log" 2>&1; then
        status=1
        echo "fuzz-$h: reproducer $f FAILS again"
        grep -E -A20 '^==[0-9]+==ERROR|runtime error|deadly signal' "$build/fuzz-logs/replay.log" | head -30
    fi
done
for h in $harnesses; do
    work=$build/fuzz-work/$h       # grows across runs; seeds stay read-only
    log=$build/fuzz-logs/$h.log
    mkdir -p "$work"
    "$build/fuzz/fuzz-$h" -max_total_time="$time" -print_final_stats=1 \
        -timeout=25 -rss_limit_mb=2048 \
        -artifact_prefix="$build/fuzz-artifacts/$h-" "$work" "$corpus/$h" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    if [ $rc -eq 0 ]; then
        echo "fuzz-$h: ok, ${execs:-?} execs in ${time}s, $cov"
    else
        status=1
        echo "fuzz-$h: FAILED (exit $rc) after ${execs:-?} execs; log $log"
        grep -E -A40 '^==[0-9]+==ERROR|runtime error|deadly signal|^(our own|format is|bulk format|reload|conversion|converted|read-only|after |a record|.* refused)' "$log" | head -60
        ls -1 "$build"/fuzz-artifacts/"$h"-* 2>/dev/null
    fi
done
exit $status
