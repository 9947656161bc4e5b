#!/usr/bin/env bash
# libvirt-bridge.sh — bench row of issue 14: `virtsnap pull` and `virtsnap push` of N
# snapshots (default 1000) against a private libvirtd (tests/support/libvirtd-harness.sh),
# beside the shell loops managers write for the same job: one `virsh snapshot-dumpxml
# --security-info` per snapshot (pull), one `virsh snapshot-create --redefine` per snapshot
# in topological order (push).  Prints seconds and milliseconds per snapshot; asserts only
# that both ways end with the same tree.  Not a test (machine-dependent numbers).
#
#   bash bench/libvirt-bridge.sh BUILD_DIR [N]
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
support=$root/tests/support
HL_NAME=bench-libvirt-bridge
. "$support/harness-lib.sh"
. "$root/tests/cli/lib.sh"   # mksnap
build=$(cd "${1:?usage: libvirt-bridge.sh BUILD_DIR [N]}" && pwd)
N=${2:-1000}
VIRTSNAP=$build/tools/virtsnap
export VIRTSNAP_SCHEMA_DIR=$root/data/schemas

hl_init_user
work=$(mktemp -d /tmp/vs-bench-lv.XXXXXX) || exit 1
trap 'bash "$support/libvirtd-harness.sh" stop "$work/lvd"; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM HUP
chmod 755 "$work"
mkdir "$work/lvd" "$work/xml" "$work/dump" "$work/home" "$work/store"
uri=$(bash "$support/libvirtd-harness.sh" start "$work/lvd") || exit 1

as_user() { "${HL_AS[@]}" env -i PATH="$HL_PATH" HOME="$work/home" LC_ALL=C.UTF-8 "$@"; }
V() { as_user virsh -q -c "$uri" "$@"; }
VS() { as_user "$VIRTSNAP" -q --store "$work/store" -c "$uri" "$@"; }
secs() { echo "scale=3; ($2 - $1) / 1000000000" | bc; }
row() {   # row WHAT T0 T1
    local s
    s=$(secs "$2" "$3")
    printf '%-44s %8.2f s %8.2f ms/snapshot\n' "$1" "$s" "$(echo "$s * 1000 / $N" | bc -l)"
}
fresh() {   # the domain again, without snapshot metadata
    V undefine demo --snapshots-metadata >/dev/null && V define "$work/xml/demo-domain.xml" >/dev/null
}

# A random tree (parents first), the middle one current.
RANDOM=16
cp "$CLI_DATA/demo-domain.xml" "$work/xml/"
cmds="define $work/xml/demo-domain.xml"
for ((i = 0; i < N; i++)); do
    p=
    ((i > 0 && RANDOM % 10 != 0)) && p=s$((RANDOM % i))
    mksnap "s$i" "$p" $((1700000000 + i)) >"$work/xml/s$i.xml"
    cmds+="; snapshot-create demo $work/xml/s$i.xml --redefine"
done
cmds+="; snapshot-create demo $work/xml/s$((N / 2)).xml --redefine --current"
hl_own "$work/xml" "$work/dump" "$work/home" "$work/store"
chmod -R a+rX "$work/xml"
V "$cmds" >/dev/null || exit 1
reference=$(V snapshot-list demo --parent; V snapshot-current demo --name)

echo "libvirt $(virsh -v) via a private libvirtd (unix socket), $N snapshots, $(nproc) CPUs"
t0=$(date +%s%N); VS pull demo >/dev/null || exit 1; t1=$(date +%s%N)
row "virtsnap pull" "$t0" "$t1"

t0=$(date +%s%N)
as_user bash -c '
    set -e
    V() { virsh -q -c "$0" "$@"; }
    i=0
    V snapshot-list demo --topological --name | while IFS= read -r n; do
        [ -n "$n" ] || continue
        V snapshot-dumpxml demo "$n" --security-info >"$1/$i.xml"
        i=$((i + 1))
    done
    V snapshot-current demo --name >"$1/current"' "$uri" "$work/dump" || exit 1
t1=$(date +%s%N)
row "shell loop of virsh snapshot-dumpxml" "$t0" "$t1"

fresh
t0=$(date +%s%N); VS push demo >/dev/null || exit 1; t1=$(date +%s%N)
row "virtsnap push" "$t0" "$t1"
[ "$reference" = "$(V snapshot-list demo --parent; V snapshot-current demo --name)" ] ||
    { echo "push: the tree differs" >&2; exit 1; }

fresh
t0=$(date +%s%N)
as_user bash -c '
    set -e
    V() { virsh -q -c "$0" "$@"; }
    cur=$(cat "$1/current")
    for ((i = 0; ; i++)); do
        [ -f "$1/$i.xml" ] || break
        V snapshot-create demo "$1/$i.xml" --redefine >/dev/null
    done
    V snapshot-current demo "$cur" >/dev/null' "$uri" "$work/dump" || exit 1
t1=$(date +%s%N)
row "shell loop of virsh snapshot-create --redefine" "$t0" "$t1"
[ "$reference" = "$(V snapshot-list demo --parent; V snapshot-current demo --name)" ] ||
    { echo "virsh loop: the tree differs" >&2; exit 1; }
