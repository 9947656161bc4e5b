# snapshot-delete without --metadata (virtsnap never touches disk images,
# so it is the same), deleting everything, and the store file going away.
. "$CLI_TESTS/lib.sh"
origin virtsnap
define_domain demo
make_tree

run snapshot-delete demo s3
run snapshot-list demo --tree
run snapshot-current demo --name
run snapshot-delete demo s1 --children-only
run snapshot-list demo --tree
run snapshot-delete demo s1 --children
run snapshot-list demo
run snapshot-current demo
note "the VM's file is gone with its last snapshot"
ls "$VIRTSNAP_STORE"
run snapshot-delete demo s1
