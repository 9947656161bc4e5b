# Deliberate differences from virsh 9.0 that the man page lists, each
# checked against virsh when it was written (what virsh does is in the
# notes).
. "$CLI_TESTS/lib.sh"
origin virtsnap
define_domain demo

note "the embedded <domain> is kept as given; libvirt re-formats it (adds"
note "<currentMemory>, <vcpu placement>, the machine type, devices, ...)"
cat >min.xml <<'XML'
<domainsnapshot>
  <name>min</name>
  <state>shutoff</state>
  <creationTime>1700000001</creationTime>
  <domain type='qemu'>
    <name>demo</name>
    <uuid>93a5c045-6457-2c09-e56c-927cdf34e178</uuid>
    <memory>65536</memory>
    <os><type arch='x86_64'>hvm</type></os>
  </domain>
</domainsnapshot>
XML
run -q snapshot-create demo min.xml --redefine
run snapshot-dumpxml demo min

note "a name of 248 bytes or more is refused before anything is stored; virsh"
note "says 'internal error: unable to save metadata for snapshot NAME' (its"
note "file name NAME.xml.new does not fit) and keeps nothing either"
mksnap "$(printf 'n%.0s' $(seq 1 248))" '' 1700000000 >long.xml
run snapshot-create demo long.xml --redefine
mksnap "$(printf 'n%.0s' $(seq 1 247))" '' 1700000000 >fits.xml
run -q snapshot-create demo fits.xml --redefine

note "a creation time after the year 9999 is printed; virsh's table fails"
note "('internal error: Incorrect number of cells in a table row')"
mksnap y10k '' 253402300800 >y10k.xml
run -q snapshot-create future y10k.xml --redefine
run snapshot-list future
