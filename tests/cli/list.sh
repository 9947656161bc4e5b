# snapshot-list: every listing mode and filter on the tree s1 -> {s2, s3 -> s4}.
. "$CLI_TESTS/lib.sh"
origin virsh
define_domain demo
make_tree

run snapshot-list demo
run snapshot-list demo --parent
run snapshot-list demo --tree
run snapshot-list demo --name
run snapshot-list demo --roots
run snapshot-list demo --leaves
run snapshot-list demo --no-leaves
run snapshot-list demo --leaves --no-leaves
run snapshot-list demo --from s1
run snapshot-list demo s1
run snapshot-list demo --from=s3 --name
run snapshot-list demo --from s1 --descendants
run snapshot-list demo --from s1 --descendants --leaves
run snapshot-list demo --from s1 --tree
run snapshot-list demo --from s3 --tree
run snapshot-list demo --from s4
run snapshot-list demo --from s1 --tree --descendants
run snapshot-list demo --current
run snapshot-list demo --current --tree
run snapshot-list demo --current --descendants --name
run snapshot-list demo --metadata
run snapshot-list demo --no-metadata
run snapshot-list demo --metadata --no-metadata
run snapshot-list demo --inactive
run snapshot-list demo --active
run snapshot-list demo --disk-only
run snapshot-list demo --internal
run snapshot-list demo --external
run snapshot-list demo --inactive --internal --name
run snapshot-list demo --parent --name
run snapshot-list demo --from nosuch
run snapshot-list --domain demo --roots --name
run snapshot-list --domain=demo --parent

note quiet mode: no header, no extra newline
run -q snapshot-list demo
run -q snapshot-list demo --parent
run -q snapshot-list demo --tree
run -q snapshot-list demo --name
run --quiet snapshot-list demo --from s4

note current moved to s2
run snapshot-current demo s2
run snapshot-list demo --current --tree
run snapshot-list demo --current
