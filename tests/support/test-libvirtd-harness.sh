#!/usr/bin/env bash
# test-libvirtd-harness.sh — proves libvirtd-harness.sh on this machine (TAP, meson suite
# "components"): a private libvirtd keeps snapshot and checkpoint metadata across a crash
# and a restart, talks only through its unix socket, loads only the qemu driver, and leaves
# nothing running.  Also pins what the in-process driver (qemu:///embed) accepts for the
# same metadata, since issue 14's tests use both.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HL_NAME=test-libvirtd-harness
. "$here/harness-lib.sh"
. "$here/tap.sh"
CLI_TESTS=$(cd "$here/../cli" && pwd)
. "$CLI_TESTS/lib.sh"   # mksnap: redefinable snapshot XML of VM "demo"
harness=$here/libvirtd-harness.sh

[ -x /usr/sbin/libvirtd ] ||
    tap_skip_all "/usr/sbin/libvirtd is missing: install Debian's libvirt-daemon (./dev deps)"
command -v virsh >/dev/null ||
    tap_skip_all "virsh is missing: install Debian's libvirt-clients (./dev deps)"
ls /usr/lib/*/libvirt/connection-driver/libvirt_driver_qemu.so >/dev/null 2>&1 ||
    tap_skip_all "libvirt's qemu driver is missing: install libvirt-daemon-driver-qemu (./dev deps)"
command -v qemu-system-x86_64 >/dev/null ||
    tap_skip_all "qemu-system-x86_64 is missing: install qemu-system-x86 (./dev deps)"

hl_init_user
work=$(mktemp -d "${TMPDIR:-/tmp}/vs-libvirtd.XXXXXX") || exit 1
dir=$work/lvd
owner_pid=
cleanup() {
    bash "$harness" stop "$dir" 2>/dev/null
    [ -z "$owner_pid" ] || kill "$owner_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
mkdir "$dir" "$work/xml" "$work/home"
chmod 755 "$work" "$work/xml"   # the unprivileged clients below read the XML files too
hl_own "$work/home"

# The client runs as root when the suite does: the daemon (uid 65534) answers it all the
# same (root may open the 0700 socket; session mode checks nobody's identity).
V() {
    virsh -q -c "$uri" "$@"
}

as_daemon_user() {   # runs a command as the daemon's user (when root), with a private HOME
    "${HL_AS[@]}" env -i PATH="$HL_PATH" HOME="$work/home" LC_ALL=C.UTF-8 "$@"
}

fails() {
    ! "$@"
}

# --- start ---------------------------------------------------------------------------------
t0=$(now_ms)
uri=$(bash "$harness" start "$dir")
rc=$?
t1=$(now_ms)
check_eq "start prints the session URI of the socket in DIR" \
    "qemu:///session?socket=$dir/run/libvirt/libvirt-sock" "$uri"
[ $rc -eq 0 ] || { tap_done; exit 1; }
echo "# first start (includes the qemu capabilities probe): $((t1 - t0)) ms"
pid=$(hl_recorded "$dir/.harness/daemon.pid")
check "status says running" bash "$harness" status "$dir"
if [ "$(id -u)" -eq 0 ]; then
    check_eq "as root, the daemon runs as uid 65534" 65534 "$(service_uid "$pid")"
fi
check_eq "the daemon holds no TCP/UDP socket" "" "$(inet_sockets "$pid")"

# Every file the daemon has open is its log, its sockets or under DIR.
outside=$(for fd in /proc/"$pid"/fd/*; do readlink "$fd"; done |
          grep -v -e "^$dir/" -e '^socket:' -e '^pipe:' -e '^anon_inode:' -e '^/dev/null$')
check_eq "the daemon has no file open outside DIR" "" "$outside"
check "only the qemu driver: no network driver" fails V net-list
check "only the qemu driver: no storage driver" fails V pool-list

# --- snapshot and checkpoint metadata --------------------------------------------------------
check "define demo" V define "$CLI_DATA/demo-domain.xml"
cd "$work/xml" || exit 1
mksnap s1 '' 1700000000 >s1.xml
mksnap s2 s1 1700000100 >s2.xml
mksnap s3 s1 1700000200 desc='odd <name> & "quotes"' >s3.xml
mksnap s4 s3 1700000300 >s4.xml
for c in 1 2; do
    parent=
    [ $c -eq 1 ] || parent="  <parent><name>c$((c - 1))</name></parent>"
    cat >c$c.xml <<EOF
<domaincheckpoint>
  <name>c$c</name>
$parent
  <creationTime>170000000$c</creationTime>
  <disks>
    <disk name='vda' checkpoint='bitmap' bitmap='c$c'/>
    <disk name='vdb' checkpoint='no'/>
  </disks>
</domaincheckpoint>
EOF
done
chmod 644 ./*.xml
check "redefine s1 (a root)" V snapshot-create demo s1.xml --redefine
check "redefine s2 (child of s1)" V snapshot-create demo s2.xml --redefine
check "redefine s3 (child of s1)" V snapshot-create demo s3.xml --redefine
check "redefine s4 (child of s3) --current" V snapshot-create demo s4.xml --redefine --current
check "redefine checkpoint c1" V checkpoint-create demo c1.xml --redefine
check "redefine checkpoint c2 (child of c1)" V checkpoint-create demo c2.xml --redefine

# virsh ends a tree with its last child's indentation on a line of its own.
expected_tree=$'s1\n  |\n  +- s2\n  +- s3\n      |\n      +- s4\n        '
tree=$(V snapshot-list demo --tree)
check_eq "snapshot-list --tree" "$expected_tree" "$tree"
check_eq "snapshot-current" s4 "$(V snapshot-current demo --name)"
ctree=$(V checkpoint-list demo --tree)
check_eq "checkpoint-list --tree" $'c1\n  |\n  +- c2\n    ' "$ctree"
s3xml=$(V snapshot-dumpxml demo s3 --security-info)
c2xml=$(V checkpoint-dumpxml demo c2)
check "snapshot-dumpxml keeps the escaped description" \
    grep -qF '<description>odd &lt;name&gt; &amp; &quot;quotes&quot;</description>' <<<"$s3xml"

# libvirt 9.0 refuses snapshot redefinition while the domain has checkpoints: a tool that
# restores both must redefine snapshots first (issue 14).
mksnap s5 s4 1700000400 >s5.xml
chmod 644 s5.xml
err=$(V snapshot-create demo s5.xml --redefine 2>&1)
check_eq "snapshot redefine is refused while checkpoints exist" \
    "error: Operation not supported: cannot perform block operations while checkpoint exists" \
    "$err"

# A parent must exist before its child (checkpoints as snapshots).
err=$(V checkpoint-delete demo c2 --metadata && V checkpoint-delete demo c1 --metadata &&
      V checkpoint-create demo c2.xml --redefine 2>&1)
check_eq "a checkpoint's parent must be redefined first" \
    "error: invalid argument: parent c1 for moment c2 not found" "$err"
check "redefine c1 again" V checkpoint-create demo c1.xml --redefine
check "redefine c2 again" V checkpoint-create demo c2.xml --redefine

if [ "$(id -u)" -eq 0 ]; then
    check_eq "a client running as the daemon's user (uid 65534) lists the domain too" demo \
        "$(as_daemon_user virsh -q -c "$uri" list --all --name)"
fi

# --- crash and restart -------------------------------------------------------------------------
check "kill" bash "$harness" kill "$dir"
check "after kill, the daemon is gone" hl_gone "$pid"
check "after kill, status says stopped" fails bash "$harness" status "$dir"
check "after kill, a client cannot connect (no daemon is autostarted)" fails V list
t0=$(now_ms)
check_eq "start again on the same DIR prints the same URI" "$uri" \
    "$(bash "$harness" start "$dir")"
t1=$(now_ms)
echo "# restart: $((t1 - t0)) ms"
pid=$(hl_recorded "$dir/.harness/daemon.pid")
check_eq "after restart: the snapshot tree is reloaded from disk" "$expected_tree" \
    "$(V snapshot-list demo --tree)"
check_eq "after restart: the current snapshot" s4 "$(V snapshot-current demo --name)"
check_eq "after restart: snapshot-dumpxml unchanged" "$s3xml" \
    "$(V snapshot-dumpxml demo s3 --security-info)"
check_eq "after restart: the checkpoint tree" "$ctree" "$(V checkpoint-list demo --tree)"
check_eq "after restart: checkpoint-dumpxml unchanged" "$c2xml" \
    "$(V checkpoint-dumpxml demo c2)"

# --- delete --metadata, stop ---------------------------------------------------------------
# One by one, children first: libvirt 9.0's --children can crash the daemon on this tree
# (use-after-free, LIBVIRT-9.0-OBSERVED.md section 6.1: s3 has a child and a later sibling).
delete_all() {   # delete_all VIRSH-FUNCTION
    local s
    for s in c2 c1; do
        "$1" checkpoint-delete demo $s --metadata || return 1
    done
    for s in s4 s3 s2 s1; do
        "$1" snapshot-delete demo $s --metadata || return 1
    done
}
check "checkpoint-delete c2, c1 and snapshot-delete s4, s3, s2, s1, all --metadata" delete_all V
check_eq "no snapshot left" "" "$(V snapshot-list demo --name)"
check_eq "no checkpoint left" "" "$(V checkpoint-list demo --name)"
check_eq "no metadata file left in DIR" "" \
    "$(find "$dir/config/libvirt/qemu/snapshot" "$dir/config/libvirt/qemu/checkpoint" -type f)"
check "stop" bash "$harness" stop "$dir"
check "after stop, the daemon is gone" hl_gone "$pid"
check "stop again is a no-op" bash "$harness" stop "$dir"

# --- the watchdog: a test process that dies without cleaning up --------------------------
sleep 600 &
owner_pid=$!
disown "$owner_pid"
VS_HARNESS_OWNER=$owner_pid bash "$harness" start "$dir" >/dev/null
pid=$(hl_recorded "$dir/.harness/daemon.pid")
watchdog=$(hl_recorded "$dir/.harness/watchdog.pid")
kill -KILL "$owner_pid"
check "when the owner dies, the watchdog stops the daemon" \
    hl_wait "exit of libvirtd after its owner died" hl_gone "$pid"
check "and then ends" hl_wait "exit of the watchdog" hl_gone "$watchdog"
owner_pid=

# --- the in-process driver (qemu:///embed) accepts the same metadata -------------------------
root=$work/embed
mkdir -m 777 "$root"
E() {
    as_daemon_user virsh -q -c "qemu:///embed?root=$root" "$@"
}
embed_redefine() {
    local s
    for s in s1 s2 s3; do
        E snapshot-create demo $s.xml --redefine || return 1
    done
    E snapshot-create demo s4.xml --redefine --current &&
        E checkpoint-create demo c1.xml --redefine &&
        E checkpoint-create demo c2.xml --redefine
}
check "embed: define" E define "$CLI_DATA/demo-domain.xml"
check "embed: redefine s1, s2, s3, s4 --current, then c1, c2" embed_redefine
check_eq "embed: snapshot-list --tree" "$expected_tree" "$(E snapshot-list demo --tree)"
check_eq "embed: snapshot-current" s4 "$(E snapshot-current demo --name)"
check_eq "embed: checkpoint-list --tree" "$ctree" "$(E checkpoint-list demo --tree)"
check_eq "embed: checkpoint-dumpxml as the daemon's" "$c2xml" "$(E checkpoint-dumpxml demo c2)"
check_eq "embed: snapshot redefine is refused while checkpoints exist too" \
    "error: Operation not supported: cannot perform block operations while checkpoint exists" \
    "$(E snapshot-create demo s5.xml --redefine 2>&1)"
check "embed: delete every checkpoint and snapshot --metadata, children first" delete_all E
check_eq "embed: nothing left" "" "$(E snapshot-list demo --name; E checkpoint-list demo --name)"

tap_done
