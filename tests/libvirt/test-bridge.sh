#!/usr/bin/env bash
# test-bridge.sh — virtsnap pull / push / diff against real libvirt (TAP, meson suite
# "components"; issue 14): libvirt's in-process qemu driver (qemu:///embed?root=DIR) and a
# private libvirtd (tests/support/libvirtd-harness.sh).  No mocks: every check reads
# libvirt back through virsh.
#
#   VIRTSNAP       the virtsnap binary
#   VS_LIBVIRT     "1" when virtsnap was built with libvirt (else the test skips)
#   VS_BRIDGE_N    snapshots in the random tree (default 200)
#   VS_BRIDGE_SEED its seed (default 14)
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
support=$(cd "$here/../support" && pwd)
HL_NAME=test-libvirt-bridge
. "$support/harness-lib.sh"
. "$support/tap.sh"
CLI_TESTS=$(cd "$here/../cli" && pwd)
. "$CLI_TESTS/lib.sh"   # mksnap: redefinable snapshot XML of VM "demo"
harness=$support/libvirtd-harness.sh

[ "${VS_LIBVIRT:-0}" = 1 ] || tap_skip_all "virtsnap was built without libvirt (meson -Dlibvirt)"
command -v virsh >/dev/null ||
    tap_skip_all "virsh is missing: install Debian's libvirt-clients (./dev deps)"
