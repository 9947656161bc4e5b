#!/usr/bin/env bash
# libvirtd-harness.sh — a private libvirtd for tests (see README.md in this folder).
#
#   libvirtd-harness.sh start DIR   start libvirtd on a unix socket in DIR; print its URI
#   libvirtd-harness.sh stop DIR    SIGTERM (then SIGKILL); nothing is left running
#   libvirtd-harness.sh kill DIR    SIGKILL (a crash); `start DIR` again reloads the state
#   libvirtd-harness.sh uri DIR     print the URI
#   libvirtd-harness.sh status DIR  exit 0 while the daemon runs
# Exit status 77: libvirtd, virsh or the qemu driver is not installed (skip the test).
#
# Debian's monolithic libvirtd in session mode, as an unprivileged user (uid 65534 when run
# as root): every file it keeps is under DIR (HOME and XDG_* point there), it never listens
# on TCP (no --listen), and it loads only the qemu connection driver, so no network, storage
# or nwfilter driver starts.  The state on disk (domains, snapshot and checkpoint metadata,
# qemu capabilities cache) survives kill + start.
set -uo pipefail
HL_NAME=libvirtd-harness
HL_SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
. "$(dirname "$HL_SELF")/harness-lib.sh"

SOCKET=run/libvirt/libvirt-sock     # $XDG_RUNTIME_DIR/libvirt/libvirt-sock in session mode
LIBVIRTD=${VS_LIBVIRTD:-/usr/sbin/libvirtd}

uri() {
    echo "qemu:///session?socket=$1/$SOCKET"
}

# The directory of libvirt's connection drivers (multiarch path), or VS_LIBVIRT_DRIVER_DIR.
driver_dir() {
    local d dirs=(/usr/lib/*/libvirt/connection-driver /usr/lib64/libvirt/connection-driver
                  /usr/lib/libvirt/connection-driver)
    [ -z "${VS_LIBVIRT_DRIVER_DIR:-}" ] || dirs=("$VS_LIBVIRT_DRIVER_DIR")
    for d in "${dirs[@]}"; do
        [ -f "$d/libvirt_driver_qemu.so" ] && { echo "$d"; return 0; }
    done
    hl_missing "libvirt's qemu driver (libvirt_driver_qemu.so) is not installed" \
           "(Debian: libvirt-daemon-driver-qemu)"
}

# First start in DIR: the private tree and configuration.
prepare() {
    local dir=$1 drivers=$2
    mkdir -p "$dir/home" "$dir/config" "$dir/cache" "$dir/run" "$dir/drivers"
    chmod 700 "$dir/run"   # libvirt wants its runtime dir private
    # libvirtd loads every driver module it finds in LIBVIRT_DRIVER_DIR: show it only qemu's.
    ln -sf "$drivers/libvirt_driver_qemu.so" "$dir/drivers/"
    cat >"$dir/libvirtd.conf" <<EOF
# Written by libvirtd-harness.sh: a private session daemon for tests.
listen_tls = 0
listen_tcp = 0
unix_sock_rw_perms = "0700"
auth_unix_rw = "none"
log_outputs = "3:file:$dir/libvirtd.log"
EOF
    touch "$dir/libvirtd.log" "$dir/libvirtd.out"
    hl_own "$dir" "$dir/home" "$dir/config" "$dir/cache" "$dir/run" "$dir/drivers" \
        "$dir/libvirtd.conf" "$dir/libvirtd.log" "$dir/libvirtd.out"
}

# 0 once a client gets an answer through the socket; 2 if the daemon died.
answers() {
    hl_recorded "$1/.harness/daemon.pid" >/dev/null || return 2
    timeout "$VS_HARNESS_TIMEOUT" virsh -c "$(uri "$1")" uri >/dev/null 2>&1
}

start() {
    local dir=$1 pid drivers
    command -v "$LIBVIRTD" >/dev/null ||
        hl_missing "$LIBVIRTD is not installed (Debian: libvirt-daemon)"
    command -v virsh >/dev/null || hl_missing "virsh is not installed (Debian: libvirt-clients)"
    pid=$(hl_recorded "$dir/.harness/daemon.pid") && hl_die "already running in $dir (pid $pid)"
    drivers=$(driver_dir) || exit $?
    hl_claim "$dir"
    [ -z "$HL_FRESH" ] || prepare "$dir" "$drivers"
    "${HL_AS[@]}" env -i PATH="$HL_PATH" LC_ALL=C.UTF-8 HOME="$dir/home" \
        XDG_CONFIG_HOME="$dir/config" XDG_CACHE_HOME="$dir/cache" XDG_RUNTIME_DIR="$dir/run" \
        LIBVIRT_DRIVER_DIR="$dir/drivers" \
        "$LIBVIRTD" -f "$dir/libvirtd.conf" </dev/null >>"$dir/libvirtd.out" 2>&1 &
    if ! hl_record "$dir/.harness/daemon.pid" $!; then
        echo "$HL_NAME: libvirtd exited at once in $dir" >&2
        hl_log_tail "$dir/libvirtd.out"
        exit 1
    fi
    hl_start_watchdog "$dir/.harness" "$dir" "$dir/.harness/daemon.pid"
    if ! hl_wait "answer on $dir/$SOCKET" answers "$dir"; then
        echo "$HL_NAME: libvirtd did not come up in $dir" >&2
        hl_log_tail "$dir/libvirtd.out"
        hl_log_tail "$dir/libvirtd.log"
        stop "$dir"
        exit 1
    fi
    # Have qemu's capabilities probed now (seconds, then cached under DIR/cache, so that a
    # restart skips it): the first define would spend them otherwise, and a test killing the
    # daemon in the middle could orphan the probing qemu.
    if ! timeout "$VS_HARNESS_TIMEOUT" virsh -c "$(uri "$dir")" capabilities >/dev/null; then
        echo "$HL_NAME: libvirtd in $dir cannot probe qemu's capabilities" >&2
        hl_log_tail "$dir/libvirtd.log"
        stop "$dir"
        exit 1
    fi
    uri "$dir"
}

stop() {
    local dir=$1 pid
    hl_stop_watchdog "$dir/.harness"
    if pid=$(hl_recorded "$dir/.harness/daemon.pid"); then
        hl_end "$pid" || hl_die "libvirtd (pid $pid) in $dir does not exit"
    fi
    rm -f "$dir/.harness/daemon.pid"
}

crash() {
    local dir=$1 pid
    pid=$(hl_recorded "$dir/.harness/daemon.pid") || hl_die "not running in $dir"
    hl_stop_watchdog "$dir/.harness"
    hl_kill "$pid" || hl_die "libvirtd (pid $pid) in $dir survives SIGKILL"
    rm -f "$dir/.harness/daemon.pid"
}

[ $# -ge 2 ] || { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
cmd=$1
dir=${2%/}
case $cmd in
__watch) hl_watch "$dir/.harness" "$dir" "${@:3}"; exit ;;
start | stop | kill | uri | status) ;;
*) hl_die "unknown command '$cmd' (start, stop, kill, uri, status)" ;;
esac
hl_check_dir "$dir" "$SOCKET"
hl_kind_ok "$dir"
case $cmd in
start) hl_init_user; start "$dir" ;;
stop) stop "$dir" ;;
kill) crash "$dir" ;;
uri) uri "$dir" ;;
status) hl_recorded "$dir/.harness/daemon.pid" >/dev/null ;;
esac
