#!/bin/bash
# run-cli-pg.sh — the golden CLI scenarios against the PostgreSQL store:
# the same NAME.out, byte for byte, with VIRTSNAP_STORE a database URI (a
# private PostgreSQL 15, tests/support/pg-harness.sh; the virtsnap schema
# dropped before each scenario).  TAP output, like run-cli.sh.
#
# Left out, by name, the scenarios that look at a directory store itself:
# libvirt's per-file layout (legacy-*, undefine-rename: legacy directories
# moved aside), the store's files (delete-images, store-config: ls, od,
# cat of DIR/...), an explicit --store=DIR (batch, global, pieces: zstdcat
# of a directory store's files beside the dumps); checkpoint-legacy
# (libvirt's checkpoint directories) and checkpoint-store (the checkpoint
# store's files).
set -u

here=$(cd "$(dirname "$0")" && pwd)
support=$here/../support
skip=" legacy-collisions legacy-convert legacy-problems undefine-rename delete-images "
skip+=" store-config batch global pieces checkpoint-legacy checkpoint-store "

work=$(mktemp -d "${TMPDIR:-/tmp}/vs-clipg.XXXXXX") && chmod 755 "$work" && mkdir "$work/pg" ||
    exit 1
trap 'bash "$support/pg-harness.sh" stop "$work/pg"; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM HUP
uri=$(bash "$support/pg-harness.sh" start "$work/pg")
rc=$?
if [[ $rc == 77 ]]; then
    echo "1..0 # SKIP PostgreSQL is not installed (./dev deps installs it)"
    exit 0
fi
[[ $rc == 0 ]] || { echo "Bail out! cannot start PostgreSQL"; exit 1; }

names=()
for f in "$here"/*.sh; do
    name=$(basename "$f" .sh)
    case $name in
    run-cli | run-cli-pg | lib | make-goldens-from-virsh) continue ;;
    esac
    [[ $skip == *" $name "* ]] && continue
    if [[ $# -gt 0 ]]; then
        want=0
        for a in "$@"; do [[ $a == "$name" ]] && want=1; done
        [[ $want == 1 ]] || continue
    fi
    names+=("$name")
done

CLI_STORE=$uri \
CLI_STORE_RESET="PGOPTIONS='-c client_min_messages=warning' psql '$uri' -X -q -v ON_ERROR_STOP=1 -c 'DROP SCHEMA IF EXISTS virtsnap CASCADE' >&2" \
    bash "$here/run-cli.sh" "${names[@]}"
