"""Every known difference between virsh 9.0 and virtsnap, by name.

Nothing is filtered silently: each entry below says why it exists, where it
is documented, and which commands or inputs it affects, and the harness
applies it explicitly to the commands it matches (and counts it).  An entry
can

  * change the command virsh runs as the reference (`reference`),
  * turn virsh's answer into the answer virtsnap documents (`expect`),
  * normalise both answers where virsh's own order is not defined (`both`),
  * skip a command neither program may run (`skip`), or
  * end the sequence after a command that leaves the two states different
    on purpose (`terminal`).

Entries tied to a fix in progress carry `until=X` (a known virtsnap bug,
retired when fix X lands) or `since=X` (a new deliberate difference that fix
X introduces).  LANDED lists the fixes present in the virtsnap under test;
--landed on the command line overrides it.
"""

from . import bugs, deliberate
from .entry import CLI_README, MANPAGE, OBSERVED, Entry

# Fixes merged into this branch: A (round trip), B (store safety), C
# (semantics) of issue 11, F3 (finding F3 of this test).  Add the letter
# when merging the fix; `--table --landed X` shows what changes.
LANDED = {"A", "B", "C", "F3"}   # issue 11 and F3: all landed (main, 2026-12-02)

# ---------------------------------------------------------------------------
# Limits of the harness and differences it does not generate (listed so
# that nothing is left out silently)

class NotGenerated(Entry):
    kind = "not-generated"


def _ng(name, owner, reason, documented, affects):
    e = NotGenerated()
    e.name, e.owner, e.reason, e.documented, e.affects = name, owner, reason, documented, affects
    return e


d, b = deliberate, bugs
TABLE = [
    # (applied in this order; an entry that replaces virsh's whole answer comes first)
    b.SecretsShown(),
    # virtsnap's deliberate, documented differences
    d.ParseErrorOneLine(), d.ValidateErrorOneLine(), d.TopologicalOrder(), d.CaseEqualNames(),
    d.UnknownVmEmpty(), d.VmKnownBySnapshots(), d.XpathErrors(), d.HypervisorOptions(),
    d.RevertMetadataOnly(), d.DeleteMetadataOnly(), d.DeleteNote(),
    d.PlainCreateDomainFromCurrent(), d.UuidFromSnapshots(), d.ControlCharNames(),
    d.LongNames(), d.EntityDeclarations(), d.DatesAfter9999(), b.EscapedControlChars(),
    b.CreationTimeZeroRefused(), b.DeepRecordRefused(),
    # known virtsnap bugs (issue 11), retired when their fix lands
    b.AttrControlCharsLost(), b.TabCurrentUnloadable(), b.CreationTimeZeroBreaks(),
    b.DeepRecordBreaksStore(), b.PmsuspendedBlockedAccepted(), b.ExportLongNames(),
    # new findings of this test, retired when fixed
    b.MetadataIndentUncapped(),
    # libvirt 9.0
    b.ChildrenDeleteCrash(), b.FailedSaveClearsCurrent(), b.ReparseLosesControlChars(),
    b.ReloadOrder(), b.LibvirtFilesLoseControlChars(),
    # limits of the harness, and what is not generated
    _ng("virsh-status-inferred", "harness",
        "virsh's interactive mode does not report a command's status: it is 1 when the "
        "command printed an 'error: ' line", "tests/differential/README.md",
        "every virsh command (a silent failure would look like success)"),
    _ng("plain-create-needs-hypervisor", "virtsnap",
        "a plain create snapshots a VM (virsh: qemu-img, a running VM); only refusals that "
        "come before that are generated", CLI_README + " (create)",
        "snapshot-create without --redefine, snapshot-create-as without --print-xml"),
    _ng("domain-kept-as-given", "virtsnap",
        "the embedded <domain> is kept as given; libvirt re-formats it: inputs carry "
        "libvirt's canonical <domain>", "issue 11 'Smaller' (man page to list it)",
        "every snapshot document the generator writes"),
    _ng("lone-semicolon-separates", "virtsnap",
        "a lone ';' argument separates commands in virtsnap", CLI_README,
        "no generated argument is a lone ';'"),
    _ng("edit-refused-crashes-virsh", "libvirt",
        "virsh 9.0's snapshot-edit without a terminal prints 'Failed.' and dies (SIGSEGV) "
        "when libvirt refuses the edited XML; virtsnap reports the error", CLI_README,
        "only edits libvirt accepts are generated (description, no change, rename to a new "
        "name with --rename/--clone)"),
    _ng("undefined-vm-writes", "virtsnap",
        "a write to a VM virsh does not know creates it in virtsnap", MANPAGE,
        "writes to the undefined VM 'ghost' are not generated"),
    _ng("stdin-mode-and-json", "virtsnap",
        "virtsnap's standard-input mode, --json, --domain-xml and --state have no virsh "
        "counterpart", MANPAGE, "not generated"),
    _ng("libvirt-1mib-file-cap", "libvirt",
        "libvirt skips legacy files over 1 MiB (issue 11 item 17)", OBSERVED + " §3",
        "documents stay far below 1 MiB"),
]


def active_entries(landed):
    return [e for e in TABLE if e.kind not in ("not-generated",) and e.active(landed)]
