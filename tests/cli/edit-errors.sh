# snapshot-edit failures that virsh cannot show deterministically (it
# prints its temporary file's name, or crashes when the new XML is refused
# and stdin is not a terminal).
. "$CLI_TESTS/lib.sh"
origin virtsnap
define_domain demo
make_tree
printf 's|<domainsnapshot>|<broken>|\n' >broken.sed
printf 's|<state>shutoff</state>|<state>running</state>|\n' >running.sed
printf 's|<name>s2</name>|<name>s4</name>|\n' >dup.sed

run EDITOR=false snapshot-edit demo s2
run EDITOR='sed -i -f broken.sed' snapshot-edit demo s2
run EDITOR='sed -i -f running.sed' snapshot-edit demo s2
run EDITOR='sed -i -f dup.sed' snapshot-edit demo s2 --clone
run VISUAL='sed -i -f running.sed' EDITOR=false snapshot-edit demo s3
run snapshot-list demo --parent
ls "$TMPDIR" | grep -c '^virtsnap' || true
