# Store and VM-name errors, and a VM the store has nothing for.
. "$CLI_TESTS/lib.sh"
origin virtsnap

note "only a create makes the store directory"
run VIRTSNAP_STORE=missing snapshot-list demo
run VIRTSNAP_STORE=missing snapshot-current demo
run VIRTSNAP_STORE=missing snapshot-delete demo s1 --metadata
ls -d missing 2>&1
mksnap s1 '' 1700000000 >s1.xml
run VIRTSNAP_STORE=missing snapshot-create demo s1.xml --redefine
ls missing
run VIRTSNAP_STORE=missing snapshot-list other
run VIRTSNAP_STORE=missing check other
run VIRTSNAP_STORE=missing check demo

note VM names are file names
run VIRTSNAP_STORE=missing snapshot-list ../demo
run VIRTSNAP_STORE=missing snapshot-list .demo
run VIRTSNAP_STORE=missing snapshot-list "$(printf 'a\tb')"
touch afile
run VIRTSNAP_STORE=afile snapshot-list demo
