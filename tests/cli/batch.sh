# Several commands per invocation: ';' as its own argument (virtsnap's
# addition; virsh only splits a single command-string argument), and one
# command string per line on standard input.
. "$CLI_TESTS/lib.sh"
origin virtsnap
define_domain demo
make_tree

run snapshot-parent demo s4 ';' snapshot-parent demo s3
run snapshot-info demo ';' snapshot-parent demo s3
run snapshot-parent demo s3 ';' snapshot-info demo
run snapshot-parent demo s3 ';' snapshot-info demo --bogus
run snapshot-parent demo s3 ';' ';' snapshot-current demo --name ';'
run -q snapshot-parent demo s4 ';' snapshot-parent demo s3
run snapshot-current demo --snapshotname ';'
run snapshot-current demo --snapshotname=';'
run 'snapshot-current demo s2; snapshot-current demo --name'

note standard input: one command string per line
run_input 'snapshot-list demo --name
snapshot-parent demo s4; snapshot-parent demo s3
# a comment line

  snapshot-info   demo   "s2"
snapshot-current demo --name' 
run_input 'snapshot-list demo --name
snapshot-info demo' -q
run_input 'snapshot-info demo
snapshot-list demo --name' -q
run_input 'snapshot-info demo --bogus
snapshot-parent demo s4 "unterminated
snapshot-parent demo s4' -q
run_input 'snapshot-parent demo s4
quit
snapshot-parent demo s3'
run_input 'snapshot-parent demo s4 ; exit ; snapshot-parent demo s3' -q
run_input 'help quit' -q
run_input '' -q
run_input 'xml -' -q
run_input 'snapshot-list demo --tree' --store=store -q

note a batch that creates and lists in one process
mksnap s5 s4 1700000400 >s5.xml
run snapshot-create demo s5.xml --redefine --current ';' snapshot-list demo --tree ';' snapshot-current demo --name
