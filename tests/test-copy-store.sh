#!/bin/bash
# test-copy-store.sh — virtsnap copy-store between a directory and a
# PostgreSQL database (a private server, support/pg-harness.sh), both ways
# and database to database: the round trip gives the same files (the same
# documents: how a directory store's commits cut runs into frames depends
# on the commits before, format.md "Split runs"), a re-run writes nothing, an interrupted copy is completed by running it
# again; checkpoints travel too.  TAP output.
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/support/tap.sh"
V=${VIRTSNAP:?VIRTSNAP must name the virtsnap binary}

work=$(mktemp -d "${TMPDIR:-/tmp}/vs-copy.XXXXXX") && chmod 755 "$work" && mkdir "$work/pg" ||
    exit 1
trap 'bash "$here/support/pg-harness.sh" stop "$work/pg"; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM HUP
db=$(bash "$here/support/pg-harness.sh" start "$work/pg")
rc=$?
if [[ $rc == 77 ]]; then
    echo "1..0 # SKIP PostgreSQL is not installed (./dev deps installs it)"
    exit 0
fi
[[ $rc == 0 ]] || { echo "Bail out! cannot start PostgreSQL"; exit 1; }
psql "$db" -X -q -c 'CREATE DATABASE second' || exit 1
db2=${db/virtsnap?/second?}
cd "$work" || exit 1

# The same file names under DIR1 and DIR2 (.virtsnap aside), each file
# the same document.
same_documents() {
    diff <(cd "$1" && find . -path ./.virtsnap -prune -o -type f -print | sort) \
         <(cd "$2" && find . -path ./.virtsnap -prune -o -type f -print | sort) || return 1
    local f
    while IFS= read -r f; do
        zstdcat -q -- "$1/$f" >"$work/one.doc" && zstdcat -q -- "$2/$f" >"$work/two.doc" &&
            cmp -s "$work/one.doc" "$work/two.doc" || return 1
    done < <(cd "$1" && find . -path ./.virtsnap -prune -o -type f -name '*.xml' -print)
}

# A directory store: VM 'a' with 300 snapshots (many frames), 'b' two,
# 'c d' one.
snap() {   # snap NAME PARENT TIME [DOMAIN]
    local parent=${2:+<parent><name>$2</name></parent>}
    printf '<domainsnapshot><name>%s</name><state>shutoff</state>%s<creationTime>%s</creationTime>%s</domainsnapshot>\n' \
        "$1" "$parent" "$3" "${4-<domain type='qemu'><name>a</name><uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid><memory>$((1024 + $3 % 7))</memory></domain>}"
}
mkdir dir
{
    snap r '' 1000 >r.xml
    echo "snapshot-create a r.xml --redefine"
    for i in $(seq 1 299); do
        snap "s$i" "$([[ $i -gt 1 ]] && echo "s$((i - 1))" || echo r)" $((1000 + i)) >"s$i.xml"
        echo "snapshot-create a s$i.xml --redefine"
    done
    snap x '' 2000 >x.xml
    snap y x 2001 >y.xml
    echo "snapshot-create b x.xml --redefine"
    echo "snapshot-create b y.xml --redefine --current"
    echo "snapshot-create 'c d' x.xml --redefine"
} | "$V" --store "$PWD/dir" -q >/dev/null
check_eq "a directory store of 3 VMs" "a
b
c d" "$(cd dir && ls *.xml | sed 's/\.xml$//')"

# and two checkpoints of 'a', in the directory's checkpoint side
printf '<domaincheckpoint><name>c1</name><creationTime>1000</creationTime></domaincheckpoint>\n' >c1.xml
printf '<domaincheckpoint><name>c2</name><parent><name>c1</name></parent><creationTime>1001</creationTime></domaincheckpoint>\n' >c2.xml
"$V" --store "$PWD/dir" -q checkpoint-create a c1.xml --redefine >/dev/null
"$V" --store "$PWD/dir" -q checkpoint-create a c2.xml --redefine >/dev/null

check "copy-store directory -> database" "$V" copy-store dir "$db"
check_eq "the database has the checkpoints" "$("$V" --store dir checkpoint-list a --parent)" \
    "$("$V" --store "$db" checkpoint-list a --parent)"
check_eq "the database lists the same snapshots" "$("$V" --store dir snapshot-list a --name)" \
    "$("$V" --store "$db" snapshot-list a --name)"
check "copy-store database -> database" "$V" copy-store "$db" "$db2"
check "copy-store database -> directory" "$V" copy-store "$db2" back
check "the round trip gives the same documents" same_documents dir back
check "... and checkpoint files" cmp dir/.virtsnap/checkpoint/a.xml back/.virtsnap/checkpoint/a.xml
check_eq "a re-run writes nothing" "Copied 0 VMs (3 already identical)
Copied the checkpoints of 0 VMs (1 already identical)" "$("$V" copy-store dir "$db" 2>&1)"

# An interrupted copy: one VM missing, another behind.
"$V" --store "$db" -q undefine b --snapshots-metadata >/dev/null
"$V" --store "$db" -q snapshot-delete a s299 --metadata >/dev/null
check_eq "a re-run completes an interrupted copy" "Copied 2 VMs (1 already identical)
Copied the checkpoints of 0 VMs (1 already identical)" "$("$V" copy-store dir "$db" 2>&1)"
rm -rf back
check "and the result round-trips again" "$V" copy-store "$db" back
check "the same documents" same_documents dir back

out=$("$V" copy-store dir "postgresql://u:secret@/virtsnap?host=$work/none" 2>&1)
check_eq "an unreachable database: one line" "1" "$(printf '%s\n' "$out" | grep -c 'cannot connect')"
check "... without the password" bash -c "! grep -q secret <<<'$out'"

echo "1..$TAP_COUNT"
[[ $TAP_FAILED == 0 ]]
