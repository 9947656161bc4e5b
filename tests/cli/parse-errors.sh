# Documents libxml2 cannot parse.  The error line is virsh 9.0's, byte for
# byte; virsh then prints two more lines (the offending line and a caret
# under the position), which virtsnap leaves out on purpose: every error is
# one line (see tests/cli/README.md, "Deliberate differences").
. "$CLI_TESTS/lib.sh"
origin virtsnap
define_domain demo

printf '<domainsnapshot>' >unterminated.xml
run snapshot-create demo unterminated.xml --redefine
: >empty.xml
run snapshot-create demo empty.xml --redefine
echo 'hello world' >hello.xml
run snapshot-create demo hello.xml --redefine
printf '<domainsnapshot>\n  <name>a</name>\n  <state>shutoff</oops>\n</domainsnapshot>\n' >mismatch.xml
run snapshot-create demo mismatch.xml --redefine
printf '<domainsnapshot>\n  <name>a &bogus; b</name>\n</domainsnapshot>\n' >entity.xml
run snapshot-create demo entity.xml --redefine
printf '<domainsnapshot>\n  <name>a\001b</name>\n</domainsnapshot>\n' >control.xml
run snapshot-create demo control.xml --redefine
