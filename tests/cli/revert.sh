# snapshot-revert: metadata only, so reverting makes the snapshot current.
. "$CLI_TESTS/lib.sh"
origin virtsnap
define_domain demo
make_tree

run snapshot-revert demo s2
run snapshot-current demo --name
run snapshot-revert demo --current
run snapshot-revert demo s1 --running
run snapshot-revert demo s3 --paused --force
run snapshot-current demo --name
run snapshot-revert demo s1 --running --paused
run snapshot-current demo --name
run snapshot-revert demo nosuch
run snapshot-revert demo
run snapshot-revert demo s1 --current
run -q snapshot-revert demo s4
run snapshot-info demo s4
