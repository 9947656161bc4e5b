# Global options, help and version.
. "$CLI_TESTS/lib.sh"
origin virtsnap
define_domain demo
make_tree

run -v
run --version
run -h
run --help
run help
run help snapshot-list
run help xml
run help snapshot
run help bogus
run snapshot-list --help
run snapshot-create-as demo --help
run snapshot-dumpxml --help
run -q help quit
run --bogus
run -qz
run --store
run --store= snapshot-list demo
run --store=store -q snapshot-list demo --name
run --store store snapshot-current demo --name
run VIRTSNAP_STORE= --store store -q snapshot-list demo --roots --name
run -- snapshot-current demo --name
