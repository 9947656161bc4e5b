# --json on checkpoint-list, checkpoint-info, checkpoint-parent.
. "$CLI_TESTS/lib.sh"
origin virtsnap
define_domain demo
mkckpt c1 '' 1700000000 disks=vda:bitmap,vdb:no desc="$(printf 'two\nlines "q"')" >c1.xml
mkckpt c2 c1 1700000100 domain=no >c2.xml
run checkpoint-create demo c1.xml --redefine
run checkpoint-create demo c2.xml --redefine
run checkpoint-list demo --json
run checkpoint-list demo --json --from c1
run checkpoint-info demo c1 --json
run checkpoint-parent demo c2 --json
run checkpoint-list demo --json --tree
run checkpoint-list demo --json --name
