# Plain creates that libvirt refuses before touching any disk image (a
# successful plain create would need the VM, so those are in create.sh).
# virtsnap takes the VM's definition from the current snapshot here.
# (--validate errors name libvirt's schema path: see create.sh.)
. "$CLI_TESTS/lib.sh"
origin virsh
define_domain demo
make_tree
printf '<domainsnapshot>\n  <name>fromfile</name>\n</domainsnapshot>\n' >plain.xml

run snapshot-create-as demo s2
run snapshot-create-as demo a/b
run snapshot-create-as demo .hidden
run snapshot-create-as demo ext --diskspec vda,snapshot=external,file=/var/lib/libvirt/images/ext.qcow2 --diskspec vdb,snapshot=no
run snapshot-create-as demo nomem --memspec snapshot=no --diskspec vda,snapshot=no --diskspec vdb,snapshot=no
run snapshot-create-as demo mixed --diskspec vda,snapshot=internal --diskspec vdb,snapshot=no
run snapshot-create-as demo mem --memspec snapshot=internal
run snapshot-create-as demo memfile --memspec /var/lib/libvirt/qemu/save/mem
run snapshot-create-as demo vdz --diskspec vdz
run snapshot-create-as demo twice --diskspec vda --diskspec vda
run snapshot-create demo plain.xml --current
run snapshot-create demo plain.xml --redefine --no-metadata
run snapshot-create demo --redefine
run snapshot-list demo --name
