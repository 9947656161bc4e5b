# harness-lib.sh — sourced by libvirtd-harness.sh and pg-harness.sh (see README.md).
#
# What both daemons share: who they run as (never root), the checks on DIR, liveness that
# treats a zombie as dead, bounded polling, stopping a process for sure, and the watchdog
# that stops a daemon whose test process died without cleaning up.

VS_HARNESS_TIMEOUT=${VS_HARNESS_TIMEOUT:-120}
# A daemon gets only this PATH (env -i): nothing of the test's environment leaks in.
HL_PATH=/usr/sbin:/usr/bin:/sbin:/bin

hl_die() {
    echo "$HL_NAME: $*" >&2
    exit 1
}

# hl_missing MESSAGE: the software is not installed; 77 tells a caller to skip, not fail.
hl_missing() {
    echo "$HL_NAME: $*" >&2
    exit 77
}

# Sets HL_AS (the command prefix that runs a program as the daemon's user), HL_UID, HL_GID.
# As root the daemon runs as uid/gid 65534 ('nobody'), or VS_HARNESS_UID/VS_HARNESS_GID:
# libvirtd then stays in session mode and initdb/postgres refuse root anyway.
hl_init_user() {
    if [ "$(id -u)" -eq 0 ]; then
        HL_UID=${VS_HARNESS_UID:-65534}
        HL_GID=${VS_HARNESS_GID:-65534}
        [ "$HL_UID" -ne 0 ] || hl_die "VS_HARNESS_UID must not be 0: the daemon never runs as root"
        command -v setpriv >/dev/null ||
            hl_die "running as root needs setpriv (util-linux) to start the daemon unprivileged"
        HL_AS=(setpriv --reuid="$HL_UID" --regid="$HL_GID" --clear-groups)
    else
        HL_UID=$(id -u)
        HL_GID=$(id -g)
        HL_AS=()
    fi
}

