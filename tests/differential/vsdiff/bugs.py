"""Known bugs: virtsnap's (issue 11, retired as fixes land) and libvirt 9.0's."""

import re

from .entry import (DECISIONS, OBSERVED, Entry, cmd, refusal, escaped_control_chars,
                    has, lost_control_chars, reorder_listing, target_name)
from .model import LibvirtTree

# ---------------------------------------------------------------------------
# Known virtsnap bugs of issue 11, each retired when its fix lands

class AttrControlCharsLost(Entry):
    name = "attribute-control-chars-lost"
    owner = "virtsnap"
    modes = ("virtsnap", "reload")
    until = "A"
    reason = ("issue 11 item 1: TAB/LF/CR in an attribute value are written raw and read "
              "back as spaces, CR in text is read back as LF")
    documented = "issue 11 item 1"
    affects = "snapshot-dumpxml / snapshot-current XML of a stored snapshot with such values"

    def matches(self, ctx, op):
        return cmd(op) in ("snapshot-dumpxml", "snapshot-current")

    def expect(self, ctx, op, exp, ref):
        new = lost_control_chars(exp.stdout)
        if new == exp.stdout:
            return None
        exp.stdout = new
        return exp


class TabCurrentUnloadable(Entry):
    name = "tab-in-current-name-unloadable"
    owner = "virtsnap"
    until = "A"
    kind = "terminal"
    reason = "issue 11 item 1: a current snapshot whose name has a TAB makes the file unloadable"
    documented = "issue 11 item 1"
    affects = "any write after which the current snapshot's name contains a TAB (ends the "\
              "sequence)"

    def matches(self, ctx, op):
        return op.writes

    def terminal(self, ctx, op, ref):
        if ref.rc != 0:
            return False
        cur = ctx.ref_aux(["snapshot-current", op.vm, "--name"])
        return "\t" in cur.stdout


class EscapedControlChars(Entry):
    name = "control-chars-escaped"
    owner = "virtsnap"
    modes = ("virtsnap",)     # converted from libvirt's files, they are already lost
    since = "A"
    reason = ("TAB/LF/CR in attribute values are written as &#9;/&#10;/&#13; and CR in text "
              "as &#13; so they read back; libvirt writes them raw (and loses them itself)")
    documented = DECISIONS + " (A)"
    affects = "snapshot-dumpxml / snapshot-current / --print-xml output and exported files "\
              "with such values"

    def matches(self, ctx, op):
        return cmd(op) in ("snapshot-dumpxml", "snapshot-current", "snapshot-create-as")

    def expect(self, ctx, op, exp, ref):
        new = escaped_control_chars(exp.stdout)
        if new == exp.stdout:
            return None
        exp.stdout = new
        return exp


def _attr_sub(text, fn):
    return re.sub(r"(=')([^']*)(')", lambda m: m.group(1) + fn(m.group(2)) + m.group(3), text)


def lost_control_chars(xml):
    """What an XML parser reads back from raw control characters: line ends
    normalised (CR LF and CR become LF), then LF and TAB in attribute
    values become spaces."""
    xml = xml.replace("\r\n", "\n").replace("\r", "\n")
    return _attr_sub(xml, lambda v: re.sub(r"[\t\n]", " ", v))


def escaped_control_chars(xml):
    xml = _attr_sub(xml, lambda v: v.replace("\t", "&#9;").replace("\n", "&#10;")
                    .replace("\r", "&#13;"))
    return xml.replace("\r", "&#13;")


def time_value(op):
    spec = op.meta.get("spec")
    return spec.time if spec else None


class CreationTimeZeroBreaks(Entry):
    name = "creation-time-zero-breaks-store"
    owner = "virtsnap"
    until = "A"
    kind = "terminal"
    reason = ("issue 11 item 2: a redefine with creationTime 0 is accepted, then the file "
              "no longer loads")
    documented = "issue 11 item 2"
    affects = "snapshot-create --redefine with <creationTime>0</creationTime> (or -0, 00)"

    def matches(self, ctx, op):
        return cmd(op) == "snapshot-create" and _is_zero(time_value(op))

    def expect(self, ctx, op, exp, ref):
        if ref.rc != 0:
            return None
        exp.unverified = self.name
        return exp

    def terminal(self, ctx, op, ref):
        return ref.rc == 0


