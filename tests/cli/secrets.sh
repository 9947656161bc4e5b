# Secrets (issue 11, item 6): everything libvirt 9.0 formats only with
# VIR_DOMAIN_DEF_FORMAT_SECURE — VNC and SPICE passwd='…', and the
# <cookies> of a network <source> in a disk, a <backingStore> and the
# <nvram> — in both <domain> and <inactiveDomain>, hidden without
# --security-info and shown with it.  The cookies of the snapshot's own
# <disks> are printed by neither program (libvirt formats them without SECURE).
. "$CLI_TESTS/lib.sh"
origin virsh
define_domain secrets
cp "$CLI_TESTS/../fixtures/libvirt-9.0-secrets/snapshot.xml" s1.xml

run snapshot-create secrets s1.xml --redefine --current
run snapshot-dumpxml secrets s1
run snapshot-dumpxml secrets s1 --security-info
run snapshot-current secrets
run snapshot-current secrets --security-info
run snapshot-dumpxml secrets s1 --xpath '//cookies|//@passwd'
run snapshot-dumpxml secrets s1 --xpath '//cookie' --security-info
