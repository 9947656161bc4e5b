#!/bin/bash
# pg-bench.sh — the PostgreSQL store beside the directory store (issue 15):
# load and one commit of one VM at 1,000 and 16,384 snapshots (zstd, chain
# of ~9.9 KB records, virtsnap-bench-gen), and copy-store of 100 VMs (100
# snapshots each) directory -> database and back.  Uses the test suite's
# private PostgreSQL 15 (tests/support/pg-harness.sh: unix socket, fsync on).
# Prints one markdown table.  Usage: bench/pg-bench.sh BUILDDIR [REPEAT]
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: pg-bench.sh BUILDDIR [REPEAT]}" && pwd)
repeat=${2:-5}
V=$build/tools/virtsnap
gen=$build/bench/virtsnap-bench-gen
timer=$build/bench/virtsnap-bench-store-time

work=$(mktemp -d "${TMPDIR:-/var/tmp}/vs-pgbench.XXXXXX") && chmod 755 "$work"
mkdir "$work/pg"
trap 'bash "$src/tests/support/pg-harness.sh" stop "$work/pg"; rm -rf "$work"' EXIT
db=$(bash "$src/tests/support/pg-harness.sh" start "$work/pg")
cd "$work"

ms() { echo "$(( ($(date +%s%N) - $1) / 1000000 ))"; }

echo "| case | store | load (ms) | one commit (ms) |"
echo "|---|---|---|---|"
for n in 1000 16384; do
    rm -rf "dir-$n"
    "$gen" -q --compress --snapshots "$n" --out "dir-$n" >/dev/null
    psql "$db" -X -q -c "SET client_min_messages = warning" \
        -c "DROP SCHEMA IF EXISTS virtsnap CASCADE" >/dev/null
    "$V" -q copy-store "dir-$n" "$db" >/dev/null
    read -r dl dc < <("$timer" "$PWD/dir-$n" vm1 "$repeat")
    read -r pl pc < <("$timer" "$db" vm1 "$repeat")
    echo "| chain-$n zstd | directory | $dl | $dc |"
    echo "| chain-$n zstd | postgresql | $pl | $pc |"
done

# 100 VMs of 100 snapshots each.
rm -rf many && mkdir many
for i in $(seq 1 100); do
    "$gen" -q --compress --snapshots 100 --vm "vm$i" --out many >/dev/null
done
psql "$db" -X -q -c "SET client_min_messages = warning" \
    -c "DROP SCHEMA IF EXISTS virtsnap CASCADE" >/dev/null
echo
echo "| copy-store, 100 VMs × 100 snapshots | ms |"
echo "|---|---|"
t=$(date +%s%N); "$V" -q copy-store many "$db" >/dev/null; echo "| directory -> postgresql | $(ms "$t") |"
t=$(date +%s%N); "$V" -q copy-store many "$db" >/dev/null; echo "| again (all identical, nothing written) | $(ms "$t") |"
t=$(date +%s%N); "$V" -q copy-store "$db" back >/dev/null; echo "| postgresql -> directory | $(ms "$t") |"
diff -r --exclude=.virtsnap many back >/dev/null && echo "(round trip byte-identical)"