ls /usr/lib/*/libvirt/connection-driver/libvirt_driver_qemu.so >/dev/null 2>&1 ||
    tap_skip_all "libvirt's qemu driver is missing: install libvirt-daemon-driver-qemu (./dev deps)"

N=${VS_BRIDGE_N:-200}
RANDOM=${VS_BRIDGE_SEED:-14}
hl_init_user
work=$(mktemp -d "${TMPDIR:-/tmp}/vs-bridge.XXXXXX") || exit 1
lvd=$work/lvd
cleanup() {
    bash "$harness" stop "$lvd" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
mkdir "$work/xml" "$work/home" "$work/store" "$work/A" "$work/B" "$work/C" "$lvd"
chmod 755 "$work"
cp "$CLI_DATA/demo-domain.xml" "$work/xml/"
sed -e 's/<name>demo</<name>clone</' \
    -e 's/<uuid>[^<]*</<uuid>11111111-2222-3333-4444-555555555555</' \
    "$CLI_DATA/demo-domain.xml" >"$work/xml/clone-domain.xml"
sed -e 's/<uuid>[^<]*</<uuid>99999999-2222-3333-4444-555555555555</' \
    "$CLI_DATA/demo-domain.xml" >"$work/xml/other-demo.xml"

# Everything runs as the unprivileged user when root: the embedded driver would otherwise
# want libvirt's system accounts.
as_user() {
    "${HL_AS[@]}" env -i PATH="$HL_PATH" HOME="$work/home" LC_ALL=C.UTF-8 "$@"
}
embed() {   # embed NAME: the URI of an in-process driver rooted in $work/NAME
    echo "qemu:///embed?root=$work/$1"
}
V() {   # V URI ARGS...
    local u=$1
    shift
    as_user virsh -q -c "$u" "$@" 2>&1 | grep -v ': warning : \|: info : '
    return "${PIPESTATUS[0]}"
}
define_in() {   # define_in URI FILE: a root's first define probes qemu, which a loaded
    local i          # machine has once been seen to fail: up to 3 tries
    for i in 1 2 3; do
        V "$1" define "$2" >/dev/null && return 0
        sleep 1
    done
    return 1
}
VS() {   # VS URI ARGS...
    local u=$1
    shift
    as_user "$VIRTSNAP" -q --store "$work/store" -c "$u" "$@"
}

# --- a random tree: odd names, equal creation times, several roots, a current -----------
names=()
parents=()
gen_tree() {
    local i parent name t cmds=""
    cd "$work/xml" || return 1
    for ((i = 0; i < N; i++)); do
        case $((i % 6)) in
        0) name="s$i" ;;
        1) name="snap shot $i" ;;
        2) name="é-ü $i" ;;
        3) name="a&b<$i>" ;;
        4) name="q\"$i\"" ;;
        5) name="#$i%x" ;;
        esac
        parent=
        if ((i > 0 && RANDOM % 12 != 0)); then
            parent=${names[RANDOM % i]}
        fi
        t=$((1700000000 + i / 4))   # four at a time share a creation time
        names+=("$name")
        parents+=("$parent")
        mksnap "$name" "$parent" "$t" desc="tree $i" >"f$i.xml"
        cmds+="; snapshot-create demo f$i.xml --redefine"
    done
    cmds+="; snapshot-create demo f$((N / 2)).xml --redefine --current"
    hl_own "$work/xml" "$work/home" "$work/store" "$work/A" "$work/B" "$work/C"
    define_in "$(embed A)" "$work/xml/demo-domain.xml" || return 1
    chmod -R a+rX "$work/xml"
    V "$(embed A)" "${cmds#; }" >/dev/null
}

# Everything libvirt shows of domain demo's snapshots, one block per snapshot.
lv_state() {   # lv_state URI [DOMAIN]
    local u=$1 d=${2:-demo} cmds="" n
    V "$u" snapshot-list "$d" --parent
    echo "current: $(V "$u" snapshot-current "$d" --name)"
    while IFS= read -r n; do
        [ -n "$n" ] && cmds+="snapshot-dumpxml $d '$n' --security-info; "
    done < <(V "$u" snapshot-list "$d" --name)
    [ -z "$cmds" ] || V "$u" "$cmds"
}

# Not in a subshell: names[] and parents[] are used below.
if gen_tree >"$work/gen.out" 2>&1; then
    tap_ok "a random tree of $N snapshots in libvirt A (qemu:///embed)"
else
    tap_fail "a random tree of $N snapshots in libvirt A (qemu:///embed)" "$(cat "$work/gen.out")"
fi
check_eq "A has them all" "$N" "$(V "$(embed A)" snapshot-list demo --name | grep -c .)"
stateA=$(lv_state "$(embed A)")

# --- pull, diff ------------------------------------------------------------------------------
check "pull demo from A" VS "$(embed A)" pull demo
check_eq "the store holds $N snapshots" "$N" \
    "$(as_user "$VIRTSNAP" -q --store "$work/store" snapshot-list demo --name | grep -c .)"
VS "$(embed A)" diff demo >/dev/null
check_eq "diff store vs A: equal (exit 0)" 0 $?
out=$(VS "$(embed A)" pull demo)
check_eq "a second pull changes nothing" \
    "Domain 'demo': the store already holds libvirt's snapshots" "$out"

# --- push to a fresh B -----------------------------------------------------------------------
define_in "$(embed B)" "$work/xml/demo-domain.xml"
out=$(VS "$(embed B)" diff demo)
check_eq "diff store vs empty B: differs (exit 1)" "1 $N" "$? $(grep -c "only in store" <<<"$out")"
out=$(VS "$(embed B)" push demo --dry-run)
check_eq "push --dry-run says what it would do" \
    "Would push domain 'demo': $N created, 0 replaced, 0 skipped (identical), 0 kept (only in libvirt)" \
    "$out"
check_eq "  ... and does nothing" "" "$(V "$(embed B)" snapshot-list demo --name)"
out=$(VS "$(embed B)" push demo)
check_eq "push to B creates all $N" \
    "Pushed domain 'demo': $N created, 0 replaced, 0 skipped (identical), 0 kept (only in libvirt)" \
    "$out"
check_eq "B: snapshot-list --parent, current and every dumpxml --security-info equal A's" \
    "$stateA" "$(lv_state "$(embed B)")"
VS "$(embed B)" diff demo >/dev/null
check_eq "diff store vs B: equal" 0 $?
out=$(VS "$(embed B)" push demo)
check_eq "re-push is a no-op" \
    "Pushed domain 'demo': 0 created, 0 replaced, $N skipped (identical), 0 kept (only in libvirt)" \
    "$out"
as_user env LIBVIRT_DEFAULT_URI="$(embed B)" "$VIRTSNAP" -q --store "$work/store" diff demo
check_eq "without -c, LIBVIRT_DEFAULT_URI names the connection" 0 $?
out=$(VS "$(embed B)" diff demo --json)
check "diff --json says equal" grep -q '"equal": true' <<<"$out"

# --- conflicts, errors -------------------------------------------------------------------------
# The last snapshot is a leaf: redefined in place with other content, and made current.
leaf=${names[N - 1]}
mksnap "$leaf" "${parents[N - 1]}" 1600000000 desc=other >"$work/xml/conflict.xml"
chmod a+r "$work/xml/conflict.xml"
V "$(embed B)" snapshot-create demo "$work/xml/conflict.xml" --redefine --current >/dev/null
out=$(VS "$(embed B)" diff demo)
check_eq "diff shows the changed snapshot and the current (exit 1)" 1 $?
check "  ... naming the snapshot" grep -qF "snapshot '$leaf'" <<<"$out"
check "  ... and the current" grep -qF "the current snapshot differs" <<<"$out"
before=$(lv_state "$(embed B)")
out=$(VS "$(embed B)" push demo 2>&1)
check_eq "push refuses a conflicting snapshot (exit 1)" 1 $?
check "  ... one error line naming the VM and the snapshot" \
    grep -qF "error: VM 'demo': libvirt's domain 'demo' has 1 snapshot differing" <<<"$out"
check_eq "  ... and changes nothing in libvirt" "$before" "$(lv_state "$(embed B)")"
check "push --replace" VS "$(embed B)" push demo --replace
check_eq "B equals A again" "$stateA" "$(lv_state "$(embed B)")"

sum_store() { sha256sum "$work/store/demo.xml"; }
s0=$(sum_store)
out=$(VS "$(embed B)" pull nosuch 2>&1)
check_eq "pull of an unknown domain fails (exit 1)" 1 $?
check "  ... naming it" grep -qF "VM 'nosuch': failed to get domain" <<<"$out"
V "$(embed A)" snapshot-delete demo --snapshotname "${names[N - 1]}" --metadata >/dev/null
out=$(VS "$(embed A)" pull demo 2>&1)
check_eq "pull refuses when the store holds a different tree (exit 1)" 1 $?
check "  ... naming the difference" grep -qF "snapshot '${names[N - 1]}' is only in the store" <<<"$out"
check_eq "  ... and the store is unchanged" "$s0" "$(sum_store)"
out=$(VS "$(embed B)" diff nosuch 2>&1)
check_eq "diff of an unknown domain: exit 2" 2 $?

define_in "$(embed C)" "$work/xml/other-demo.xml"
out=$(VS "$(embed C)" push demo 2>&1)
check_eq "push into a domain of another UUID is refused (exit 1)" 1 $?
check "  ... saying so" grep -qF "has UUID 99999999-2222-3333-4444-555555555555 but" <<<"$out"
check_eq "  ... and nothing was created" "" "$(V "$(embed C)" snapshot-list demo --name)"

# --- push --as: a clone --------------------------------------------------------------------------
define_in "$(embed B)" "$work/xml/clone-domain.xml"
out=$(VS "$(embed B)" push demo --as clone)
check_eq "push --as clone creates all $N" \
    "Pushed domain 'demo' as 'clone': $N created, 0 replaced, 0 skipped (identical), 0 kept (only in libvirt)" \
    "$out"
dump=$(V "$(embed B)" snapshot-dumpxml clone s0)
check "  ... each record names the clone and its UUID" \
    grep -q "<uuid>11111111-2222-3333-4444-555555555555</uuid>" <<<"$dump"
check_eq "  ... and the tree is the same" "$(V "$(embed B)" snapshot-list demo --parent)" \
    "$(V "$(embed B)" snapshot-list clone --parent)"
check "  ... its disk paths are still the original's" grep -qF "/images/demo.qcow2" <<<"$dump"
out=$(VS "$(embed B)" push demo --as clone --replace --map-path /var/lib/libvirt/images/demo=/srv/clone)
check_eq "push --as clone --map-path: every record replaced" \
    "Pushed domain 'demo' as 'clone': 0 created, $N replaced, 0 skipped (identical), 0 kept (only in libvirt)" \
    "$out"
dump=$(V "$(embed B)" snapshot-dumpxml clone s0)
check_eq "  ... the clone's records name its own images" \
    "<source file='/srv/clone.qcow2'/> <source file='/srv/clone-data.qcow2'/>" \
    "$(grep -o "<source file='[^']*'/>" <<<"$dump" | tr '\n' ' ' | sed 's/ $//')"
out=$(VS "$(embed B)" push demo --as clone --map-path =/x 2>&1)
check_eq "--map-path without OLD is refused" \
    "error: --map-path '=/x': expected OLD=NEW with a non-empty OLD" "$out"

# --- --all -------------------------------------------------------------------------------------
out=$(VS "$(embed B)" diff --all)
check_eq "diff --all: exit 1 (clone's snapshots are not in the store)" 1 $?
check_eq "  ... one line per difference, prefixed with the domain" "$N 0" \
    "$(grep -c "^clone: only in libvirt: snapshot" <<<"$out") $(grep -c "^demo:" <<<"$out")"
check_eq "push --all: every VM of the store" \
    "Pushed domain 'demo': 0 created, 0 replaced, $N skipped (identical), 0 kept (only in libvirt)" \
    "$(VS "$(embed B)" push --all)"

# --- records libvirt did not write itself: it re-formats their <domain> ----------------------
cat >"$work/xml/raw.xml" <<EOF
<domainsnapshot><name>raw</name><creationTime>1700000100</creationTime><state>shutoff</state>
<domain type='qemu'><name>demo</name><uuid>93a5c045-6457-2c09-e56c-927cdf34e178</uuid>
<memory>65536</memory><os><type>hvm</type></os></domain></domainsnapshot>
EOF
chmod a+r "$work/xml/raw.xml"
mkdir "$work/store2" "$work/D" && hl_own "$work/store2" && hl_own "$work/D"
define_in "$(embed D)" "$work/xml/demo-domain.xml"
VS2() { as_user "$VIRTSNAP" -q --store "$work/store2" -c "$(embed D)" "$@"; }
VS2 snapshot-create demo "$work/xml/raw.xml" --redefine --current >/dev/null
out=$(VS2 push demo 2>&1)
check "a push of a record libvirt re-formats says so" \
    grep -qF "note: libvirt re-formatted 1 of the snapshots pushed" <<<"$out"
VS2 diff demo >/dev/null
check_eq "  ... diff then shows it (exit 1)" 1 $?
check "  ... pull --replace stores libvirt's form" VS2 pull demo --replace
check "  ... and diff is equal" VS2 diff demo

# --- checkpoints: a chain beside a few snapshots, both kinds moved -----------------------------
mkdir "$work/F" "$work/G" "$work/store3" && hl_own "$work/F" && hl_own "$work/G" && hl_own "$work/store3"
define_in "$(embed F)" "$work/xml/demo-domain.xml"
ckcmds=""
for i in 0 1 2; do ckcmds+="snapshot-create demo $work/xml/f$i.xml --redefine; "; done
for c in 1 2 3 4; do
    parent=
    [ $c -eq 1 ] || parent="<parent><name>c$((c - 1))</name></parent>"
    cat >"$work/xml/c$c.xml" <<EOF
<domaincheckpoint><name>c$c</name>$parent<creationTime>170000010$c</creationTime>
<disks><disk name='vda' checkpoint='bitmap' bitmap='c$c'/><disk name='vdb' checkpoint='no'/></disks>
</domaincheckpoint>
EOF
    ckcmds+="checkpoint-create demo $work/xml/c$c.xml --redefine; "
done
chmod a+r "$work"/xml/c*.xml
V "$(embed F)" "$ckcmds" >/dev/null
define_in "$(embed G)" "$work/xml/demo-domain.xml"
VS3() { as_user "$VIRTSNAP" -q --store "$work/store3" -c "$1" "${@:2}"; }
ck_state() {   # ck_state URI: checkpoint-list --parent and every checkpoint-dumpxml
    local u=$1 c cmds=""
    V "$u" checkpoint-list demo --parent
    for c in c1 c2 c3 c4; do cmds+="checkpoint-dumpxml demo $c --security-info; "; done
    V "$u" "$cmds"
}
ckF=$(ck_state "$(embed F)")
out=$(VS3 "$(embed F)" pull demo)
check_eq "pull stores the snapshots and the checkpoints" \
    "Pulled 3 snapshots and 4 checkpoints of domain 'demo' into $work/store3" "$out"
check "diff with checkpoints: equal" VS3 "$(embed F)" diff demo
out=$(VS3 "$(embed G)" push demo)
check_eq "push redefines both kinds, snapshots first" \
    "Pushed domain 'demo': 7 created, 0 replaced, 0 skipped (identical), 0 kept (only in libvirt)" "$out"
check_eq "  ... checkpoint-list --parent and every checkpoint-dumpxml --security-info equal" \
    "$ckF" "$(ck_state "$(embed G)")"
check "  ... and diff is equal" VS3 "$(embed G)" diff demo
out=$(VS3 "$(embed F)" pull demo --purge)
check "pull --purge deletes both kinds" grep -qF "Deleted libvirt's metadata of 3 snapshots and 4 checkpoints" <<<"$out"
check_eq "  ... nothing left in libvirt" "" \
    "$(V "$(embed F)" checkpoint-list demo --name; V "$(embed F)" snapshot-list demo --name)"

# --- the migration recipe against a real libvirtd: pull --purge, move, push ------------------
uri=$(bash "$harness" start "$lvd")
rc=$?
if [ $rc -eq 77 ]; then
    echo "# libvirtd is not installed: its half is skipped"
    tap_done
    exit
fi
[ $rc -eq 0 ] || { tap_fail "start a private libvirtd"; tap_done; exit 1; }
# A again holds the whole tree; the store is A's.
VS "$(embed B)" push demo --connect "$(embed A)" >/dev/null
check "pull --replace demo from A" VS "$(embed A)" pull demo --replace
out=$(VS "$(embed A)" pull demo --purge)
check "pull --purge deletes libvirt's metadata" grep -qF "Deleted libvirt's metadata of $N snapshots" <<<"$out"
check_eq "  ... A has no snapshot left" "" "$(V "$(embed A)" snapshot-list demo --name)"
check "  ... and the store still holds them all" VS "$(embed B)" diff demo
define_in "$uri" "$work/xml/demo-domain.xml"

# A push interrupted midway: the daemon is killed once K snapshots are defined.
K=$((N / 4))
snapdir=$lvd/config/libvirt/qemu/snapshot/demo
VS "$uri" push demo >"$work/push.out" 2>&1 &
pushpid=$!
while kill -0 "$pushpid" 2>/dev/null; do
    n=$(find "$snapdir" -name '*.xml' 2>/dev/null | wc -l)
    if [ "$n" -ge "$K" ]; then
        bash "$harness" kill "$lvd"
        break
    fi
    sleep 0.01
done
wait "$pushpid"
rc=$?
got=$(find "$snapdir" -name '*.xml' 2>/dev/null | wc -l)
if [ "$got" -lt "$N" ]; then
    check_eq "push interrupted by the daemon's death fails (exit 1)" 1 "$rc"
    check "  ... with one line naming the VM" grep -q "^error: VM 'demo'" "$work/push.out"
    echo "# interrupted after $got of $N: $(cat "$work/push.out")"
else
    echo "# the push finished before the daemon was killed: interruption not exercised"
fi
s0=$(sum_store)
out=$(VS "$uri" pull demo --replace 2>&1)
check_eq "a pull from the dead daemon fails (exit 1)" 1 $?
check "  ... saying it cannot connect" grep -qF "error: failed to connect to the hypervisor" <<<"$out"
check_eq "  ... and the store is unchanged" "$s0" "$(sum_store)"
uri=$(bash "$harness" start "$lvd")
check "libvirtd restarted" test -n "$uri"
out=$(VS "$uri" push demo)
check "the next push completes the job" grep -qE "^Pushed domain 'demo': [0-9]+ created, 0 replaced" <<<"$out"
check_eq "libvirtd: list --parent, current and every dumpxml equal A's before the move" \
    "$stateA" "$(lv_state "$uri")"
check "diff store vs libvirtd: equal" VS "$uri" diff demo
check_eq "a re-push is a no-op" \
    "Pushed domain 'demo': 0 created, 0 replaced, $N skipped (identical), 0 kept (only in libvirt)" \
    "$(VS "$uri" push demo)"
# And back out of libvirtd the same way: its metadata goes only once the store holds it.
check "pull --purge from libvirtd" VS "$uri" pull demo --purge
check_eq "  ... libvirtd has no snapshot of demo left" "" "$(V "$uri" snapshot-list demo --name)"
mkdir "$work/E" && hl_own "$work/E"
define_in "$(embed E)" "$work/xml/demo-domain.xml"
check "push into a fresh host E" VS "$(embed E)" push demo
check_eq "  ... E holds A's tree" "$stateA" "$(lv_state "$(embed E)")"
bash "$harness" stop "$lvd"
tap_done
