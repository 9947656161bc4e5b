# snapshot-delete without --metadata: virtsnap never touches disk or memory
# data, so it deletes the same as with --metadata and says so on stderr;
# deleting everything, and the store file going away: a VM without
# snapshots is unknown (virsh's "failed to get domain") until a create.
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
note "a create starts the VM again; with --metadata there is no warning"
run -q snapshot-create demo s1.xml --redefine
run snapshot-delete demo s1 --metadata
run snapshot-list demo
note "within one batch too (the VM's handle is kept between its commands)"
run -q 'snapshot-create demo s1.xml --redefine; snapshot-delete demo s1 --metadata; snapshot-list demo; snapshot-create demo s1.xml --redefine; snapshot-list demo --name'
