"""virtsnap's deliberate differences from virsh 9.0 (documented ones)."""

import re

from .entry import (CLI_README, DECISIONS, MANPAGE, OTHER_UUID, Entry, cmd, refusal,
                    has, reorder_listing, replace_word, shown_name, spec_name, target_name)

class ParseErrorOneLine(Entry):
    name = "parse-error-one-line"
    owner = "virtsnap"
    reason = "libxml2 parse errors are one line; virsh adds the source line and a caret"
    documented = CLI_README
    affects = "snapshot-create with a malformed document"
    PAT = re.compile(r"^(error: \(domain_snapshot\):\d+: .*\n)(?:.*\n){2}", re.M)

    def matches(self, ctx, op):
        return cmd(op) == "snapshot-create"

    def expect(self, ctx, op, exp, ref):
        new = self.PAT.sub(r"\1", exp.stderr)
        if new == exp.stderr:
            return None
        exp.stderr = new
        return exp


class TopologicalOrder(Entry):
    modes = ("virtsnap", "convert", "reload")
    name = "topological-sibling-order"
    owner = "virtsnap"
    reason = ("--topological orders siblings by (creationTime, name); libvirt walks its "
              "in-memory child lists (last defined first, hash order after a reload)")
    documented = MANPAGE + "; " + CLI_README
    affects = "snapshot-list --topological (table, --name, --tree, --parent, filters)"

    def matches(self, ctx, op):
        return cmd(op) == "snapshot-list" and has(op, "--topological")

    def expect(self, ctx, op, exp, ref):
        state = ctx.state_of(op)
        if ref.rc != 0 or state is None:
            return None
        order = {n: i for i, n in enumerate(state.virtsnap_preorder())}
        new = reorder_listing(ctx, op, exp.stdout, state, lambda n: order[n])
        if new == exp.stdout:
            return None
        exp.stdout = new
        return exp


class CaseEqualNames(Entry):
    modes = ("virtsnap", "convert", "reload")
    name = "case-equal-names-order"
    owner = "virtsnap"
    reason = ("names equal ignoring ASCII case: virsh's order between them comes from its "
              "hash table (random seed), so both answers are compared with those names "
              "sorted by bytes")
    documented = CLI_README
    affects = "snapshot-list without --topological when two names differ only in case"

    def matches(self, ctx, op):
        if cmd(op) != "snapshot-list" or has(op, "--topological"):
            return False
        folded = [n.lower() for n in ctx.state_of(op).snaps] if ctx.state_of(op) else []
        return len(folded) != len(set(folded))

    def both(self, ctx, op, exp, res):
        if exp.rc != 0 or res.rc != 0 or not isinstance(exp.stdout, str):
            return None
        state = ctx.state_of(op)

        def key(n):
            return (n.encode("utf-8", "surrogateescape").lower(),
                    n.encode("utf-8", "surrogateescape"))
        new_exp = reorder_listing(ctx, op, exp.stdout, state, key)
        new_res = reorder_listing(ctx, op, res.stdout, state, key, peer=ctx.actual)
        if new_exp == exp.stdout and new_res == res.stdout:
            return None
        exp.stdout = new_exp
        res.stdout = new_res
        return exp, res


class UnknownVmEmpty(Entry):
    name = "unknown-vm-has-no-snapshots"
    owner = "virtsnap"
    until = "C"
    reason = ("a VM virtsnap has no file for is a VM without snapshots; virsh says "
              "\"failed to get domain\" (issue 11 item 16)")
    documented = MANPAGE + "; " + CLI_README
    affects = "read commands on an undefined VM; reference: the same command on the "\
              "defined, snapshot-less VM 'blank'"

    def matches(self, ctx, op):
        return op.vm == "ghost"

    def reference(self, ctx, op, argv):
        return replace_word(argv, "ghost", "blank")

    def expect(self, ctx, op, exp, ref):
        exp.stdout = exp.stdout.replace("blank", "ghost")
        exp.stderr = exp.stderr.replace("blank", "ghost")
        return exp


