# The store's settings: compression of the bulk files written from now on.
. "$CLI_TESTS/lib.sh"
origin virtsnap
define_domain demo
mksnap s1 '' 1700000000 >s1.xml
mksnap s2 s1 1700000100 >s2.xml

note "zstd unless the store says otherwise"
run store-config
run snapshot-create demo s1.xml --redefine
od -An -tx1 -N4 store/demo.xml

note "plain from the next write on; both kinds are read"
run store-config --compression none
cat store/.virtsnap/config
run snapshot-list demo --name
run snapshot-create demo s2.xml --redefine
head -c 11 store/demo.xml; echo
run snapshot-list demo --tree

note "and back"
run store-config --compression=zstd
run snapshot-delete demo s2 --metadata
od -An -tx1 -N4 store/demo.xml
run store-config --compression lz4

note "definitions as pieces (format 3): zstd frames too"
run store-config --compression pieces
cat store/.virtsnap/config
run snapshot-create demo s2.xml --redefine
od -An -tx1 -N4 store/demo.xml
run snapshot-list demo --tree
zstdcat -q store/demo.xml | grep -c "virtsnap-pieces="
run store-config --compression zstd
run snapshot-delete demo s2 --metadata
zstdcat -q store/demo.xml | grep -c "virtsnap-pieces="

note "a safety limit on the memory loading one VM may hold"
VIRTSNAP_STORE=store   # relative, so the error names a stable path
run store-config --load-limit 1K
run snapshot-list demo --name
run store-config --load-limit 1Q
run store-config --load-limit 0
run snapshot-list demo --name
