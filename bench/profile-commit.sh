#!/usr/bin/env bash
# profile-commit.sh — where one commit's CPU goes (issue 16), from the
# runner's own commit child (virtsnap-bench --child-ops: create, redefine,
# set current, delete one, delete --children, each once, zstd store).
#
#   bench/profile-commit.sh [BUILD_DIR] [N]        (defaults: build, 16384)
#
# 1. callgrind, collecting only inside each API call (instructions, exact
#    attribution): inclusive share of tree copy, tree free, the write walk,
#    compression, the parse.
# 2. perf (on-CPU samples, 12 runs, dwarf call graphs): the same buckets in
#    time, where memory-bound work (copy, free) weighs more than in
#    instructions.  Samples whose stack cannot be unwound are counted as
#    "unresolved" when they fall between two samples inside a commit.
# Needs valgrind, perf and python3.  Work files go to a temporary directory.
set -euo pipefail

build=$(cd "${1:-build}" && pwd)
n=${2:-16384}
bench=$build/bench/virtsnap-bench
gen=$build/bench/virtsnap-bench-gen
work=$(mktemp -d "${TMPDIR:-/var/tmp}/profile-commit.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

"$gen" --out store --snapshots "$n" --compress >/dev/null
fresh() { rm -rf ops && mkdir ops && cp store/vm1.xml ops/; }

# Each API call collected on its own; --dump-after splits repeated calls
# (CreateXML: create, then redefine; Delete: one, then --children).
for fn in vsDomainCreateXML vsDomainSetCurrent vsDomainDelete; do
    fresh
    valgrind --tool=callgrind --callgrind-out-file="cg.$fn" --toggle-collect="$fn" \
        --dump-after="$fn" "$bench" --child-ops ops vm1 "$n" 0 1 >/dev/null 2>&1
done

python3 - "$n" <<'PY'
import re, subprocess, sys
n = sys.argv[1]
keys = [('vsTreeCopy', 'tree copy'), ('vsTreeFree', 'free old tree'),
        ('vsBulkFileWriteSince', 'write (runs+format+compress)'), ('ZSTD_compress2', 'compression'),
        ('vsSnapshotParse', 'parse'), ('vsTreeDelete', 'tree delete')]
print(f"callgrind, N={n}: share of the instructions of one call")
for f, label in [('cg.vsDomainCreateXML.1', 'create'), ('cg.vsDomainCreateXML.2', 'redefine'),
                 ('cg.vsDomainSetCurrent.1', 'set current'), ('cg.vsDomainDelete.1', 'delete one'),
                 ('cg.vsDomainDelete.2', 'delete --children')]:
    out = subprocess.run(['callgrind_annotate', '--inclusive=yes', '--threshold=100', f],
                         capture_output=True, text=True).stdout
    total, vals = None, {}
    for line in out.splitlines():
        m = re.match(r'\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)', line)
        if not m:
            continue
        count, name = int(m.group(1).replace(',', '')), m.group(2)
        if 'PROGRAM TOTALS' in name:
            total = count
            continue
        fn = re.sub(r"'.*", '', name.split(':')[-1].split(' ')[0])
        vals.setdefault(fn, count)
    shares = ', '.join(f'{lab} {100 * vals[k] / total:.0f}%' for k, lab in keys if k in vals)
    print(f'  {label}: {total / 1e6:.1f} M instructions; {shares}')
PY

rm -f ops.log
perf record -q -F 1999 --call-graph dwarf,16384 -o perf.data -- bash -c "
    for i in \$(seq 12); do
        rm -rf ops && mkdir ops && cp store/vm1.xml ops/
        '$bench' --child-ops ops vm1 $n 0 1 >> ops.log
    done" 2>/dev/null
perf script -i perf.data -F tid,time,ip,sym 2>/dev/null > perf.txt

python3 - "$n" <<'PY'
import collections, sys
api = ('vsDomainCreateXML', 'vsDomainSetCurrent', 'vsDomainDelete')
in_commit = api + ('domainCommit',)   # the API frame is lost on tail calls
buckets = [('ZSTD_', 'compression'), ('vsAtomicFile', 'atomic-file syscalls'),
           ('vsTreeCopy', 'tree copy'), ('vsTreeFree', 'free old tree'),
           ('vsBulkFileWrite', 'write walk+format'), ('vsSnapshotParse', 'parse'),
           ('vsTreeCheckCycles', 'cycle check'), ('vsTree', 'tree operation')]
samples, cur = [], None
for line in open('perf.txt'):
    if line[0] not in '\t ':
        if line.strip():
            p = line.split()
            cur = [int(p[0]), float(p[1].rstrip(':')), []]
            samples.append(cur)
        continue
    p = line.split(None, 1)
    if len(p) == 2:
        cur[2].append(p[1].strip())
by_pid = collections.defaultdict(list)
for s in samples:
    by_pid[s[0]].append(s)
per = collections.defaultdict(collections.Counter)
for ss in by_pid.values():
    ss.sort(key=lambda s: s[1])
    inside = [any(f.startswith(o) for f in s[2] for o in in_commit) for s in ss]
    label = None
    for i, s in enumerate(ss):
        label = next((o for f in s[2] for o in api if f.startswith(o)), label)
        if inside[i]:
            per[label][next((b for pre, b in buckets for f in s[2] if f.startswith(pre)),
                            'other')] += 1
        elif 0 < i < len(ss) - 1 and inside[i - 1] and inside[i + 1] \
                and ss[i + 1][1] - ss[i - 1][1] < 0.002:
            per[label]['unresolved (malloc/free)'] += 1
calls = {'vsDomainCreateXML': 24, 'vsDomainSetCurrent': 12, 'vsDomainDelete': 24}
print(f"perf, N={sys.argv[1]}: share of the on-CPU samples inside each API call (12 runs)")
for op, c in per.items():
    total = sum(c.values())
    shares = ', '.join(f'{k} {100 * v / total:.0f}%' for k, v in c.most_common())
    print(f'  {op}: {total / 1.999 / calls.get(op, 1):.1f} ms CPU per call; {shares}')
PY
echo "wall time per operation (s), 12 runs, sorted:"
awk '{print $2, $3}' ops.log | sort -k1,1 -k2,2n |
    awk '{a[$1] = a[$1] " " $2} END {for (k in a) print "  " k ":" a[k]}'
