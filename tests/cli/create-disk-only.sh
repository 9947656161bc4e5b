# A disk-only plain create must name new external files after the
# current disk images, so libvirt checks that each source is a regular
# file (here none exists, as the domain's images were never created).
. "$CLI_TESTS/lib.sh"
origin virsh
define_domain demo
make_tree

run VIRTSNAP_NOW=1700000900 snapshot-create-as demo dsk --disk-only
run VIRTSNAP_NOW=1700000900 snapshot-create demo --disk-only
run snapshot-list demo --name
