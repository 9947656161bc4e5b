# The snapshot-metadata parts of virsh's undefine and domrename.
. "$CLI_TESTS/lib.sh"
origin virtsnap
define_domain demo
make_tree

note "undefine refuses while snapshots exist, like virsh without --snapshots-metadata"
run undefine demo
run snapshot-list demo --name

note "domrename moves the whole tree in one rename"
run domrename demo renamed
run snapshot-list demo --name
run snapshot-list renamed --tree
ls
mksnap x '' 1700000000 >x.xml
run snapshot-create taken x.xml --redefine
run VIRTSNAP_STORE=store domrename renamed taken
run VIRTSNAP_STORE=store domrename nosuch other
run domrename renamed ../escape

note "--snapshots-metadata drops every snapshot without re-parenting; the file goes"
run undefine renamed --snapshots-metadata
run snapshot-list renamed --name
ls
run undefine renamed

note "an exported directory never outlives the file it copies: moved aside first, and said"
export VIRTSNAP_STORE=store
make_tree
run export-legacy demo
run domrename demo moved
ls -A store store/.virtsnap/legacy/demo
run export-legacy moved
run snapshot-delete moved s3 --children --metadata
ls store
run snapshot-delete moved s1 --children --metadata
ls -A store store/.virtsnap/legacy/moved
