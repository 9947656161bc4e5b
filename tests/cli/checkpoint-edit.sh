# checkpoint-edit with a scripted editor: unchanged, edited, renamed.
. "$CLI_TESTS/lib.sh"
origin virsh
define_domain demo
mkckpt c1 '' 1700000000 disks=vda:bitmap,vdb:no >c1.xml
mkckpt c2 c1 1700000100 disks=vda domain=no desc=old >c2.xml
run checkpoint-create demo c1.xml --redefine
run checkpoint-create demo c2.xml --redefine

echo 's|<description>old</description>|<description>new</description>|' >desc.sed
echo 's|<name>c2</name>|<name>c9</name>|' >rename.sed
run EDITOR=true checkpoint-edit demo c2
run EDITOR='sed -i -f desc.sed' checkpoint-edit demo c2
run checkpoint-dumpxml demo c2
run EDITOR='sed -i -f rename.sed' checkpoint-edit demo c2
run checkpoint-list demo --parent
run EDITOR=true checkpoint-edit demo
run EDITOR=true checkpoint-edit demo nope
