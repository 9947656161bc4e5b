"""The shape of one listed difference, and helpers the entries share."""

import re

from . import tree as treetext

CLI_README = "tests/cli/README.md (Deliberate differences)"
MANPAGE = "docs/virtsnap.1 (DIFFERENCES FROM VIRSH)"
OBSERVED = "LIBVIRT-9.0-OBSERVED.md"
DECISIONS = "briefs/decisions11.md"
OTHER_UUID = "6b1c7f3e-8f7a-4d8e-9a36-0c1f2a3b4c5d"

class Entry:
    name = ""
    owner = ""          # virtsnap | libvirt | harness
    reason = ""
    documented = ""
    affects = ""
    until = None
    since = None
    kind = "transform"  # transform | skip | terminal | not-generated
    # Comparisons an entry belongs to: virtsnap against virsh ("virtsnap"),
    # virtsnap on a store converted from virsh's files ("convert"), a fresh
    # virsh on virtsnap's export against the live one ("reload").
    modes = ("virtsnap", "convert")

    def active(self, landed):
        if self.until and self.until in landed:
            return False
        if self.since and self.since not in landed:
            return False
        return True

    # Each hook gets the comparison context (ctx) and the operation (op).
    def matches(self, ctx, op):
        return False

    def skip(self, ctx, op):
        return False

    def reference(self, ctx, op, argv):
        return argv

    def expect(self, ctx, op, exp, ref):
        """Returns the changed expectation, or None when not applicable."""
        return None

    def both(self, ctx, op, exp, res):
        """Normalises expectation and answer alike; returns (exp, res) or None."""
        return None

    def terminal(self, ctx, op, ref):
        return False

    def after(self, ctx, op, ref):
        """Repairs virsh's state after a libvirt bug changed it; True when
        it did (runs virsh-only commands through ctx.ref_aux)."""
        return False

    def skip_trip(self, ctx, vm, part):
        """True to leave out one part ("export" or "convert") of the
        legacy round trip of @vm."""
        return False


def cmd(op):
    return op.argv[0] if op.argv else ""


def has(op, *flags):
    return any(a in flags for a in op.argv)


def target_name(ctx, op):
    """The snapshot a revert/delete command names (None when unclear): the
    argv is read like virsh reads it (--domain/--snapshotname take a value,
    other options of these commands are flags, `--` ends options)."""
    state = ctx.state_of(op)
    if has(op, "--current"):
        return state.current if state else None
    words, domain_named, i, data_only = [], False, 1, False
    while i < len(op.argv):
        a = op.argv[i]
        if data_only and a.startswith("--") and len(words) >= (1 if domain_named else 2):
            return None     # an option after `--` and the name: virsh refuses to parse it
        if data_only or not a.startswith("--"):
            words.append(a)
        elif a == "--":
            data_only = True
        elif a in ("--domain", "--snapshotname"):
            if a == "--snapshotname" and i + 1 < len(op.argv):
                return op.argv[i + 1]
            domain_named = True
            i += 1
        elif a.startswith("--snapshotname="):
            return a[len("--snapshotname="):]
        elif a.startswith("--domain="):
            domain_named = True
        i += 1
    if not domain_named:
        words = words[1:]
    return words[0] if words else None


def replace_word(argv, old, new):
    out = []
    for a in argv:
        if a == old:
            out.append(new)
        elif a == "--domain=" + old:
            out.append("--domain=" + new)
        else:
            out.append(a)
    return out


def shown_name(name):
    return re.sub(r"[\x00-\x08\x0a-\x1f\x7f]", "?", name)


def spec_name(op):
    spec = op.meta.get("spec")
    return op.meta.get("name", spec.name if spec else None)


# libvirt's errors that come after parsing the document: virtsnap checks a
# name while parsing, so it reports a refused name instead of these.
AFTER_PARSE = re.compile(
    r"error: (operation failed: domain moment .* already exists|invalid argument: "
    r"(cannot set moment .* as its own parent|parent .* for moment .* not found|parent .* "
    r"would create cycle to .*|definition for snapshot .* must use uuid .*|cannot change "
    r"between .*|disk-only flag for snapshot .* requires disk-snapshot state)|internal "
    r"error: (missing domain in snapshot|unable to save metadata for snapshot .*)|"
    r"unsupported configuration: (no disk named .*|disk .* specified twice|too many disk "
    r"snapshot requests for domain|disk .* must use snapshot mode .*))\n\Z", re.S)


# libvirt's errors from the snapshot document's parser itself.
PARSE_LEVEL = re.compile(r"error: (\(domain_snapshot\):\d+: |XML error: |unsupported "
                         r"configuration: Invalid state |internal error: missing creationTime)")


def after_parse(ref):
    return ref.rc == 0 or AFTER_PARSE.match(ref.stderr) is not None


def refusal(exp, ref, stderr, keep_parse_errors):
    """virtsnap refuses a document libvirt accepts.  When libvirt accepted it
    (or refused it only after parsing) virtsnap's refusal is expected exactly;
    when libvirt's parser refused it too, virsh's answer stands if virtsnap
    checks after parsing (@keep_parse_errors), else only the status is
    compared: which of two refusals inside the parser comes first is not
    specified.  Returns None when virsh's answer stands."""
    if after_parse(ref):
        exp.stdout = "\n"
        exp.stderr = stderr
        exp.rc = 1
        return exp
    if keep_parse_errors and PARSE_LEVEL.match(ref.stderr):
        return None
    exp.unverified = "refused by both"
    exp.rc = 1
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


# ---------------------------------------------------------------------------
# Reordering listings

def _list_names(ctx, op, peer):
    """The names a listing shows, in its order (the same listing with --name)."""
    argv = [a for a in op.argv if a not in ("--parent",)] + ["--name"]
    res = peer(argv)
    if res.rc != 0:
        raise treetext.TreeParseError("aux listing failed: %r" % (res.stderr,))
    return res.stdout.split("\n")[:-2] if res.stdout.endswith("\n\n") else []


def reorder_listing(ctx, op, text, state, key, peer=None):
    peer = peer or ctx.ref_aux
    if has(op, "--tree"):
        parent_of = {n: s.parent for n, s in state.snaps.items()}
        roots, children = treetext.parse(text, set(state.snaps), parent_of)
        roots = sorted(roots, key=key)
        children = {n: sorted(k, key=key) for n, k in children.items()}
        return treetext.render(roots, children) + "\n"
    if has(op, "--name"):
        lines = text.split("\n")
        names = lines[:-2]
        return "\n".join(sorted(names, key=key) + lines[-2:])
    names = _list_names(ctx, op, peer)
    lines = text.split("\n")
    head, rows, tail = lines[:2], lines[2:2 + len(names)], lines[2 + len(names):]
    if len(rows) != len(names):
        raise treetext.TreeParseError("table rows do not match names")
    ordered = [r for _, r in sorted(zip(names, rows), key=lambda p: key(p[0]))]
    return "\n".join(head + ordered + tail)
