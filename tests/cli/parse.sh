# virsh's command-line syntax: options anywhere, --opt=value, positionals,
# --, quoting in a single command string, ';' inside it, and parse errors.
. "$CLI_TESTS/lib.sh"
origin virsh
define_domain demo
make_tree

run snapshot-info --snapshotname s2 --domain demo
run snapshot-info --current demo
run snapshot-info demo --snapshotname=s2
run snapshot-info -- demo s2
run snapshot-info demo -- --current
run snapshot-info demo --current --
run snapshot-list demo --name --from s1 --descendants
run 'snapshot-info demo s2'
run 'snapshot-info "demo" '"'s2'"
run 'snapshot-list demo --name ; snapshot-parent demo s4'
run 'snapshot-list demo --name;snapshot-parent demo s4'
run 'snapshot-info demo ; snapshot-list demo --name'
run 'snapshot-list demo --name ; snapshot-info demo'
run 'snapshot-info demo --bogus ; snapshot-list demo --name'
run 'snapshot-list demo --name # a comment ; snapshot-info demo'
run 'snapshot-info demo s\2'
run 'snapshot-info demo "s2'
run 'snapshot-info demo s2\'
run "snapshot-info demo 's2"
run 'snapshot-info demo s2 ;; snapshot-parent demo s2'
run ' ; '
run ''
run bogus-command
run 'bogus-command demo'
run snapshot-info demo s2 --bogus
run snapshot-info demo s2 s3
run snapshot-info demo s2 --current=yes
run snapshot-info demo --snapshotname
run snapshot-info demo --snapshotname s2 --snapshotname s3
run snapshot-info demo s2 --snapshotname
run snapshot-list demo s1 --from
run snapshot-list demo --name --name=x
run snapshot-info demo --current --current
run snapshot-info
run snapshot-dumpxml demo
run snapshot-parent '' s2
run --bogus
run -x snapshot-list demo
