#!/usr/bin/env bash
# pg-harness.sh — a private PostgreSQL server for tests (see README.md in this folder).
#
#   pg-harness.sh start DIR   initdb into DIR/data on first use, start, print a libpq URI
#   pg-harness.sh stop DIR    fast shutdown (then SIGKILL); nothing is left running
#   pg-harness.sh kill DIR    SIGKILL the whole server (a crash); `start DIR` recovers
#   pg-harness.sh uri DIR     print the URI
#   pg-harness.sh status DIR  exit 0 while the server runs
# Exit status 77: PostgreSQL is not installed (skip the test).
#
# Debian's PostgreSQL (15 by default: VS_PG_BINDIR overrides), run as an unprivileged user
# (uid 65534 when run as root): listen_addresses='' (no TCP), its unix socket in DIR,
# fsync on.  Local connections are trusted (only root and the server's user can reach DIR);
# the superuser role is named after the user running this script, and the URI names it, so
# the client may run as root or as the server's user.
set -uo pipefail
HL_NAME=pg-harness
HL_SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
. "$(dirname "$HL_SELF")/harness-lib.sh"

PORT=5432                      # names the socket file only: there is no TCP
SOCKET=.s.PGSQL.$PORT
DATABASE=virtsnap

bindir() {
    local d=${VS_PG_BINDIR:-/usr/lib/postgresql/15/bin}
    [ -x "$d/postgres" ] && { echo "$d"; return 0; }
    hl_missing "PostgreSQL 15 is not installed (Debian: postgresql; or set VS_PG_BINDIR)"
}

role() {
    id -un
}

uri() {
    echo "postgresql:///$DATABASE?host=$1&port=$PORT&user=$(role)"
}

# The running postmaster of DIR (postmaster.pid's first line), if any.
postmaster() {
    local pid
    [ -f "$1/data/postmaster.pid" ] && read -r pid <"$1/data/postmaster.pid" &&
        hl_alive "$pid" && [ "$(basename "$(readlink "/proc/$pid/exe")")" = postgres ] &&
        echo "$pid"
}

# The server's own programs, run as its user with nothing of the test's environment.
as_server() {
    "${HL_AS[@]}" env -i PATH="$HL_PATH" LC_ALL=C.UTF-8 TZ=UTC HOME="$DIR" "$@"
}

# First start in DIR: the cluster and its configuration.
init() {
    local dir=$1 bin=$2 log
    hl_own "$dir"
    # --no-sync only skips initdb's own final flush of the fresh cluster; the server then
    # runs with fsync on, which is what a test of durability relies on.
    if ! log=$(as_server "$bin/initdb" -D "$dir/data" -U "$(role)" --auth-local=trust \
                   --auth-host=reject --no-locale -E UTF8 --no-sync 2>&1); then
        printf '%s\n' "$log" >&2
        hl_die "initdb failed in $dir"
    fi
    cat >>"$dir/data/postgresql.conf" <<EOF

# Written by pg-harness.sh: a private server for tests.
listen_addresses = ''
unix_socket_directories = '$dir'
unix_socket_permissions = 0700
port = $PORT
fsync = on
synchronous_commit = on
full_page_writes = on
EOF
}

# A killed server's lock files name its postmaster, whose PID may still be a zombie until
# it is reaped: postgres would take it for a live server and refuse to start.
drop_stale_lock() {
    local pid
    [ -f "$1" ] && read -r pid <"$1" && ! hl_alive "$pid" && rm -f "$1"
    return 0
}

start() {
    local dir=$1 bin pid
    bin=$(bindir) || exit $?
    pid=$(postmaster "$dir") && hl_die "already running in $dir (pid $pid)"
    hl_claim "$dir"
    [ -z "$HL_FRESH" ] || init "$dir" "$bin"
    drop_stale_lock "$dir/data/postmaster.pid"
    drop_stale_lock "$dir/$SOCKET.lock"
    if ! as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w \
            -t "$VS_HARNESS_TIMEOUT" -s start </dev/null >"$dir/.harness/pg_ctl.out" 2>&1; then
        echo "$HL_NAME: PostgreSQL did not come up in $dir" >&2
        hl_log_tail "$dir/.harness/pg_ctl.out"
        hl_log_tail "$dir/postgres.log"
        pid=$(postmaster "$dir") && hl_record "$dir/.harness/postmaster.pid" "$pid" &&
            crash "$dir"
        exit 1
    fi
    pid=$(postmaster "$dir") || hl_die "no postmaster in $dir after pg_ctl start"
    hl_record "$dir/.harness/postmaster.pid" "$pid" || hl_die "postmaster $pid exited"
    hl_start_watchdog "$dir/.harness" "$dir" "$dir/.harness/postmaster.pid"
    if [ -n "$HL_FRESH" ] &&
       ! env -i PATH="$HL_PATH" "$bin/createdb" -h "$dir" -p $PORT -U "$(role)" $DATABASE; then
        stop "$dir"
        hl_die "cannot create database $DATABASE in $dir"
    fi
    uri "$dir"
}

stop() {
    local dir=$1 pid bin
    hl_stop_watchdog "$dir/.harness"
    if ! pid=$(hl_recorded "$dir/.harness/postmaster.pid"); then
        rm -f "$dir/.harness/postmaster.pid"
        return 0
    fi
    bin=$(bindir) || exit $?
    # Fast shutdown: roll back open transactions, checkpoint, exit.
    if ! as_server "$bin/pg_ctl" -D "$dir/data" -m fast -w -t "$VS_HARNESS_TIMEOUT" -s stop \
            </dev/null >"$dir/.harness/pg_ctl.out" 2>&1 ||
       ! hl_wait "exit of the postmaster $pid" hl_gone "$pid"; then
        hl_log_tail "$dir/.harness/pg_ctl.out"
        crash "$dir"
    fi
    rm -f "$dir/.harness/postmaster.pid"
}

# SIGKILL the postmaster and every process it started, at once: the postmaster is frozen
# first so that it can neither fork nor react.  (Killing the postmaster alone would leave
# its backends running; a new postmaster refuses to start while they hold the old shared
# memory, and a backend in a commit could finish it after the "crash".)
crash() {
    local dir=$1 pid children
    hl_stop_watchdog "$dir/.harness"
    pid=$(hl_recorded "$dir/.harness/postmaster.pid") || hl_die "not running in $dir"
    kill -STOP "$pid"
    children=$(hl_children "$pid")
    # shellcheck disable=SC2086  # one PID a word
    hl_kill $children "$pid" || hl_die "the server in $dir survives SIGKILL"
    rm -f "$dir/.harness/postmaster.pid"
}

[ $# -ge 2 ] || { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
cmd=$1
DIR=${2%/}
case $cmd in
__watch) hl_watch "$DIR/.harness" "$DIR" "${@:3}"; exit ;;
start | stop | kill | uri | status) ;;
*) hl_die "unknown command '$cmd' (start, stop, kill, uri, status)" ;;
esac
hl_check_dir "$DIR" "$SOCKET"
hl_kind_ok "$DIR"
case $cmd in
start) hl_init_user; start "$DIR" ;;
stop) hl_init_user; stop "$DIR" ;;
kill) crash "$DIR" ;;
uri) uri "$DIR" ;;
status) hl_recorded "$DIR/.harness/postmaster.pid" >/dev/null ;;
esac
