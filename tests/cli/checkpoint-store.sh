# Where checkpoints are kept (--checkpoint-dir, its default beside the
# store), the kinds never taken for each other, --topological's order, and
# the schema's refusals (virtsnap names its own copy of libvirt's schema).
. "$CLI_TESTS/lib.sh"
origin virtsnap
define_domain demo

mkckpt c1 '' 1700000000 disks=vda:bitmap,vdb:no >c1.xml
mkckpt c2 c1 1700000100 domain=no >c2.xml
mkckpt b2 c1 1700000100 domain=no >b2.xml
mkckpt a3 c1 1700000050 domain=no >a3.xml
mkckpt d4 b2 1700000400 domain=no >d4.xml

note the default: STORE/.virtsnap/checkpoint, one file per VM
for c in c1 c2 b2 a3 d4; do
    run checkpoint-create demo $c.xml --redefine
done
(cd "$VIRTSNAP_STORE" && ls -A . .virtsnap/checkpoint)

note --topological: pre-order, siblings by creationTime then name
run checkpoint-list demo --topological --name
run checkpoint-list demo --topological --from c1 --descendants --name

note the VM is known by its checkpoints alone, snapshots stay apart
run snapshot-list demo
run checkpoint-list demo --roots --name

note --checkpoint-dir names another directory
mkdir ck
run --checkpoint-dir ck checkpoint-create demo c1.xml --redefine
run --checkpoint-dir=ck checkpoint-list demo --name
run VIRTSNAP_CHECKPOINT_DIR=ck checkpoint-info demo c1
run --checkpoint-dir= checkpoint-list demo
ls ck

note a snapshot file is never read as checkpoints
mksnap s1 '' 1700000000 >s1.xml
run snapshot-create demo s1.xml --redefine
cp "$VIRTSNAP_STORE/demo.xml" ck/demo.xml
run --checkpoint-dir ck checkpoint-list demo

note names and documents the schema refuses
mkckpt 'x y' '' 1700000400 domain=no >x-space.xml
run checkpoint-create demo x-space.xml --redefine
mkckpt '.x' '' 1700000400 domain=no >x-dot.xml
run checkpoint-create demo x-dot.xml --redefine
echo '<domaincheckpoint><disks><disk/></disks></domaincheckpoint>' >x-disk.xml
run checkpoint-create demo x-disk.xml --redefine
echo '<domainsnapshot/>' >x-root.xml
run checkpoint-create demo x-root.xml --redefine
mkckpt 'x.xml' '' 1700000400 domain=no >x-xml.xml
run checkpoint-create demo x-xml.xml --redefine
mkckpt 'a..b' x.xml 1700000500 domain=no >x-dots.xml
run checkpoint-create demo x-dots.xml --redefine
run checkpoint-list demo --name
