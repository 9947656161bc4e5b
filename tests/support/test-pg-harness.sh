#!/usr/bin/env bash
# test-pg-harness.sh — proves pg-harness.sh on this machine (TAP, meson suite "components"):
# a private PostgreSQL on a unix socket only, reachable by the test process, keeps committed
# data across a SIGKILL of the whole server (crash recovery), loses the uncommitted, and
# leaves nothing running.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HL_NAME=test-pg-harness
. "$here/harness-lib.sh"
. "$here/tap.sh"
harness=$here/pg-harness.sh

[ -x /usr/lib/postgresql/15/bin/postgres ] ||
    tap_skip_all "PostgreSQL 15 is missing: install Debian's postgresql (./dev deps)"
psql=/usr/lib/postgresql/15/bin/psql

hl_init_user
work=$(mktemp -d "${TMPDIR:-/tmp}/vs-pg.XXXXXX") || exit 1
dir=$work/pg
owner_pid=
sleeper=
cleanup() {
    bash "$harness" stop "$dir" 2>/dev/null
    [ -z "$owner_pid" ] || kill "$owner_pid" 2>/dev/null
    [ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
mkdir "$dir"
chmod 755 "$work"   # the server's user must reach DIR

Q() {   # Q SQL: one statement through the harness's URI, unaligned output
    env -i PATH="$HL_PATH" "$psql" "$uri" -X -v ON_ERROR_STOP=1 -Atc "$1"
}

fails() {
    ! "$@"
}

all_gone() {
    local p
    for p in "$@"; do
        hl_gone "$p" || return 1
    done
}

# --- start ---------------------------------------------------------------------------------
t0=$(now_ms)
uri=$(bash "$harness" start "$dir")
rc=$?
t1=$(now_ms)
check_eq "start prints a libpq URI naming the socket directory" \
    "postgresql:///virtsnap?host=$dir&port=5432&user=$(id -un)" "$uri"
[ $rc -eq 0 ] || { tap_done; exit 1; }
echo "# first start (initdb, start, createdb): $((t1 - t0)) ms"
check "status says running" bash "$harness" status "$dir"
check "a second start is refused" fails bash "$harness" start "$dir"
pid=$(hl_recorded "$dir/.harness/postmaster.pid")
if [ "$(id -u)" -eq 0 ]; then
    check_eq "as root, the server runs as uid 65534" 65534 "$(service_uid "$pid")"
fi
# shellcheck disable=SC2046  # one PID a word
check_eq "the server holds no TCP/UDP socket" "" "$(inet_sockets "$pid" $(hl_children "$pid"))"
check_eq "listen_addresses is empty" "" "$(Q 'SHOW listen_addresses')"
check_eq "the socket is in DIR" "$dir" "$(Q 'SHOW unix_socket_directories')"
check_eq "the data is in DIR/data" "$dir/data" "$(Q 'SHOW data_directory')"
check_eq "fsync is on" on "$(Q 'SHOW fsync')"
check_eq "the client is the superuser named after the test's user" "$(id -un)|on" \
    "$(Q "SELECT current_user, current_setting('is_superuser')")"

# --- a round trip, then a crash ---------------------------------------------------------------
check "create a table and insert a row" Q "CREATE TABLE t (id int PRIMARY KEY, name text,
    payload bytea); INSERT INTO t VALUES (1, 'odd ''name'' ü', '\\x00ff0a27');"
check_eq "read it back" "1|odd 'name' ü|00ff0a27" \
    "$(Q "SELECT id, name, encode(payload, 'hex') FROM t")"
if [ "$(id -u)" -eq 0 ]; then
    check_eq "a client running as the server's user reads it too (same URI)" 1 \
        "$("${HL_AS[@]}" env -i PATH="$HL_PATH" "$psql" "$uri" -X -Atc 'SELECT count(*) FROM t')"
fi
check "commit a second row (in the WAL only: no checkpoint since)" \
    Q "INSERT INTO t VALUES (2, 'two', '\\x02')"

# A third row inserted by a transaction that is still open when the server dies.  Its
# backend is busy computing (for at most 60 s), so, unlike a waiting one, it would not
# notice a dead postmaster: only killing every process of the server ends it.
env -i PATH="$HL_PATH" "$psql" "$uri" -X -c "DO \$\$ BEGIN
    INSERT INTO t VALUES (3, 'uncommitted', NULL);
    WHILE clock_timestamp() < now() + interval '60 seconds' LOOP END LOOP; END \$\$" \
    >/dev/null 2>&1 &
sleeper=$!
in_flight() {
    [ "$(Q "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'
            AND query LIKE '%uncommitted%' AND pid <> pg_backend_pid()")" = 1 ]
}
check "an uncommitted insert is in flight" hl_wait "the uncommitted insert" in_flight

children=$(hl_children "$pid")
check "kill" bash "$harness" kill "$dir"
# shellcheck disable=SC2086  # one PID a word
check "after kill, the postmaster and all its processes are gone" all_gone "$pid" $children
check "after kill, status says stopped" fails bash "$harness" status "$dir"
check "after kill, the client of the open transaction saw the connection end" \
    hl_wait "exit of the client" hl_gone "$sleeper"
sleeper=
t0=$(now_ms)
check_eq "start again on the same DIR prints the same URI" "$uri" "$(bash "$harness" start "$dir")"
t1=$(now_ms)
echo "# restart after SIGKILL (crash recovery): $((t1 - t0)) ms"
check "the server recovered from a crash" \
    grep -q 'database system was not properly shut down; automatic recovery in progress' \
    "$dir/postgres.log"
check_eq "committed rows survive, the uncommitted one does not" \
    $'1|odd \'name\' ü|00ff0a27\n2|two|02' \
    "$(Q "SELECT id, name, encode(payload, 'hex') FROM t ORDER BY id")"

# --- stop, clean restart, watchdog ------------------------------------------------------------
pid=$(hl_recorded "$dir/.harness/postmaster.pid")
children=$(hl_children "$pid")
check "stop" bash "$harness" stop "$dir"
check "after stop, the postmaster is gone" hl_gone "$pid"
check "stop again is a no-op" bash "$harness" stop "$dir"
check_eq "after stop, no postmaster.pid is left (a clean shutdown)" "" \
    "$(ls "$dir/data/postmaster.pid" 2>/dev/null)"
sleep 600 &
owner_pid=$!
disown "$owner_pid"
check_eq "start after a clean stop" "$uri" \
    "$(VS_HARNESS_OWNER=$owner_pid bash "$harness" start "$dir")"
check_eq "the rows are still there" 2 "$(Q 'SELECT count(*) FROM t')"
pid=$(hl_recorded "$dir/.harness/postmaster.pid")
watchdog=$(hl_recorded "$dir/.harness/watchdog.pid")
kill -KILL "$owner_pid"
check "when the owner dies, the watchdog stops the server" \
    hl_wait "exit of the postmaster after its owner died" hl_gone "$pid"
check "and then ends" hl_wait "exit of the watchdog" hl_gone "$watchdog"
owner_pid=

# --- refusals --------------------------------------------------------------------------------
long=/tmp/$(printf 'x%.0s' {1..100})
check_eq "a DIR too long for a unix socket is refused before anything starts" \
    "pg-harness: socket path $long/.s.PGSQL.5432 is 119 bytes, unix sockets allow 107: use a shorter DIR" \
    "$(bash "$harness" start "$long" 2>&1)"
mkdir "$work/busy"
touch "$work/busy/file"
check_eq "a directory that is not empty is refused" \
    "pg-harness: $work/busy is not empty and was not set up by pg-harness: give it an empty directory" \
    "$(bash "$harness" start "$work/busy" 2>&1)"
check_eq "and left as it was" "$(id -u) file" "$(stat -c %u "$work/busy") $(ls -A "$work/busy")"
check_eq "a relative DIR is refused" "pg-harness: DIR must be an absolute path: pg" \
    "$(cd "$work" && bash "$harness" start pg 2>&1)"

tap_done