class CreationTimeZeroRefused(CreationTimeZeroBreaks):
    name = "creation-time-zero-refused"
    until = None
    since = "A"
    reason = ("creationTime 0 is refused (libvirt omits a zero time when it writes the file "
              "and then drops that snapshot on reload)")
    documented = DECISIONS + " (A)"

    def expect(self, ctx, op, exp, ref):
        # refused where the parser reads creationTime
        return refusal(exp, ref, re.compile(r"error: .*creationTime 0.*\n"), False)


def _is_zero(text):
    if text is None:
        return False
    try:
        return float(text.strip()) == 0 and text.strip() not in ("",)
    except ValueError:
        return False


class DeepRecordBreaksStore(Entry):
    name = "deep-record-breaks-store"
    owner = "virtsnap"
    until = "A"
    kind = "terminal"
    reason = ("issue 11 item 3: a record nested 257 levels deep (libvirt's limit) is "
              "accepted; the bulk file nests it one level deeper and no longer loads")
    documented = "issue 11 item 3"
    affects = "snapshot-create --redefine of a <domain> whose <metadata> nests 254 levels"

    def matches(self, ctx, op):
        return cmd(op) == "snapshot-create" and op.meta.get("depth", 0) >= 257

    def expect(self, ctx, op, exp, ref):
        if ref.rc != 0:
            return None
        exp.unverified = self.name
        return exp

    def terminal(self, ctx, op, ref):
        return ref.rc == 0


class DeepRecordRefused(DeepRecordBreaksStore):
    name = "deep-record-refused"
    until = None
    since = "A"
    reason = ("a record nested deeper than a bulk file can hold (256 levels) is refused; "
              "libvirt 9.0 takes 257")
    documented = DECISIONS + " (A)"

    def expect(self, ctx, op, exp, ref):
        if "Excessive depth" in ref.stderr:     # too deep for libvirt as well
            return None
        return refusal(exp, ref, re.compile(r"error: .*(deep|depth).*\n"), False)


class PmsuspendedBlockedAccepted(Entry):
    name = "pmsuspended-blocked-accepted"
    owner = "virtsnap"
    until = "C"
    kind = "terminal"
    reason = ("issue 11 item 12: redefine accepts states pmsuspended and blocked, which "
              "libvirt's qemu driver refuses")
    documented = "issue 11 item 12"
    affects = "snapshot-create --redefine with <state>pmsuspended</state> or blocked "\
              "(only the status of virsh's refusal is not compared; the sequence ends)"
    MSGS = ("qemu doesn't support taking snapshots of PMSUSPENDED guests",
            "Invalid domain state blocked")

    def matches(self, ctx, op):
        return cmd(op) == "snapshot-create"

    def expect(self, ctx, op, exp, ref):
        if not any(m in ref.stderr for m in self.MSGS):
            return None
        exp.unverified = self.name
        exp.rc = None
        return exp

    def terminal(self, ctx, op, ref):
        return any(m in ref.stderr for m in self.MSGS)


class ExportLongNames(Entry):
    name = "export-long-names-fail"
    owner = "virtsnap"
    until = "B"
    kind = "skip"
    reason = ("issue 11 item 13: export-legacy fails for names of 239-247 bytes (its "
              "temporary file name is too long)")
    documented = "issue 11 item 13"
    affects = "the export half of the legacy round trip of a VM holding such a name"

    def skip_trip(self, ctx, vm, part):
        return part == "export" and any(
            239 <= len(n.encode("utf-8", "surrogateescape")) <= 247
            for n in ctx.state[vm].snaps)


