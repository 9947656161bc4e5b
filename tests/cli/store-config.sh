# The store's settings: compression of the bulk files written from now on.
. "$CLI_TESTS/lib.sh"
origin virtsnap
define_domain demo
mksnap s1 '' 1700000000 >s1.xml
mksnap s2 s1 1700000100 >s2.xml

run store-config
run snapshot-create demo s1.xml --redefine
head -c 11 store/demo.xml; echo

note "compressed from the next write on; both kinds are read"
run store-config --compression zstd
cat store/.virtsnap/config
run snapshot-list demo --name
run snapshot-create demo s2.xml --redefine
od -An -tx1 -N4 store/demo.xml
run snapshot-list demo --tree

note "and back"
run store-config --compression=none
run snapshot-delete demo s2 --metadata
head -c 11 store/demo.xml; echo
run store-config --compression lz4
