#!/bin/bash
# run-cli.sh — golden CLI tests, TAP output.
#
# Every tests/cli/NAME.sh (except this runner, lib.sh and
# make-goldens-from-virsh.sh) runs in a fresh temporary directory with
# VIRTSNAP=<binary>, an empty store, TZ=UTC and LC_ALL=C.UTF-8; its
# transcript (see lib.sh) must equal NAME.out byte for byte.
# VIRTSNAP_REGENERATE=1 rewrites NAME.out instead (review the diff).
# Arguments, if any, select scenarios by name.
#
# CLI_STORE=LOCATION runs every scenario against that store instead of
# WORK/store (the database store: run-cli-pg.sh), running CLI_STORE_RESET
# (a shell command) before each to empty it.
set -u

here=$(cd "$(dirname "$0")" && pwd)
if [[ -z ${VIRTSNAP:-} || ! -x $VIRTSNAP ]]; then
    echo "Bail out! VIRTSNAP must name the virtsnap binary"
    exit 1
fi
VIRTSNAP=$(realpath "$VIRTSNAP")

scenarios=()
for f in "$here"/*.sh; do
    name=$(basename "$f" .sh)
    case $name in
    run-cli | run-cli-pg | lib | make-goldens-from-virsh) continue ;;
    esac
    if [[ $# -gt 0 ]]; then
        want=0
        for a in "$@"; do [[ $a == "$name" ]] && want=1; done
        [[ $want == 1 ]] || continue
    fi
    scenarios+=("$name")
done

echo "1..${#scenarios[@]}"
n=0
failed=0
for name in "${scenarios[@]}"; do
    n=$((n + 1))
    work=$(mktemp -d "${TMPDIR:-/tmp}/virtsnap-cli.XXXXXX")
    actual=$work.out
    if [[ -n ${CLI_STORE_RESET:-} ]] && ! bash -c "$CLI_STORE_RESET"; then
        echo "Bail out! CLI_STORE_RESET failed"
        exit 1
    fi
    (
        cd "$work" || exit 1
        # A clean environment; the schema directory, VIRTSNAP_WRAPPER
        # (e.g. "valgrind -q --error-exitcode=99"), G_DEBUG and the
        # sanitizers' options pass through.
        exec env -i PATH="$PATH" HOME="$work" TMPDIR="$work" TZ=UTC LC_ALL=C.UTF-8 \
            VIRTSNAP="$VIRTSNAP" VIRTSNAP_STORE="${CLI_STORE:-$work/store}" CLI_TESTS="$here" \
            VIRTSNAP_WRAPPER="${VIRTSNAP_WRAPPER:-}" \
            VIRTSNAP_SCHEMA_DIR="${VIRTSNAP_SCHEMA_DIR:-$here/../../data/schemas}" \
            ${G_DEBUG:+G_DEBUG="$G_DEBUG"} \
            ${MALLOC_PERTURB_:+MALLOC_PERTURB_="$MALLOC_PERTURB_"} \
            ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
            ${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
            ${LSAN_OPTIONS:+LSAN_OPTIONS="$LSAN_OPTIONS"} \
            bash "$here/$name.sh"
    ) >"$actual" 2>&1
    if [[ ${VIRTSNAP_REGENERATE:-} == 1 ]]; then
        cp "$actual" "$here/$name.out"
        echo "ok $n - $name # regenerated"
    elif [[ -f $here/$name.out ]] && cmp -s "$actual" "$here/$name.out"; then
        echo "ok $n - $name"
    else
        failed=$((failed + 1))
        echo "not ok $n - $name"
        if [[ -f $here/$name.out ]]; then
            diff -u "$here/$name.out" "$actual" | head -200 | sed 's/^/# /'
        else
            echo "# missing $name.out"
        fi
    fi
    rm -rf "$work" "$actual"
done
[[ $failed == 0 ]]