class SecretsShown(Entry):
    name = "cookies-shown-without-security-info"
    owner = "virtsnap"
    until = "C"
    reason = ("issue 11 item 6: network-disk HTTP cookies are printed without "
              "--security-info (virsh hides them); expected: virsh's --security-info output "
              "without the passwords virtsnap does hide")
    documented = "issue 11 item 6"
    affects = "snapshot-dumpxml / snapshot-current XML without --security-info of vm2's "\
              "snapshots"

    def matches(self, ctx, op):
        return cmd(op) in ("snapshot-dumpxml", "snapshot-current") and \
            not has(op, "--security-info") and not has(op, "--name") and op.vm == "vm2"

    def expect(self, ctx, op, exp, ref):
        if ref.rc != 0 or "<domain" not in exp.stdout:
            return None
        secure = ctx.ref_aux(op.argv + ["--security-info"])
        if "<cookies>" not in secure.stdout:
            return None
        exp.stdout = re.sub(r" passwd='[^']*'", "", secure.stdout)
        return exp


class MetadataIndentUncapped(Entry):
    name = "finding-metadata-indent-uncapped"
    owner = "virtsnap"
    until = "F3"
    reason = ("new finding: inside a snapshot, libvirt's <metadata> (libxml2 xmlNodeDump) "
              "stops indenting at column 60; virtsnap stops at 62 (the cap applied to the "
              "<domain> alone, then shifted by the snapshot's two columns)")
    documented = "differential test report (finding F3)"
    affects = "snapshot-dumpxml / snapshot-current / export-legacy of a <domain> whose "\
              "<metadata> nests more than 27 levels"

    def matches(self, ctx, op):
        return cmd(op) in ("snapshot-dumpxml", "snapshot-current")

    def expect(self, ctx, op, exp, ref):
        new = uncapped_metadata_indent(exp.stdout)
        if new == exp.stdout:
            return None
        exp.stdout = new
        return exp


def uncapped_metadata_indent(xml):
    """libvirt's <metadata> lines re-indented two columns per level up to
    column 62 instead of libxml2's 60 (what virtsnap prints)."""
    out, base, depth = [], None, 0
    for line in xml.split("\n"):
        text = line.lstrip(" ")
        if base is None:
            if text.startswith("<metadata>"):
                base, depth = len(line) - len(text), 0
            out.append(line)
            continue
        if text.startswith("</metadata>"):
            base = None
            out.append(line)
            continue
        if text.startswith("</"):
            depth -= 1
        out.append(" " * min(base + 2 + 2 * depth, 62) + text)
        if text.startswith("<") and not text.startswith("</") and \
                not text.endswith("/>") and "</" not in text:
            depth += 1
    return "\n".join(out)


# ---------------------------------------------------------------------------
# libvirt 9.0 bugs and behaviour the comparison must step around

class ChildrenDeleteCrash(Entry):
    name = "libvirt-children-delete-crash"
    owner = "libvirt"
    kind = "skip"
    reason = ("libvirt 9.0 reads freed memory (SIGSEGV) in snapshot-delete --children / "
              "--children-only when a deleted descendant has children and a following "
              "sibling in its parent's child list")
    documented = OBSERVED + " §6.1"
    affects = "snapshot-delete --children[-only] of such a subtree: predicted from virsh's "\
              "child-list order (vsdiff/model.py) and run by neither program"

    def matches(self, ctx, op):
        return cmd(op) == "snapshot-delete" and (has(op, "--children") != has(op, "--children-only"))

    def skip(self, ctx, op):
        state = ctx.state_of(op)
        name = target_name(ctx, op)
        if state is None or name not in state.snaps:
            return False
        return LibvirtTree(state).crashes(name, has(op, "--children-only"))


class FailedSaveClearsCurrent(Entry):
    name = "libvirt-failed-redefine-clears-current"
    owner = "libvirt"
    reason = ("a redefine --current that fails writing its file (name over 247 bytes) "
              "leaves libvirt 9.0 without a current snapshot (qemuSnapshotCreateXML sets "
              "the new current, then removes the snapshot); virtsnap changes nothing. "
              "virsh's current snapshot is set back before the state is compared")
    documented = "found by this test (libvirt 9.0 qemu_snapshot.c)"
    affects = "snapshot-create --redefine --current refused with 'unable to save metadata'"

    def matches(self, ctx, op):
        return cmd(op) == "snapshot-create" and has(op, "--current")

    def after(self, ctx, op, ref):
        before = ctx.state_of(op).current if ctx.state_of(op) else None
        if before is None or "unable to save metadata for snapshot" not in ref.stderr:
            return False
        now = ctx.ref_aux(["snapshot-current", op.vm, "--name"])
        if now.rc == 0:
            return False
        ctx.ref_aux(["snapshot-current", op.vm, "--snapshotname", before])
        return True


