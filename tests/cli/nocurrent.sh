# A domain whose snapshots have no current one.  (A domain without
# snapshots is unknown to virtsnap: see unknown-domain and delete-images.)
. "$CLI_TESTS/lib.sh"
origin virsh
define_domain demo
mksnap s1 '' 1700000000 >s1.xml
run snapshot-create demo s1.xml --redefine

run snapshot-current demo
run snapshot-current demo --name
run snapshot-info demo --current
run snapshot-list demo --current
run snapshot-parent demo --current
run snapshot-delete demo --current --metadata
run snapshot-list demo --descendants
run snapshot-dumpxml demo s2

run snapshot-info demo s1
run snapshot-list demo --tree
