# snapshot-list: option conflicts and their order of precedence.
. "$CLI_TESTS/lib.sh"
origin virsh
define_domain demo
make_tree

run snapshot-list demo --tree --name
run snapshot-list demo --parent --roots
run snapshot-list demo --parent --tree
run snapshot-list demo --roots --tree
run snapshot-list demo --roots --from s1
run snapshot-list demo --roots --current
run snapshot-list demo --tree --leaves
run snapshot-list demo --tree --no-leaves
run snapshot-list demo --tree --inactive
run snapshot-list demo --tree --active
run snapshot-list demo --tree --disk-only
run snapshot-list demo --tree --internal
run snapshot-list demo --tree --external
run snapshot-list demo --descendants
run snapshot-list demo --descendants --leaves
run snapshot-list demo --from s1 --current
run snapshot-list demo --tree --name --roots --parent
run snapshot-list demo --roots --tree --leaves
run snapshot-list demo --external --tree --leaves
run snapshot-list demo --descendants --tree --leaves
run snapshot-list demo --from nosuch --current
run snapshot-list demo --from ''
run snapshot-list ''
run snapshot-list
run snapshot-list demo --bogus
run snapshot-list demo --tree=yes
run snapshot-list demo --from
run snapshot-list demo --from s1 --from s2
run snapshot-list demo s1 s2
run snapshot-list demo --name --name
