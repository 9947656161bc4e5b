# snapshot-dumpxml, with and without --security-info and --xpath.
. "$CLI_TESTS/lib.sh"
origin virsh
define_domain demo
make_tree

run snapshot-dumpxml demo s2
run snapshot-dumpxml demo s2 --security-info
run snapshot-dumpxml --snapshotname s1 --domain demo
run -q snapshot-dumpxml demo s3
run snapshot-dumpxml demo s2 --xpath //parent
run snapshot-dumpxml demo s2 --xpath //parent --wrap
run snapshot-dumpxml demo s2 --xpath '//disk/@name'
run snapshot-dumpxml demo s2 --xpath '//disk/@name' --wrap
run snapshot-dumpxml demo s2 --xpath '//disk'
run snapshot-dumpxml demo s2 --xpath '//disk' --wrap
run snapshot-dumpxml demo s2 --xpath '//name/text()'
run snapshot-dumpxml demo s2 --xpath '//graphics' --security-info
run snapshot-dumpxml demo s2 --xpath '//graphics'
run snapshot-dumpxml demo s2 --xpath //nothing
run snapshot-dumpxml demo s2 --xpath //nothing --wrap
run snapshot-dumpxml demo s2 --xpath 'count(//disk)'
run -q snapshot-dumpxml demo s2 --xpath '/domainsnapshot/name'
run snapshot-dumpxml demo s2 --wrap
run snapshot-dumpxml demo s2 //parent
run snapshot-dumpxml demo
run snapshot-dumpxml demo nosuch
run snapshot-dumpxml demo nosuch --xpath //name
run snapshot-dumpxml demo ''