class VmKnownBySnapshots(Entry):
    name = "vm-known-by-its-snapshots"
    owner = "virtsnap"
    since = "C"
    reason = ("virtsnap knows a VM only by its stored snapshots: every command except "
              "snapshot-create[-as] on a defined VM that has none fails like virsh does for "
              "an undefined domain")
    documented = MANPAGE + " (after C)"
    affects = "every command but snapshot-create[-as] on a VM with no snapshots; reference: "\
              "the same command on the undefined VM 'ghost'"

    def matches(self, ctx, op):
        state = ctx.state.get(op.vm)
        return state is not None and not state.snaps and \
            cmd(op) not in ("snapshot-create", "snapshot-create-as")

    def reference(self, ctx, op, argv):
        return replace_word(argv, op.vm, "ghost")

    def expect(self, ctx, op, exp, ref):
        exp.stdout = exp.stdout.replace("'ghost'", "'%s'" % op.vm)
        exp.stderr = exp.stderr.replace("'ghost'", "'%s'" % op.vm)
        return exp


class XpathErrors(Entry):
    name = "invalid-xpath-fails"
    owner = "virtsnap"
    reason = ("an invalid --xpath expression is an error; virsh prints libxml2's message "
              "and succeeds (an empty one: virsh fails without a message)")
    documented = CLI_README + "; " + MANPAGE
    affects = "snapshot-dumpxml --xpath with an expression libxml2 cannot compile"

    def matches(self, ctx, op):
        return cmd(op) == "snapshot-dumpxml" and "xpath-invalid" in op.tags

    def expect(self, ctx, op, exp, ref):
        xpath = op.argv[op.argv.index("--xpath") + 1]
        if xpath == "":
            if ref.rc != 0 or ref.stderr:
                return None
            exp.stdout = "\n"
            exp.stderr = "error: Failed to get option 'xpath': Option argument is empty\n"
            exp.rc = 1
            return exp
        if "XPath error" not in ref.stderr:
            return None
        exp.stdout = "\n"
        exp.stderr = "error: Invalid xpath expression '%s'\n" % xpath
        exp.rc = 1
        return exp


class HypervisorOptions(Entry):
    name = "hypervisor-options-absent"
    owner = "virtsnap"
    reason = ("--halt, --live, --quiesce, --atomic, --reuse-external act on a running VM; "
              "virtsnap has no such options")
    documented = MANPAGE
    affects = "snapshot-create[-as] with one of them; reference: virsh with the option "\
              "renamed to an unknown one"
    OPTS = ("--halt", "--live", "--quiesce", "--atomic", "--reuse-external")

    def matches(self, ctx, op):
        return cmd(op) in ("snapshot-create", "snapshot-create-as") and has(op, *self.OPTS)

    def reference(self, ctx, op, argv):
        return [("--vsdiff-" + a[2:]) if a in self.OPTS else a for a in argv]

    def expect(self, ctx, op, exp, ref):
        exp.stderr = exp.stderr.replace("--vsdiff-", "--")
        return exp


class RevertMetadataOnly(Entry):
    name = "revert-metadata-only"
    owner = "virtsnap"
    reason = ("snapshot-revert only makes the snapshot current; virsh would run qemu-img or "
              "start the VM, so it never runs a revert that gets that far (its own refusals "
              "of some reverts, e.g. of PMSUSPENDED or external snapshots, are therefore "
              "not compared)")
    documented = MANPAGE
    affects = "snapshot-revert of an existing snapshot without --running --paused; "\
              "reference: virsh snapshot-current VM NAME"

    def target(self, ctx, op):
        return target_name(ctx, op)

    def matches(self, ctx, op):
        if cmd(op) != "snapshot-revert" or (has(op, "--running") and has(op, "--paused")):
            return False
        state = ctx.state_of(op)
        name = self.target(ctx, op)
        return state is not None and name in state.snaps

    def reference(self, ctx, op, argv):
        return ["snapshot-current", op.vm, "--snapshotname", self.target(ctx, op)]

    def expect(self, ctx, op, exp, ref):
        name = self.target(ctx, op)
        # virsh 9.0: "Domain snapshot %s reverted\n", then the empty line
        # every command ends with
        if exp.stdout == "Snapshot %s set as current\n" % name:
            exp.stdout = "Domain snapshot %s reverted\n\n" % name
        return exp


