# Plain creates (what a hypervisor would do, metadata only): the clock
# comes from VIRTSNAP_NOW, the VM's definition from --domain-xml or the
# current snapshot, its state from --state.
. "$CLI_TESTS/lib.sh"
origin virtsnap
define_domain demo
cp "$CLI_DATA/demo-canonical.xml" dom.xml

note no current snapshot and no --domain-xml: nothing to take the domain from
run VIRTSNAP_NOW=1700000000 snapshot-create-as demo first
run VIRTSNAP_NOW=1700000000 snapshot-create-as demo first --domain-xml dom.xml
run snapshot-dumpxml demo first
run VIRTSNAP_NOW=1700000100 snapshot-create demo
run VIRTSNAP_NOW=1700000200 snapshot-create-as demo --description 'no name given'
run VIRTSNAP_NOW=1700000200 snapshot-create-as demo
run snapshot-list demo --tree
run snapshot-list demo --parent
run snapshot-dumpxml demo 1700000200

note running and paused VMs, disk-only
run VIRTSNAP_NOW=1700000300 snapshot-create-as demo live --state running
run snapshot-info demo live
run snapshot-dumpxml demo live --xpath /domainsnapshot/state
run VIRTSNAP_NOW=1700000400 snapshot-create-as demo paused --state paused --memspec snapshot=no
run VIRTSNAP_NOW=1700000400 snapshot-create-as demo paused --state paused
run snapshot-dumpxml demo paused --xpath /domainsnapshot/memory
run VIRTSNAP_NOW=1700000500 snapshot-create-as demo dsk --disk-only --state running --diskspec vda,file=/var/lib/libvirt/images/demo.dsk --diskspec vdb,file=/var/lib/libvirt/images/demo-data.dsk
run snapshot-info demo dsk
run snapshot-dumpxml demo dsk
run VIRTSNAP_NOW=1700000600 snapshot-create-as demo ext --state running --memspec /var/lib/libvirt/qemu/save/ext.mem --diskspec vda,snapshot=external,file=/var/lib/libvirt/images/demo.ext --diskspec vdb,snapshot=external,file=/var/lib/libvirt/images/demo-data.ext
run snapshot-info demo ext
run snapshot-list demo --external --name
run snapshot-list demo --active --name
run snapshot-list demo --disk-only --name

note from a file, with a description and a name
printf '<domainsnapshot>\n  <name>fromfile</name>\n  <description>made from a file</description>\n</domainsnapshot>\n' >plain.xml
run VIRTSNAP_NOW=1700000700 snapshot-create demo plain.xml
run snapshot-info demo --current
run VIRTSNAP_NOW=1700000800 snapshot-create demo plain.xml --validate

note refusals
run VIRTSNAP_NOW=1700000900 snapshot-create-as demo live
run VIRTSNAP_NOW=1700000900 snapshot-create-as demo a/b
run VIRTSNAP_NOW=1700000900 snapshot-create-as demo .hidden
run VIRTSNAP_NOW=1700000900 snapshot-create-as demo nm --no-metadata
run snapshot-create demo plain.xml --no-metadata
run snapshot-create demo plain.xml --redefine --no-metadata
run snapshot-create demo plain.xml --current
run snapshot-create demo plain.xml --redefine --domain-xml dom.xml
run snapshot-create demo plain.xml --redefine --state running
run VIRTSNAP_NOW=1700000900 snapshot-create-as demo bad --state bogus
run VIRTSNAP_NOW=1700000900 snapshot-create-as demo bad --state disk-snapshot
run VIRTSNAP_NOW=1700000900 snapshot-create-as demo bad --state nostate
run VIRTSNAP_NOW=1700000900 snapshot-create-as demo bad --domain-xml nosuch.xml
run VIRTSNAP_NOW=1700000900 snapshot-create-as demo bad --memspec snapshot=internal
run VIRTSNAP_NOW=1700000900 snapshot-create-as demo bad --diskspec vdz
printf '<domainsnapshot><bogus/></domainsnapshot>\n' >invalid.xml
run VIRTSNAP_NOW=1700000900 snapshot-create demo invalid.xml --validate
run VIRTSNAP_NOW=1700000900 snapshot-create-as demo --validate --diskspec vda,snapshot=bogus
run VIRTSNAP_NOW=1700000900 snapshot-create demo invalid.xml
run VIRTSNAP_NOW=notanumber snapshot-create-as demo bad
run VIRTSNAP_NOW=1700001000 -q snapshot-create-as demo quiet
run snapshot-list demo --name