class ReparseLosesControlChars(Entry):
    name = "libvirt-reparse-loses-control-chars"
    owner = "libvirt"
    modes = ("virtsnap",)
    reason = ("virsh's snapshot-current NAME and snapshot-edit redefine the snapshot from "
              "its own dump, whose raw TAB/LF/CR in attribute values and CR in text come back "
              "as spaces and LF; virtsnap keeps them.  virsh's snapshot is redefined from "
              "the escaped dump (with the same edit) to put them back")
    documented = "found by this test (libvirt 9.0 virsh-snapshot.c redefines from a dump)"
    affects = "snapshot-current NAME, snapshot-revert (compared through snapshot-current) "\
              "and snapshot-edit of a snapshot holding such characters"

    def matches(self, ctx, op):
        return cmd(op) in ("snapshot-current", "snapshot-revert", "snapshot-edit")

    def after(self, ctx, op, ref):
        state = ctx.state_of(op)
        name = target_name(ctx, op) if cmd(op) != "snapshot-current" else \
            current_target(op)
        if ref.rc != 0 or state is None or name not in state.snaps or \
                "not changed" in ref.stdout:
            return False
        xml = state.snaps[name].xml
        fixed = escaped_control_chars(xml)
        if fixed == xml:
            return False
        if cmd(op) == "snapshot-edit":
            fixed = ctx.apply_edit(fixed)
            if fixed is None:
                return False
        path = ctx.write_reference_file("repair.xml", fixed)
        res = ctx.ref_aux(["snapshot-create", op.vm, path, "--redefine"])
        return res.rc == 0


def current_target(op):
    """The NAME of `snapshot-current VM NAME` (None when it prints instead)."""
    words, i = [], 1
    while i < len(op.argv):
        a = op.argv[i]
        if a in ("--domain", "--snapshotname"):
            if a == "--snapshotname":
                return op.argv[i + 1] if i + 1 < len(op.argv) else None
            i += 2
            continue
        if a.startswith("--snapshotname="):
            return a[len("--snapshotname="):]
        if a == "--":
            words += op.argv[i + 1:]
            break
        if not a.startswith("--"):
            words.append(a)
        i += 1
    if not any(a.startswith("--domain") for a in op.argv):
        words = words[1:]
    return words[0] if words else None


class LibvirtFilesLoseControlChars(Entry):
    name = "libvirt-files-lose-control-chars"
    owner = "libvirt"
    modes = ("convert",)
    reason = ("libvirt writes TAB/LF/CR in attribute values and CR in text raw into its "
              "files, so any reader (libvirt itself after a restart, virtsnap convert) reads "
              "spaces and LF back")
    documented = "issue 11 item 1 (libvirt's side)"
    affects = "the convert half of the legacy round trip: snapshot-dumpxml / -current XML"

    def matches(self, ctx, op):
        return cmd(op) in ("snapshot-dumpxml", "snapshot-current")

    def expect(self, ctx, op, exp, ref):
        new = lost_control_chars(exp.stdout)
        if new == exp.stdout:
            return None
        exp.stdout = new
        return exp


class ReloadOrder(Entry):
    name = "libvirt-reload-sibling-order"
    owner = "libvirt"
    modes = ("reload",)
    reason = ("after loading its files libvirt rebuilds child lists in hash-table order; "
              "both --topological answers are compared in virtsnap's documented order")
    documented = OBSERVED + " §4.2"
    affects = "the legacy round trip: snapshot-list --topological of virsh reloading "\
              "virtsnap's export"

    def matches(self, ctx, op):
        return cmd(op) == "snapshot-list" and has(op, "--topological")

    def both(self, ctx, op, exp, res):
        if res.rc != 0:
            return None
        state = ctx.state_of(op)
        order = {n: i for i, n in enumerate(state.virtsnap_preorder())}
        new = reorder_listing(ctx, op, res.stdout, state, lambda n: order[n], peer=ctx.actual)
        if new == res.stdout:
            return None
        res.stdout = new
        return exp, res
