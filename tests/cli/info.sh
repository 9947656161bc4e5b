# snapshot-info, snapshot-parent and snapshot-current (get and set).
. "$CLI_TESTS/lib.sh"
origin virsh
define_domain demo
make_tree

run snapshot-info demo s1
run snapshot-info demo s3
run snapshot-info demo --current
run snapshot-info demo --snapshotname s2
run snapshot-info demo
run snapshot-info demo s1 --current
run snapshot-info demo nosuch
run -q snapshot-info demo s4

run snapshot-parent demo s3
run snapshot-parent demo s4
run snapshot-parent demo s1
run snapshot-parent demo --current
run snapshot-parent demo
run snapshot-parent demo s2 --current
run snapshot-parent demo nosuch
run -q snapshot-parent demo s2

run snapshot-current demo --name
run -q snapshot-current demo --name
run snapshot-current demo
run snapshot-current demo --security-info
run snapshot-current demo --name x
run snapshot-current demo nosuch
run snapshot-current demo s2
run -q snapshot-current demo s3
run snapshot-current demo --name
run snapshot-info demo s3
run snapshot-current demo --snapshotname=s1
run snapshot-current demo --name
run snapshot-info demo --current
run snapshot-current demo ''
