# snapshot-create --redefine: updates, moves, --current, and libvirt's
# refusals with their exact messages.
. "$CLI_TESTS/lib.sh"
origin virsh
define_domain demo
make_tree

note redefining an existing name is an update
mksnap s2 s1 1700000150 desc='updated description' >s2-update.xml
run snapshot-create demo s2-update.xml --redefine
run snapshot-info demo s2
run snapshot-dumpxml demo s2 --xpath //description
run snapshot-current demo --name

note changing the parent moves the snapshot
mksnap s2 s4 1700000150 >s2-move.xml
run snapshot-create demo s2-move.xml --redefine
run snapshot-list demo --tree
run snapshot-list demo --parent

note redefining the current snapshot without --current keeps it current
run snapshot-create demo s4.xml --redefine
run snapshot-current demo --name

note a new root, made current
mksnap r2 '' 1600000000 >r2.xml
run snapshot-create demo r2.xml --redefine --current
run snapshot-current demo --name
run snapshot-list demo --roots
run snapshot-list demo --tree

note refusals
mksnap '' s1 1700000500 >noname.xml
run snapshot-create demo noname.xml --redefine
mksnap x1 s1 1700000500 state= >nostate.xml
run snapshot-create demo nostate.xml --redefine
mksnap x1 s1 '' >notime.xml
run snapshot-create demo notime.xml --redefine
mksnap x1 s1 1700000500 state=bogus >badstate.xml
run snapshot-create demo badstate.xml --redefine
mksnap x1 nope 1700000500 >badparent.xml
run snapshot-create demo badparent.xml --redefine
mksnap s1 s1 1700000000 >self.xml
run snapshot-create demo self.xml --redefine
mksnap s1 s4 1700000000 >cycle.xml
run snapshot-create demo cycle.xml --redefine
mksnap s3 s1 1700000200 state=running >online.xml
run snapshot-create demo online.xml --redefine
mksnap s3 s1 1700000200 state=disk-snapshot disks=external >diskonly.xml
run snapshot-create demo diskonly.xml --redefine
mksnap x2 s1 1700000500 domain=no >nodomain.xml
run snapshot-create demo nodomain.xml --redefine
mksnap x1 s1 1700000500 memory=internal >offline-memory.xml
run snapshot-create demo offline-memory.xml --redefine
mksnap a/b s1 1700000500 >slash.xml
run snapshot-create demo slash.xml --redefine
mksnap .hidden s1 1700000500 >dot.xml
run snapshot-create demo dot.xml --redefine
sed 's/93a5c045-6457-2c09-e56c-927cdf34e178/6b1c7f3e-8f7a-4d8e-9a36-0c1f2a3b4c5d/' s1.xml >otheruuid.xml
run snapshot-create demo otheruuid.xml --redefine
run snapshot-create demo s1.xml --redefine --disk-only
run snapshot-create demo s1.xml --current
run snapshot-create demo s1.xml --redefine --no-metadata

note "bad documents (libxml2's own messages: see parse-errors.sh)"
cp "$CLI_DATA/demo-canonical.xml" domain.xml
run snapshot-create demo domain.xml --redefine
run snapshot-create demo nosuch.xml --redefine
mkdir adir
run snapshot-create demo adir --redefine

note accepted oddities
mksnap x3 s1 -5 >negative.xml
run snapshot-create demo negative.xml --redefine
mksnap x4 '' 1700000600 state=running >running.xml
run snapshot-create demo running.xml --redefine
mksnap x5 x4 1700000700 state=disk-snapshot disks=external >external.xml
run snapshot-create demo external.xml --redefine --disk-only
mksnap x6 x4 1700000800 disks=external >external2.xml
run snapshot-create demo external2.xml --redefine --validate
run snapshot-list demo --parent
run snapshot-info demo x5
run snapshot-info demo x6
run snapshot-list demo --external --name
run snapshot-list demo --active --name
run snapshot-list demo --inactive --name
run snapshot-list demo --disk-only --name
run snapshot-list demo --internal --name
run snapshot-list demo --disk-only --internal --name
run snapshot-dumpxml demo x5
