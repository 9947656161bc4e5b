# --topological: parents before children; siblings by creation time then
# name (libvirt 9.0 uses its in-memory child lists, newest first).
. "$CLI_TESTS/lib.sh"
origin virtsnap
define_domain demo
make_tree
mksnap s0 s1 1600000000 >s0.xml
run snapshot-create demo s0.xml --redefine

run snapshot-list demo --topological
run snapshot-list demo --topological --parent
run snapshot-list demo --topological --name --from s1 --descendants
run snapshot-list demo --topological --tree
run snapshot-list demo --topological --tree --from s1

note names that compare equal ignoring case keep their topological order
mksnap apple s2 1700000400 >apple.xml
mksnap Apple s2 1700000500 >Apple.xml
mksnap APPLE s2 1700000450 >APPLE.xml
run snapshot-create demo apple.xml --redefine
run snapshot-create demo Apple.xml --redefine
run snapshot-create demo APPLE.xml --redefine
run snapshot-list demo --name
run snapshot-list demo --tree
