# Definitions as pieces (format 3) for users: store-dumpxml prints the
# document every kind of store holds; copy-store converts between a zstd
# store and a pieces store, both ways, without changing it; zstdcat of a
# pieces file shows references; the snapshot commands on a pieces store
# behave as on a zstd store.
. "$CLI_TESTS/lib.sh"
origin virtsnap
define_domain demo
make_tree >/dev/null
# a second definition: the VM after a memory hot-plug
mksnap s5 s4 1700000400 | sed 's|>65536</memory>|>131072</memory>|' >s5.xml
run snapshot-create demo s5.xml --redefine >/dev/null
mkckpt c1 '' 1700000000 >c1.xml
run checkpoint-create demo c1.xml --redefine >/dev/null

# dump STORE [OPTION]: the document store-dumpxml prints, byte for byte.
dump() {
    "$VIRTSNAP" -q --store "$1" store-dumpxml demo "${@:2}"
}
# same WHAT FILE1 FILE2: one line saying whether the two are equal.
same() {
    if cmp -s "$2" "$3"; then echo "$1: the same"; else echo "$1: DIFFERENT"; fi
}

note "a zstd store: with -q, what zstdcat shows"
run store-dumpxml demo --checkpoints | sed '/^    <domain /,/^    <\/domain>/d'
dump store >zstd.doc
zstdcat -q store/demo.xml >file.doc
same "zstdcat of the zstd file" file.doc zstd.doc
run store-dumpxml nosuch

note "a plain store: the file itself"
run store-config --compression none >/dev/null
run snapshot-current demo s4 >/dev/null
dump store >plain.doc
same "the plain file" store/demo.xml plain.doc
same "and the zstd store's document" zstd.doc plain.doc

note "copied into a pieces store: each definition once, records name theirs"
run --store pieces store-config --compression pieces
# the checkpoint store (pieces/.virtsnap/checkpoint) has a setting of its own
run --store pieces/.virtsnap/checkpoint store-config --compression pieces >/dev/null
run copy-store store pieces
od -An -tx1 -N4 pieces/demo.xml
zstdcat -q pieces/demo.xml | grep -c "<domain type="
zstdcat -q pieces/demo.xml | grep -o "<snapshots[^>]*>\|<domain virtsnap-pieces='[0-9]*'/>"
dump pieces >pieces.doc
same "store-dumpxml of the pieces store" zstd.doc pieces.doc
dump store --checkpoints >zstd-ck.doc
dump pieces --checkpoints >pieces-ck.doc
same "its checkpoints" zstd-ck.doc pieces-ck.doc
zstdcat -q pieces/.virtsnap/checkpoint/demo.xml | grep -o "<domain virtsnap-pieces='[0-9]*'/>"
run copy-store store pieces

note "and back into a zstd store"
run copy-store pieces back
run --store back store-config
zstdcat -q back/demo.xml >back.doc
same "zstdcat of the copy back" zstd.doc back.doc

note "the snapshot commands on a pieces store, as on a zstd store"
# ops STORE: a short session on STORE's VM demo
ops() {
    local store=$1
    mksnap s6 s2 1700000500 | sed 's|>65536</memory>|>131072</memory>|' >s6.xml
    run --store "$store" snapshot-create demo s6.xml --redefine --current
    run --store "$store" snapshot-list demo --tree
    run --store "$store" snapshot-current demo --name
    run --store "$store" snapshot-info demo s5
    run --store "$store" snapshot-dumpxml demo s6 --xpath "//memory"
    run --store "$store" snapshot-delete demo s3 --metadata
    run --store "$store" snapshot-delete demo s6 --children-only --metadata
    run --store "$store" snapshot-parent demo s4
    run --store "$store" snapshot-list demo --name
}
ops pieces | tee pieces.ops
ops back >back.ops
sed 's/--store back/--store pieces/' back.ops | cmp -s - pieces.ops &&
    echo "the zstd store's transcript: the same" || echo "the zstd store's transcript: DIFFERENT"
dump back >back.doc
dump pieces >pieces.doc
same "store-dumpxml after the session" back.doc pieces.doc
zstdcat -q pieces/demo.xml | grep -c "virtsnap-pieces="
