# snapshot-edit with a scripted editor (EDITOR runs with the file as $1).
. "$CLI_TESTS/lib.sh"
origin virsh
define_domain demo
make_tree
# Editors: sed scripts in files, so EDITOR holds no shell syntax.
printf '0,\\|</name>|s|</name>|</name><description>EDITED</description>|\n' >desc.sed
printf 's|<name>s2</name>|<name>s2new</name>|\n' >s2new.sed
printf 's|<name>s2new</name>|<name>s2clone</name>|\n' >s2clone.sed
printf 's|<name>s3</name>|<name>s3new</name>|\n' >s3new.sed
chmod 644 ./*.sed

run EDITOR=true snapshot-edit demo s2
run EDITOR='sed -i -e s/shutoff/shutoff/' snapshot-edit demo --current
run EDITOR='sed -i -f desc.sed' snapshot-edit demo s2
run snapshot-dumpxml demo s2 --xpath //description
run snapshot-current demo --name
run EDITOR=true snapshot-edit demo s2 --current
run snapshot-current demo --name
run EDITOR='sed -i -f s2new.sed' snapshot-edit demo s2
run snapshot-list demo --name
run EDITOR='sed -i -f s2new.sed' snapshot-edit demo s2 --rename
run snapshot-list demo --parent
run EDITOR='sed -i -f s2clone.sed' snapshot-edit demo s2new --clone
run snapshot-list demo --parent
run EDITOR='sed -i -f s3new.sed' snapshot-edit demo s3 --rename
run snapshot-list demo --tree
run snapshot-current demo --name
run snapshot-edit demo s2new --rename --clone
run snapshot-edit demo
run snapshot-edit demo nosuch
