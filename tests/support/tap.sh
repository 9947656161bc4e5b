# tap.sh — sourced by the component tests (test-*-harness.sh): TAP output, checks that
# print what differed, and the process/socket facts the tests assert.

TAP_COUNT=0
TAP_FAILED=0

tap_ok() {   # tap_ok DESCRIPTION
    TAP_COUNT=$((TAP_COUNT + 1))
    echo "ok $TAP_COUNT - $1"
}

tap_fail() {   # tap_fail DESCRIPTION [DETAIL...]
    TAP_COUNT=$((TAP_COUNT + 1))
    TAP_FAILED=$((TAP_FAILED + 1))
    echo "not ok $TAP_COUNT - $1"
    shift
    [ $# -eq 0 ] || printf '%s\n' "$@" | sed 's/^/#   /'
}

# check DESCRIPTION COMMAND...: one test point from a command's exit status; its output is
# shown only when it fails.
check() {
    local what=$1 out
    shift
    if out=$("$@" 2>&1); then
        tap_ok "$what"
    else
        tap_fail "$what" "command: $*" "$out"
    fi
}

# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
    if [ "$2" = "$3" ]; then
        tap_ok "$1"
    else
        tap_fail "$1" "expected:" "$2" "actual:" "$3"
    fi
}

# Ends the plan; the exit status says whether every point passed.
tap_done() {
    echo "1..$TAP_COUNT"
    [ "$TAP_FAILED" -eq 0 ]
}

# tap_skip_all REASON: the whole program is skipped (meson reports SKIP with the reason).
tap_skip_all() {
    echo "1..0 # SKIP $1"
    exit 0
}

# now_ms: a wall-clock reading, only for the timings the tests print (never asserted).
now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# inet_sockets PID...: the IPv4/IPv6 (TCP or UDP) sockets these processes hold, one
# "proto inode" a line; empty when they have only unix sockets.
inet_sockets() {
    local pid fd link inodes=" " proto
    for pid in "$@"; do
        for fd in /proc/"$pid"/fd/*; do
            link=$(readlink "$fd" 2>/dev/null) || continue
            [[ $link == socket:\[*\] ]] && inodes+="${link:8:-1} "
        done
    done
    for proto in tcp tcp6 udp udp6; do
        awk -v inodes="$inodes" -v proto="$proto" \
            'NR > 1 && index(inodes, " " $10 " ") { print proto, $10 }' "/proc/net/$proto"
    done
}

# service_uid PID: the real uid a process runs as.
service_uid() {
    awk '/^Uid:/ { print $2 }' "/proc/$1/status"
}
