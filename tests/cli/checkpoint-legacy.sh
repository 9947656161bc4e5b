# libvirt's checkpoint directory (files libvirt 9.0 wrote): check, convert
# to one file per VM, export back byte for byte, domrename moving both
# kinds, undefine --checkpoints-metadata.
. "$CLI_TESTS/lib.sh"
origin virtsnap
define_domain demo
VIRTSNAP_CHECKPOINT_DIR=ck
export VIRTSNAP_CHECKPOINT_DIR
ondisk=$CLI_TESTS/../fixtures/libvirt-9.0-checkpoint-ondisk/ondisk/demo
mkdir -p ck/demo
cp "$ondisk"/*.xml ck/demo/
chmod 600 ck/demo/*.xml

note the layout of libvirt, read as libvirt reads it
run check
run checkpoint-list demo --parent
run checkpoint-create demo ck/demo/c1.xml --redefine

note a stale temporary and a misnamed file: check --repair
cp ck/demo/c3.xml ck/demo/c3.xml.new
mv ck/demo/c2.xml ck/demo/handwritten-c2.xml
run check
run check --repair
ls ck/demo

note converted: one file, the directory moved aside
run convert demo
ls -A ck ck/.virtsnap/legacy/demo
run checkpoint-list demo --tree
run check

note exported back: the bytes libvirt wrote
run export-legacy demo
for c in c1 c2 c3; do
    cmp "$ondisk/$c.xml" "ck/demo/$c.xml" && echo "$c.xml: identical"
done
stat -c '%a %n' ck/demo/*.xml
run check demo

note both kinds move with domrename, and undefine needs both flags
mksnap s1 '' 1700000000 >s1.xml
run snapshot-create demo s1.xml --redefine
rm -r ck/demo
run domrename demo demo2
run checkpoint-list demo2 --name
run snapshot-list demo2 --name
run checkpoint-list demo
run undefine demo2
run undefine demo2 --snapshots-metadata
run undefine demo2 --snapshots-metadata --checkpoints-metadata
ls -A ck
