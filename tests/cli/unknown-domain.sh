# A VM the store has nothing for (issue 11, item 16): every command but the
# creating ones fails as virsh does for an undefined domain.  virsh knows
# "otherdom" nowhere; virtsnap has snapshots of "demo" only.
. "$CLI_TESTS/lib.sh"
origin virsh
define_domain demo
mksnap s1 '' 1700000000 >s1.xml
run -q snapshot-create demo s1.xml --redefine --current

run snapshot-list otherdom
run snapshot-list otherdom --tree
run -q snapshot-list otherdom --name
run snapshot-list otherdom --roots --leaves
run snapshot-info otherdom s1
run snapshot-info otherdom --current
run snapshot-info otherdom
run snapshot-current otherdom
run snapshot-current otherdom --name
run snapshot-current otherdom --security-info
run snapshot-current otherdom s1
run snapshot-dumpxml otherdom s1
run snapshot-dumpxml otherdom s1 --xpath //name
run snapshot-parent otherdom s1
run snapshot-parent otherdom --current
run snapshot-delete otherdom s1 --metadata
run snapshot-delete otherdom --current --metadata
run snapshot-delete otherdom s1 --children --children-only
run snapshot-delete otherdom
run snapshot-revert otherdom s1
run snapshot-revert otherdom s1 --running --paused
run snapshot-revert otherdom --current
run snapshot-edit otherdom s1
run snapshot-edit otherdom --current
run undefine otherdom
run domrename otherdom newname

note "option errors come first, as in virsh"
run snapshot-list otherdom --tree --name
run snapshot-list otherdom --roots --from s1
run snapshot-current otherdom --name s1
run snapshot-edit otherdom s1 --rename --clone

note "the known VM is unaffected"
run snapshot-list demo --name