class PlainCreateDomainFromCurrent(Entry):
    name = "plain-create-domain-from-current"
    owner = "virtsnap"
    reason = ("a plain create takes the VM's definition from --domain-xml or the current "
              "snapshot (virsh asks the hypervisor); without either it cannot check disks")
    documented = MANPAGE + " (snapshot-create)"
    affects = "plain snapshot-create[-as] refused for a disk reason while the VM has no "\
              "current snapshot: virtsnap says 'missing domain in snapshot'"
    DISK_ERRORS = re.compile(r"error: unsupported configuration: (no disk named|disk '[^']*' "
                             r"(specified twice|must use snapshot mode))")

    def matches(self, ctx, op):
        state = ctx.state_of(op)
        plain = (cmd(op) == "snapshot-create-as" and not has(op, "--print-xml")) or \
            (cmd(op) == "snapshot-create" and not has(op, "--redefine"))
        return plain and state is not None and state.current is None

    def expect(self, ctx, op, exp, ref):
        if not self.DISK_ERRORS.match(ref.stderr):
            return None
        exp.stderr = "error: internal error: missing domain in snapshot\n"
        return exp


class UuidFromSnapshots(Entry):
    name = "vm-uuid-learned-from-snapshots"
    owner = "virtsnap"
    kind = "terminal"
    reason = ("virtsnap learns a VM's uuid from its stored snapshots, so the first snapshot "
              "of a VM is not checked against a uuid (virsh: 'definition for snapshot X "
              "must use uuid U'); reference: virsh given the document with the VM's uuid")
    documented = MANPAGE + " ('A domain need not be defined'); the uuid rule is not spelled "\
        "out there (finding)"
    affects = "snapshot-create --redefine of another VM's <domain> while the VM has no "\
              "snapshots (the sequence ends when it is accepted)"

    def _file(self, op):
        return next(a for a in op.argv[1:] if a.endswith(".xml") and a in op.files)

    def matches(self, ctx, op):
        spec = op.meta.get("spec")
        state = ctx.state_of(op)
        return cmd(op) == "snapshot-create" and spec is not None and \
            spec.domain == "otheruuid" and state is not None and not state.snaps and \
            any(a in op.files for a in op.argv)

    def reference(self, ctx, op, argv):
        name = self._file(op)
        text = op.files[name].replace(OTHER_UUID, ctx.world.uuid[op.vm])
        path = ctx.write_reference_file(name, text)
        return [path if a == name else a for a in argv]

    def expect(self, ctx, op, exp, ref):
        name = self._file(op)
        exp.stdout = exp.stdout.replace("'ref/%s'" % name, "'%s'" % name)
        exp.stderr = exp.stderr.replace("'ref/%s'" % name, "'%s'" % name)
        return exp

    def terminal(self, ctx, op, ref):
        return ref.rc == 0


class DeleteMetadataOnly(Entry):
    name = "delete-touches-no-images"
    owner = "virtsnap"
    reason = ("virtsnap never touches disk images: a delete without --metadata deletes "
              "metadata only (virsh would run qemu-img on the images)")
    documented = MANPAGE
    affects = "snapshot-delete without --metadata; reference: virsh with --metadata"

    def matches(self, ctx, op):
        return cmd(op) == "snapshot-delete" and not has(op, "--metadata")

    def reference(self, ctx, op, argv):
        return argv[:1] + ["--metadata"] + argv[1:]

    def expect(self, ctx, op, exp, ref):
        return exp


class DeleteNote(Entry):
    name = "delete-without-metadata-note"
    owner = "virtsnap"
    since = "C"
    reason = "a delete without --metadata says on stderr that only metadata was deleted"
    documented = DECISIONS + " (C); man page after C"
    affects = "successful snapshot-delete without --metadata"
    NOTE = re.compile(r".+\n")

    def matches(self, ctx, op):
        return cmd(op) == "snapshot-delete" and not has(op, "--metadata")

    def expect(self, ctx, op, exp, ref):
        if ref.rc != 0:
            return None
        exp.stderr = re.compile(re.escape(exp.stderr) + r"(?:.+\n)+")
        return exp


