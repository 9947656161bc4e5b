# snapshot-create-as --print-xml: the XML virsh builds from arguments.
. "$CLI_TESTS/lib.sh"
origin virsh
define_domain demo

run snapshot-create-as demo --print-xml
run -q snapshot-create-as demo --print-xml
run snapshot-create-as demo --print-xml --name n1 --description d --diskspec vda,snapshot=external,driver=qcow2,file=/tmp/x.qcow2 --diskspec vdb,snapshot=no --memspec snapshot=no
run snapshot-create-as demo n1 d1 vda vdb --print-xml
run snapshot-create-as demo --print-xml --diskspec vda 'vdb,snapshot=no'
run snapshot-create-as demo --print-xml --name "a'b<c" --description "$(printf 'x&y\001z\ttab\r\n>"')" --memspec file=/a,,b,snapshot=external --diskspec "vda,snapshot=ext'x,driver=q'c,stype=block,file=/dev/x" --diskspec vdb,stype=file --diskspec 'vdd,file=/f,,g' --diskspec 'vde,driver=raw'
run snapshot-create-as demo --print-xml --memspec /var/lib/mem.save
run snapshot-create-as demo --print-xml --memspec snapshot=internal
run snapshot-create-as demo --print-xml --diskspec ''
run snapshot-create-as demo --print-xml --memspec file= --diskspec ,snapshot=no
run snapshot-create-as demo --print-xml --memspec snapshot= --diskspec vda,snapshot=,driver=,file=
run snapshot-create-as demo --print-xml --diskspec vda,stype=block,file= --diskspec vdb,stype=file,file=
run snapshot-create-as demo --print-xml --no-metadata
run snapshot-create-as demo --print-xml --diskspec vdc,stype=bogus
run snapshot-create-as demo --print-xml --memspec bogus
run snapshot-create-as demo --print-xml --memspec snapshot=no,snapshot=no
run snapshot-create-as demo --print-xml --memspec ''
run snapshot-create-as demo --print-xml --memspec /a --memspec /b
run snapshot-create-as demo --print-xml --diskspec 'vda,bogus'
run snapshot-create-as demo --print-xml --diskspec ',,,'
run snapshot-create-as demo --print-xml --name ''
run snapshot-create-as demo --print-xml --redefine
run snapshot-create-as demo a/b
run snapshot-create-as demo .hidden
