# --json on snapshot-list, snapshot-info, snapshot-current, snapshot-parent.
. "$CLI_TESTS/lib.sh"
origin virtsnap
define_domain demo
run snapshot-list demo --json
make_tree
mksnap 'q"uo\te' s2 1700000400 state=running desc="$(printf 'line1\nline2\t"x" \\ y')" >odd.xml
run snapshot-create demo odd.xml --redefine

run snapshot-list demo --json
run -q snapshot-list demo --json --roots
run snapshot-list demo --json --from s1 --parent
run snapshot-list demo --json --leaves --topological
run snapshot-info demo s3 --json
run snapshot-info demo 'q"uo\te' --json
run snapshot-current demo --json
run snapshot-parent demo s4 --json
run snapshot-parent demo s1 --json
run snapshot-list demo --json --tree
run snapshot-list demo --json --name
run snapshot-current demo --json --name
run snapshot-current demo s1 --json
run snapshot-info demo nosuch --json