class ControlCharNames(Entry):
    name = "control-char-names-refused"
    owner = "virtsnap"
    kind = "terminal"
    reason = ("names with LF, CR or DEL are refused (they cannot be typed back, and LF/CR "
              "do not survive an XML attribute); libvirt 9.0 stores them")
    documented = DECISIONS + " (A); include/virtsnap/virtsnap.h vsSnapshotNameCheck"
    affects = "snapshot-create --redefine of such a name (the sequence ends: virsh has it)"

    def matches(self, ctx, op):
        name = spec_name(op)
        return cmd(op) == "snapshot-create" and name is not None \
            and re.search(r"[\n\r\x7f]", name) is not None

    def expect(self, ctx, op, exp, ref):
        # the name is checked once the document parsed
        return refusal(exp, ref, "error: invalid snapshot name '%s': name can't contain "
                       "control characters\n" % shown_name(spec_name(op)), True)

    def terminal(self, ctx, op, ref):
        return ref.rc == 0


class LongNames(Entry):
    name = "name-over-247-bytes-message"
    owner = "virtsnap"
    reason = ("a name longer than 247 bytes (libvirt's file name limit) is refused with "
              "virtsnap's own message; libvirt fails writing the file")
    documented = "issue 11 'Smaller' (man page to list it)"
    affects = "snapshot-create --redefine of a name over 247 bytes"

    def matches(self, ctx, op):
        name = spec_name(op)
        return cmd(op) == "snapshot-create" and name is not None \
            and len(name.encode("utf-8", "surrogateescape")) > 247

    def expect(self, ctx, op, exp, ref):
        raw = spec_name(op).encode("utf-8", "surrogateescape")
        return refusal(exp, ref, "error: invalid snapshot name '%s...': name is %d bytes, "
                       "longer than 247\n" % (raw[:20].decode("utf-8", "surrogateescape"),
                                               len(raw)), True)


class EntityDeclarations(Entry):
    name = "entity-declarations-refused"
    owner = "virtsnap"
    reason = ("a snapshot document declaring an entity is refused; libvirt expands internal "
              "entities (finding: not yet listed as a difference from virsh)")
    documented = "docs/format.md 'XML safety' speaks of bulk files only"
    affects = "snapshot-create of a document with <!DOCTYPE [<!ENTITY ...>]>"

    def matches(self, ctx, op):
        return cmd(op) == "snapshot-create" and "entity" in op.tags

    def expect(self, ctx, op, exp, ref):
        exp.stdout = "\n"
        exp.stderr = re.compile(r"error: XML error: \(domain_snapshot\):\d+: entity "
                                r"declarations are not supported \('e'\)\n")
        exp.rc = 1
        return exp


class DatesAfter9999(Entry):
    name = "dates-after-year-9999"
    owner = "virtsnap"
    modes = ("virtsnap", "convert", "reload")
    reason = ("virsh's table cannot show a creation time after 9999-12-31 (GLib critical, "
              "'Incorrect number of cells'); virtsnap prints it")
    documented = "issue 11 'Smaller' (man page to list it)"
    affects = "snapshot-list tables that include such a snapshot: only the status is checked"

    def matches(self, ctx, op):
        state = ctx.state_of(op)
        return cmd(op) == "snapshot-list" and state is not None \
            and state.max_year_over_9999()

    def expect(self, ctx, op, exp, ref):
        if "Incorrect number of cells in a table row" not in ref.stderr:
            return None
        # a fresh virsh (legacy round trip) fails the same way, with its own
        # process id and time in GLib's message
        exp.rc = ref.rc if ctx.mode == "reload" else 0
        exp.unverified = self.name
        return exp


class ValidateErrorOneLine(Entry):
    name = "validate-error-one-line"
    owner = "virtsnap"
    reason = ("--validate errors are one line naming the schema file only, with the first "
              "of libxml2's messages (after the line number when libxml2 has one); virsh "
              "prints libvirt's schema path and every message on lines of their own")
    documented = CLI_README + " (--validate; every error is one line)"
    affects = "snapshot-create[-as] --validate of a document the schema refuses"
    PAT = re.compile(r"^(error: XML document failed to validate against schema: Unable to "
                     r"validate doc against )/usr/share/libvirt/schemas/(\S+)\n(.*)\n"
                     r"(?:.*\n)*")

    def matches(self, ctx, op):
        return has(op, "--validate")

    def expect(self, ctx, op, exp, ref):
        m = self.PAT.match(exp.stderr)
        if not m:
            return None
        exp.stderr = re.compile(re.escape(m.group(1) + m.group(2) + ": ") +
                                r"(?:line \d+: )?" + re.escape(m.group(3)) + "\n")
        return exp