# hl_check_dir DIR SOCKET: DIR absolute, usable verbatim in a URI, and short enough that
# DIR/SOCKET fits in a unix socket address (sun_path: 108 bytes with the final NUL).
hl_check_dir() {
    local dir=$1 sock="$1/$2"
    case $dir in
    /*) ;;
    *) hl_die "DIR must be an absolute path: $dir" ;;
    esac
    [[ $dir =~ ^[A-Za-z0-9/._-]+$ ]] ||
        hl_die "DIR may contain only letters, digits and / . _ - (it goes into a URI): $dir"
    [ ${#sock} -le 107 ] ||
        hl_die "socket path $sock is ${#sock} bytes, unix sockets allow 107: use a shorter DIR"
    [ -d "$dir" ] || hl_die "$dir: no such directory"
}

# hl_claim DIR: DIR must be made for this one daemon — empty on first use (then marked with
# DIR/.harness), or marked already.  This is what makes giving DIR away (hl_own) safe: a
# mistyped DIR such as /tmp is refused, never taken over.  Sets HL_FRESH=1 on first use.
hl_claim() {
    local dir=$1
    HL_FRESH=
    [ -d "$dir/.harness" ] && return 0   # and hl_kind_ok has checked whose
    [ -z "$(ls -A "$dir")" ] ||
        hl_die "$dir is not empty and was not set up by $HL_NAME: give it an empty directory"
    mkdir "$dir/.harness" && echo "$HL_NAME" >"$dir/.harness/kind" ||
        hl_die "cannot create $dir/.harness"
    HL_FRESH=1
}

# hl_kind_ok DIR: stop, kill and status leave a directory of the other harness alone.
hl_kind_ok() {
    [ ! -d "$1/.harness" ] || [ "$(cat "$1/.harness/kind" 2>/dev/null)" = "$HL_NAME" ] ||
        hl_die "$1 was set up by another harness"
}

# hl_own DIR PATH...: gives DIR itself and PATHs (recursively) to the daemon's user, then
# checks that this user can really work in DIR (every parent must be searchable by it).
hl_own() {
    local dir=$1
    shift
    if [ "$(id -u)" -eq 0 ]; then
        chown "$HL_UID:$HL_GID" "$dir" || hl_die "cannot chown $dir"
        [ $# -eq 0 ] || chown -R "$HL_UID:$HL_GID" "$@" || hl_die "cannot chown files in $dir"
    fi
    "${HL_AS[@]}" test -w "$dir" -a -x "$dir" ||
        hl_die "uid $HL_UID cannot write in $dir: make its parents searchable (e.g. use /tmp)"
}

# hl_stat PID: sets HL_STAT to the fields of /proc/PID/stat from field 3 (state) on, so
# that field N of proc(5) is ${HL_STAT[N-3]}.  No subshell: hl_children calls it per process.
hl_stat() {
    local line
    read -r line 2>/dev/null <"/proc/$1/stat" || return 1
    # comm (field 2) may hold spaces and parentheses: split after its last ')'.
    read -r -a HL_STAT <<<"${line##*) }"
}

# hl_alive PID: true while PID runs.  A zombie has exited: it only waits to be reaped, and
# an orphan's reaper (PID 1) may take seconds to do that (it does on this machine).
hl_alive() {
    [ -n "$1" ] && hl_stat "$1" && [ "${HL_STAT[0]}" != Z ]
}

# hl_record FILE PID: remembers PID with its start time, so that a recycled PID is never
# mistaken for it (see hl_recorded).  Fails if PID has already exited and been reaped.
hl_record() {
    hl_stat "$2" && echo "$2 ${HL_STAT[19]}" >"$1"
}

# hl_recorded FILE: prints the PID recorded in FILE if that very process still runs.
hl_recorded() {
    local pid start
    [ -f "$1" ] && read -r pid start <"$1" || return 1
    hl_alive "$pid" && [ "${HL_STAT[19]}" = "$start" ] && echo "$pid"
}

# hl_wait WHAT CHECK...: runs CHECK until it returns 0; 2 means it never will (fail now).
# Gives up after VS_HARNESS_TIMEOUT seconds: generous, because only the condition counts.
hl_wait() {
    local what=$1 rc deadline=$((SECONDS + VS_HARNESS_TIMEOUT))
    shift
    while :; do
        "$@"
        rc=$?
        [ $rc -eq 0 ] && return 0
        [ $rc -eq 2 ] && return 1
        if [ $SECONDS -ge $deadline ]; then
            echo "$HL_NAME: no $what after ${VS_HARNESS_TIMEOUT}s" >&2
            return 1
        fi
        sleep 0.05
    done
}

hl_gone() {
    ! hl_alive "$1"
}

# hl_end PID: SIGTERM, then SIGKILL if PID is still there after VS_HARNESS_TIMEOUT.
hl_end() {
    kill -TERM "$1" 2>/dev/null
    hl_wait "exit of process $1 after SIGTERM" hl_gone "$1" && return 0
    kill -KILL "$1" 2>/dev/null
    hl_wait "exit of process $1 after SIGKILL" hl_gone "$1"
}

# hl_kill PID...: SIGKILL, then waits until every PID is gone.
hl_kill() {
    local pid
    kill -KILL "$@" 2>/dev/null
    for pid in "$@"; do
        hl_wait "exit of process $pid after SIGKILL" hl_gone "$pid" || return 1
    done
}

# hl_children PID: the processes whose parent is PID.
hl_children() {
    local proc
    for proc in /proc/[0-9]*; do
        hl_stat "${proc#/proc/}" && [ "${HL_STAT[1]}" = "$1" ] && echo "${proc#/proc/}"
    done
    return 0
}

# hl_start_watchdog STATEDIR DIR PIDFILE: once the owner has exited — the test process
# (VS_HARNESS_OWNER, default: whoever ran this script) — runs "$HL_SELF stop DIR", and ends
# the daemon recorded in PIDFILE itself if that could not (DIR already removed).  It sits in
# its own session, so the signals a test runner sends to the test's process group do not
# reach it, and it outlives a test that aborts or is killed.
hl_start_watchdog() {
    local state=$1 dir=$2 owner=${VS_HARNESS_OWNER:-$PPID} daemon
    hl_alive "$owner" || hl_die "owner process $owner is not running"
    read -r -a daemon <"$3"
    (cd / && exec setsid bash "$HL_SELF" __watch "$dir" "$owner" "${daemon[@]}") \
        </dev/null >/dev/null 2>&1 &
    hl_record "$state/watchdog.pid" $! || hl_die "the watchdog exited at once"
}

# hl_watch STATEDIR DIR OWNER PID START: the watchdog's loop (a bounded cost: one check a
# second); stop and kill end it, so it has nothing else to watch.
hl_watch() {
    local state=$1 dir=$2 owner=$3 daemon=$4 start=$5
    while hl_alive "$owner"; do
        sleep 1
    done
    rm -f "$state/watchdog.pid"
    bash "$HL_SELF" stop "$dir"
    hl_alive "$daemon" && [ "${HL_STAT[19]}" = "$start" ] && hl_end "$daemon"
}

hl_stop_watchdog() {
    local pid
    if pid=$(hl_recorded "$1/watchdog.pid"); then
        hl_kill "$pid" || return 1
    fi
    rm -f "$1/watchdog.pid"
}

# hl_log_tail FILE: the end of a daemon's log, for an error message.
hl_log_tail() {
    [ -s "$1" ] || return 0
    echo "--- last lines of $1:" >&2
    tail -n 15 "$1" >&2
}
