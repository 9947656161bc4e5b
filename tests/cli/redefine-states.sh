# Redefine in a state the qemu driver refuses (issue 11, item 12):
# pmsuspended and blocked, with libvirt's texts, checked after parsing and
# the name checks but before anything that looks at the tree (parent,
# cycles, disk-only flag, UUID, an existing snapshot of that name).
. "$CLI_TESTS/lib.sh"
origin virsh
define_domain demo
mksnap base '' 1700000000 >base.xml
run snapshot-create demo base.xml --redefine --current

note "each refused state on its own"
mksnap p1 '' 1700000001 state=pmsuspended >pm.xml
run snapshot-create demo pm.xml --redefine
mksnap b1 '' 1700000001 state=blocked >bl.xml
run snapshot-create demo bl.xml --redefine
mksnap n1 '' 1700000001 state=nostate >ns.xml
run snapshot-create demo ns.xml --redefine

note "errors that win over the state: flags, parsing, the name"
run snapshot-create demo pm.xml --current
mksnap p2 '' '' state=pmsuspended >pm-notime.xml
run snapshot-create demo pm-notime.xml --redefine
mksnap .p3 '' 1700000001 state=pmsuspended >pm-dot.xml
run snapshot-create demo pm-dot.xml --redefine
mksnap 'p/4' '' 1700000001 state=blocked >bl-slash.xml
run snapshot-create demo bl-slash.xml --redefine

note "errors the state wins over: tree, flags checked later, UUID, existing name"
mksnap p5 gone 1700000001 state=pmsuspended >pm-orphan.xml
run snapshot-create demo pm-orphan.xml --redefine
mksnap p6 p6 1700000001 state=blocked >bl-self.xml
run snapshot-create demo bl-self.xml --redefine
run snapshot-create demo pm.xml --redefine --disk-only
mksnap p7 '' 1700000001 state=pmsuspended >pm-uuid.xml
sed -i 's/93a5c045-6457/00000000-0000/' pm-uuid.xml
run snapshot-create demo pm-uuid.xml --redefine
mksnap base '' 1700000000 state=blocked >base-blocked.xml
run snapshot-create demo base-blocked.xml --redefine
mksnap base '' 1700000000 state=pmsuspended disks=external >base-pm.xml
run snapshot-create demo base-pm.xml --redefine --current

note "nothing changed"
run snapshot-list demo --parent
run snapshot-current demo --name
