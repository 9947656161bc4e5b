# snapshot-delete --metadata: re-parenting, current moves, subtrees.
. "$CLI_TESTS/lib.sh"
origin virsh
define_domain demo
make_tree
mksnap s5 s4 1700000400 >s5.xml
mksnap s6 s4 1700000500 >s6.xml
run snapshot-create demo s5.xml --redefine
run snapshot-create demo s6.xml --redefine --current
run snapshot-list demo --tree

note deleting a middle snapshot re-parents its children
run snapshot-delete demo s4 --metadata
run snapshot-list demo --parent
run snapshot-current demo --name

note deleting the current snapshot makes its parent current
run snapshot-delete demo --current --metadata
run snapshot-current demo --name
run snapshot-list demo --tree

note --children-only keeps the snapshot, and it becomes current
run snapshot-create demo s6.xml --redefine --current
run snapshot-delete demo s3 --children-only --metadata
run snapshot-current demo --name
run snapshot-list demo --tree

note "--children removes the subtree; current moves to the parent"
run snapshot-create demo s4.xml --redefine --current
run snapshot-delete demo s3 --children --metadata
run snapshot-current demo --name
run snapshot-list demo --tree

note errors
run snapshot-delete demo nosuch --metadata
run snapshot-delete demo s2 --children --children-only --metadata
run snapshot-delete demo --metadata
run snapshot-delete demo s2 --current --metadata
run snapshot-delete demo '' --metadata

note deleting a root leaves no current snapshot
run snapshot-current demo s1
run snapshot-delete demo s1 --metadata
run snapshot-list demo --tree
run snapshot-current demo --name
run snapshot-info demo s2
run -q snapshot-delete demo s2 --metadata
