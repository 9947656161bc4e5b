# checkpoint-*: redefine, list (every filter and layout), info, parent,
# dumpxml, delete --metadata, and the answers virsh gives for an inactive VM.
. "$CLI_TESTS/lib.sh"
origin virsh
define_domain demo

mkckpt c1 '' 1700000000 disks=vda:bitmap,vdb:no desc='root, with domain' >c1.xml
mkckpt c2 c1 1700000100 disks=vda domain=no >c2.xml
mkckpt c3 c2 1700000200 >c3.xml
mkckpt B4 c1 1700000300 disks=/var/lib/libvirt/images/demo-data.qcow2::bm >b4.xml
mkckpt a5 '' 1600000000 domain=no >a5.xml
for c in c1 c2 c3 b4 a5; do
    run checkpoint-create demo $c.xml --redefine
done

note listing
run checkpoint-list demo
run checkpoint-list demo --parent
run checkpoint-list demo --tree
run checkpoint-list demo --name
run checkpoint-list demo --roots
run checkpoint-list demo --leaves
run checkpoint-list demo --no-leaves
run checkpoint-list demo --leaves --no-leaves
run checkpoint-list demo --from c1
run checkpoint-list demo --from c1 --descendants
run checkpoint-list demo --from c1 --tree
run checkpoint-list demo --from c1 --descendants --name
run checkpoint-list demo --tree --name
run checkpoint-list demo --tree --parent
run checkpoint-list demo --roots --from c1
run checkpoint-list demo --parent --roots
run checkpoint-list demo --descendants
run checkpoint-list demo --from nope
run checkpoint-list nosuch

note info, parent, dumpxml
run checkpoint-info demo c1
run checkpoint-info demo c2
run checkpoint-info demo nope
run checkpoint-info demo
run checkpoint-parent demo c3
run checkpoint-parent demo c1
run checkpoint-dumpxml demo c1
run checkpoint-dumpxml demo c1 --no-domain
run checkpoint-dumpxml demo c2
run checkpoint-dumpxml demo B4 --security-info
run checkpoint-dumpxml demo c1 --size
run checkpoint-dumpxml demo c1 --xpath //disk
run checkpoint-dumpxml demo c1 --xpath //disk/@name --wrap
run checkpoint-dumpxml demo c2 --xpath '//parent/name/text()'
run checkpoint-dumpxml demo

note what needs a running VM
run checkpoint-create demo
run checkpoint-create-as demo --name n1
run checkpoint-create-as demo --name n1 --quiesce
run checkpoint-create demo c2.xml --redefine --redefine-validate
run checkpoint-create demo c2.xml --redefine --quiesce
run checkpoint-create-as demo --name n1 --description 'a <b>' --diskspec vda,checkpoint=bitmap,bitmap=b1 --diskspec vdb,checkpoint=no --print-xml
run checkpoint-create-as demo --print-xml
run checkpoint-delete demo c2

note redefine refusals
mkckpt x c0 1700000400 domain=no >x-noparent.xml
run checkpoint-create demo x-noparent.xml --redefine
mkckpt x x 1700000400 domain=no >x-self.xml
run checkpoint-create demo x-self.xml --redefine
mkckpt c1 c3 1700000000 domain=no >c1-cycle.xml
run checkpoint-create demo c1-cycle.xml --redefine
mkckpt x '' 1700000400 disks=vdz >x-nodisk.xml
run checkpoint-create demo x-nodisk.xml --redefine
mkckpt x '' 1700000400 disks=vda,vda >x-twice.xml
run checkpoint-create demo x-twice.xml --redefine
mkckpt x '' 1700000400 disks=vda,vdb,vdc >x-many.xml
run checkpoint-create demo x-many.xml --redefine
mkckpt '' '' 1700000400 domain=no >x-noname.xml
run checkpoint-create demo x-noname.xml --redefine
mkckpt x '' '' domain=no >x-notime.xml
run checkpoint-create demo x-notime.xml --redefine
run checkpoint-list demo --name

note redefining an existing checkpoint keeps its children
mkckpt c2 c1 1700000150 disks=vda domain=no desc=updated >c2-update.xml
run checkpoint-create demo c2-update.xml --redefine
run checkpoint-info demo c2
run checkpoint-dumpxml demo c2

note deleting metadata
run checkpoint-delete demo c2 --metadata
run checkpoint-list demo --parent
run checkpoint-delete demo c1 --children --children-only --metadata
run checkpoint-delete demo c1 --children-only --metadata
run checkpoint-list demo --parent
run checkpoint-delete demo c1 --children --metadata
run checkpoint-list demo --parent
