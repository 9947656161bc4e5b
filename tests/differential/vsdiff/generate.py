"""Random operation sequences: what a user (or an attacker) types.

Every choice comes from one random.Random, so a seed gives the same
sequence as long as the programs answer the same.  The generator looks at
the state virsh reported after the previous change (names, parents,
current) to pick meaningful targets: existing snapshots, their children,
cycles, missing parents.
"""

from dataclasses import dataclass, field

SIMPLE_NAMES = ["s1", "s2", "s3", "s4", "s5", "s6", "base", "a", "b", "c1", "c2",
                "nightly", "UPPER", "x.xml"]
ODD_NAMES = [
    "with space", "  lead-trail  ", "tab\there", "ünïcødé-€", "漢字スナップ", "'quote\"",
    "a&b", "<tag>&amp", "-dash", "--opt", "*", "back\\x41slash", "Zebra", "zebra",
    "nel\u0085x", "zw\u200bj", "#hash", "semi;colon", "=eq", "'", "%s%n", "\\",
    "fin.", "q" * 247, "é" * 123, "a=b,c", "$HOME", "a\u00a0b", "emoji-😀",
    "trail\t", "  ", "x" * 238 + "-239bytes",
]
INVALID_NAMES = ["a/b", "../escape", ".hidden", "", "r" * 248, "é" * 124]
CONTROL_NAMES = ["nl\nname", "cr\rname", "del\x7fname"]

SHARED_TIMES = ["1700000000", "1700000000", "1700000100", "1700000100", "1700000200",
                "1700000300", "1600000000", "1700000050"]
ODD_TIMES = ["-5", "-1700000000", "1", "253402300799", " 1700000400 ", "\n1700000500\n",
             "01700000600", "2147483648", "4294967296"]
BAD_TIMES = ["yesterday", "1700000000.5", "99999999999999999999", "", "+1700000000",
             "0x10", "1e9", "--5"]
ZERO_TIMES = ["0", "-0", "00", " 0 "]
HUGE_TIMES = ["253402300800", "32503680000"]   # year 10000 and 3000: virsh's table

STATES_OFFLINE = ["shutoff", "shutdown", "crashed"]
STATES_ONLINE = ["running", "paused"]
STATES_ODD = ["disk-snapshot", "nostate", "bogus", "Shutoff", "shutoff "]
STATES_REFUSED = ["blocked", "pmsuspended"]    # libvirt's qemu driver refuses them

DESCRIPTIONS = [
    "plain description", "entities &amp; &lt;tag&gt; &quot;q&quot; &apos;a&apos;",
    "multi\nline\ntext", "tab\there", "carriage&#13;return", "cr-lf&#13;\nline",
    "  padded  ", "ünïcødé 漢字", "", "   ", "<![CDATA[raw <cdata> & stuff]]>",
    "x" * 3000, "nel\u0085 and \u2028 separators", "a&#9;tab-ref&#10;lf-ref",
    "trailing newline\n", "comment<!-- inside -->kept?",
]

PATHS = ["/var/lib/libvirt/images/demo.ext", "/var/lib/libvirt/qemu/save/mem",
         "/tmp/with space.qcow2", "/tmp/tab&#9;in-path", "/tmp/quote&apos;s",
         "/tmp/amp&amp;lt", "/tmp/lf&#10;path", "/tmp/cr&#13;path", "/tmp/ünï.img",
         "relative/path.img"]

XPATHS_VALID = ["//name", "/domainsnapshot/state", "//disk/@name", "//disk", "//nosuch",
                "//description", "/domainsnapshot/parent", "//domain/uuid", "//memory",
                "//graphics/@passwd", "/domainsnapshot/*[3]"]
XPATHS_INVALID = ["///", "[", "//name[", "count(//disk)", "string(//name)", "1+1", ""]


def xml_escape(text):
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("'", "&apos;").replace('"', "&quot;"))


def xml_text(rng, text):
    """Escape a value; control characters by character reference or raw
    where XML would read them back the same (a raw CR would become LF)."""
    out = []
    for ch in xml_escape(text):
        if ch == "\r" or (ch in "\t\n" and rng.random() < 0.5):
            out.append("&#%d;" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


@dataclass
class Op:
    kind: str
    argv: list
    vm: str = "demo"
    writes: bool = False
    files: dict = field(default_factory=dict)
    tags: set = field(default_factory=set)
    meta: dict = field(default_factory=dict)

    def shell(self):
        from .peers import virsh_quote
        return "virtsnap " + " ".join(virsh_quote(a) for a in self.argv)


@dataclass
class SnapSpec:
    name: object = None          # None: no <name>
    parent: object = None        # None: no <parent>; "" : empty parent name
    time: object = None          # None: no <creationTime>
    state: object = "shutoff"
    description: object = None
    memory: object = "no"        # "no" | "internal" | ("external", path) | None | other
    disks: str = "internal"      # internal | none | external | vdz | twice | empty | manual
    domain: str = "canonical"    # canonical | none | otheruuid | inactive | both
    extras: list = field(default_factory=list)
    prolog: str = ""


OP_WEIGHTS = [
    (34, "redefine"), (7, "update"), (8, "set-current"), (12, "delete"), (9, "list"),
    (9, "read"), (4, "print-xml"), (3, "create-refused"), (4, "revert"), (4, "syntax"),
    (3, "ghost"), (3, "malformed"), (2, "roundtrip"), (0.4, "deep"), (3, "edit")]


class Generator:
    def __init__(self, rng, world, vms, weights=None):
        self.weights = weights or {}
        self.rng = rng
        self.world = world
        self.vms = vms
        self.nfile = 0

    # -- helpers ---------------------------------------------------------
    def chance(self, p):
        return self.rng.random() < p

    def pick(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def weighted(self, table):
        total = sum(w for w, _ in table)
        x = self.rng.random() * total
        for w, item in table:
            x -= w
            if x < 0:
                return item
        return table[-1][1]

    def new_file(self, op, text):
        self.nfile += 1
        name = "f%d.xml" % self.nfile
        op.files[name] = text
        return name

    def any_name(self, state, fresh_bias=0.5):
        existing = list(state.snaps)
        if existing and not self.chance(fresh_bias):
            return self.pick(existing)
        r = self.rng.random()
        if r < 0.62:
            return self.pick(SIMPLE_NAMES)
        if r < 0.94:
            return self.pick(ODD_NAMES)
        if r < 0.996:
            return self.pick(INVALID_NAMES)
        return self.pick(CONTROL_NAMES)   # ends the sequence when libvirt stores it

    def existing_or_missing(self, state):
        if state.snaps and self.chance(0.85):
            return self.pick(sorted(state.snaps))
        return self.pick(["nosuch", "S1", "s1 ", "ghost-snap", "-dash", "*"])

    def domain_arg(self, vm):
        r = self.rng.random()
        if r < 0.75:
            return [vm]
        if r < 0.9:
            return ["--domain", vm]
        return ["--domain=" + vm]

    def snap_arg(self, name):
        """A snapshot name as virsh users pass it (all forms the parser allows)."""
        if name.startswith("-") or name == "":
            return self.pick([["--snapshotname", name], ["--snapshotname=" + name],
                              ["--", name]])
        r = self.rng.random()
        if r < 0.7:
            return [name]
        if r < 0.9:
            return ["--snapshotname", name]
        return ["--snapshotname=" + name]

    def typeable(self, name):
        return not any(c in name for c in "\n\r\0")

    # -- snapshot XML ------------------------------------------------------
    def snapshot_xml(self, vm, spec):
        rng = self.rng
        lines = []
        if spec.prolog:
            lines.append(spec.prolog)
        lines.append("<domainsnapshot>")
        if spec.name is not None:
            lines.append("  <name>%s</name>" % xml_text(rng, spec.name))
        if spec.description is not None:
            d = spec.description
            lines.append("  <description>%s</description>" % d)
        if spec.state is not None:
            lines.append("  <state>%s</state>" % spec.state)
        if spec.parent is not None:
            lines += ["  <parent>", "    <name>%s</name>" % xml_text(rng, spec.parent),
                      "  </parent>"]
        if spec.time is not None:
            lines.append("  <creationTime>%s</creationTime>" % spec.time)
        mem = spec.memory
        if isinstance(mem, tuple):
            lines.append("  <memory snapshot='external' file='%s'/>" % mem[1])
        elif mem is not None:
            lines.append("  <memory snapshot='%s'/>" % mem)
        lines += self.disks_xml(vm, spec.disks)
        lines += spec.extras
        dom = self.world.canonical[vm]
        if isinstance(spec.domain, tuple):      # ("deep", levels of <metadata> content)
            lines += ["  " + l for l in deep_domain(dom, spec.domain[1]).splitlines()]
        if spec.domain in ("canonical", "both"):
            lines += ["  " + l for l in dom.splitlines()]
        if spec.domain == "otheruuid":
            other = dom.replace(self.world.uuid[vm], "6b1c7f3e-8f7a-4d8e-9a36-0c1f2a3b4c5d")
            lines += ["  " + l for l in other.splitlines()]
        if spec.domain in ("inactive", "both"):
            inact = dom.replace("<domain ", "<inactiveDomain ").replace("</domain>",
                                                                         "</inactiveDomain>")
            lines += ["  " + l for l in inact.splitlines()]
        lines.append("</domainsnapshot>")
        return "\n".join(lines) + "\n"

    def disks_xml(self, vm, kind):
        disks = self.world.disks[vm]
        if kind == "none":
            return []
        if kind == "empty":
            return ["  <disks/>"]
        out = ["  <disks>"]
        if kind == "internal":
            out += ["    <disk name='%s' snapshot='internal'/>" % d for d in disks]
        elif kind == "manual":
            out += ["    <disk name='%s' snapshot='manual'/>" % d for d in disks]
        elif kind == "external":
            path = self.pick(PATHS)
            out += ["    <disk name='%s' snapshot='external' type='file'>" % disks[0],
                    "      <driver type='qcow2'/>",
                    "      <source file='%s'/>" % path, "    </disk>"]
            out += ["    <disk name='%s' snapshot='no'/>" % d for d in disks[1:]]
        elif kind == "vdz":
            out.append("    <disk name='vdz' snapshot='internal'/>")
        elif kind == "twice":
            out += ["    <disk name='%s' snapshot='internal'/>" % disks[0]] * 2
        out.append("  </disks>")
        return out

    def random_spec(self, state):
        rng = self.rng
        spec = SnapSpec()
        spec.name = self.any_name(state, fresh_bias=0.7)
        if self.chance(0.03):
            spec.name = None
        r = rng.random()
        names = sorted(state.snaps)
        if r < 0.25 or not names:
            spec.parent = None
        elif r < 0.85:
            spec.parent = self.pick(names)
            if spec.name in state.snaps and self.chance(0.5):
                # a descendant (cycle) or itself
                desc = state.descendants(spec.name)
                spec.parent = self.pick(desc) if desc else spec.name
        elif r < 0.93:
            spec.parent = self.pick(["nosuch", "S1", ""])
        else:
            spec.parent = self.any_name(state)
        t = rng.random()
        if t < 0.8:
            spec.time = self.pick(SHARED_TIMES)
        elif t < 0.9:
            spec.time = self.pick(ODD_TIMES)
        elif t < 0.96:
            spec.time = self.pick(BAD_TIMES)
        elif t < 0.985:
            spec.time = self.pick(HUGE_TIMES)
        elif t < 0.995:
            spec.time = self.pick(ZERO_TIMES)
        else:
            spec.time = None
        s = rng.random()
        if s < 0.75:
            spec.state = self.pick(STATES_OFFLINE)
        elif s < 0.9:
            spec.state = self.pick(STATES_ONLINE)
        elif s < 0.98:
            spec.state = self.pick(STATES_ODD)
        elif s < 0.99:
            spec.state = self.pick(STATES_REFUSED)
        else:
            spec.state = None
        online = spec.state in STATES_ONLINE
        m = rng.random()
        if m < 0.8:
            spec.memory = "internal" if online and self.chance(0.6) else "no"
        elif m < 0.9:
            spec.memory = ("external", self.pick(PATHS))
        elif m < 0.95:
            spec.memory = None
        else:
            spec.memory = self.pick(["internal", "bogus", "external"])
        spec.disks = self.weighted([(70, "internal"), (10, "none"), (10, "external"),
                                    (3, "vdz"), (3, "twice"), (2, "empty"), (2, "manual")])
        if spec.state == "disk-snapshot" and self.chance(0.7):
            spec.disks = "external"
            spec.memory = "no"
        if self.chance(0.5):
            # entries with markup are written as they stand (references, CDATA)
            raw = self.pick(DESCRIPTIONS)
            spec.description = raw if ("&" in raw or "<" in raw) else xml_text(rng, raw)
        # another VM's uuid ends the sequence when the VM has no snapshot yet
        # (vm-uuid-learned-from-snapshots): rarer then
        spec.domain = self.weighted([(88, "canonical"), (5, "none"),
                                     (3 if state.snaps else 0.3, "otheruuid"),
                                     (2, "inactive"), (2, "both")])
        if self.chance(0.05):
            spec.extras.append(self.pick([
                "  <bogus>dropped</bogus>", "  <!-- a comment -->", "  <?pi target?>",
                "  <name>second-name</name>", "  <parent><name>second</name></parent>",
                "  <active>1</active>", "  <cookie/>"]))
        if self.chance(0.05):
            spec.prolog = self.pick(["<?xml version='1.0' encoding='UTF-8'?>",
                                     "<?xml version=\"1.0\"?>", "<!-- leading comment -->"])
        return spec

    # -- operations ----------------------------------------------------------
    def next_op(self, ctx):
        vm = self.pick(self.vms) if len(self.vms) > 1 and self.chance(0.3) else self.vms[0]
        state = ctx.state[vm]
        kind = self.weighted([(self.weights.get(k, w), k) for w, k in OP_WEIGHTS])
        op = getattr(self, "op_" + kind.replace("-", "_"))(vm, state)
        op.vm = op.vm or vm
        return op

    def op_redefine(self, vm, state, spec=None):
        spec = spec or self.random_spec(state)
        op = Op("redefine", [], vm, writes=True)
        f = self.new_file(op, self.snapshot_xml(vm, spec))
        argv = ["snapshot-create"] + self.domain_arg(vm)
        argv += [f] if self.chance(0.85) else ["--xmlfile", f]
        flags = ["--redefine"]
        if self.chance(0.3):
            flags.append("--current")
        if self.chance(0.04):
            flags.append("--validate")
        if self.chance(0.04) or (spec.state == "disk-snapshot" and self.chance(0.3)):
            flags.append("--disk-only")
        if self.chance(0.02):
            flags.append(self.pick(["--no-metadata", "--halt", "--atomic", "--live",
                                    "--quiesce", "--reuse-external"]))
        if self.chance(0.02):
            flags.remove("--redefine")
            flags.append("--current")
        self.rng.shuffle(flags)
        op.argv = argv + flags
        op.meta["spec"] = spec
        return op

    def op_update(self, vm, state):
        """Redefine an existing snapshot from its own dump, changed a little."""
        if not state.snaps:
            return self.op_redefine(vm, state)
        name = self.pick(sorted(state.snaps))
        xml = state.snaps[name].xml
        op = Op("update", [], vm, writes=True)
        change = self.pick(["same", "description", "time", "parent", "root", "state",
                            "nodomain", "rename"])
        if change == "description":
            new = xml_text(self.rng, self.pick(DESCRIPTIONS[:10]))
            if "<description>" in xml:
                start = xml.index("<description>")
                end = xml.index("</description>") + len("</description>")
                xml = xml[:start] + "<description>%s</description>" % new + xml[end:]
            else:
                xml = xml.replace("</name>", "</name>\n  <description>%s</description>" % new, 1)
        elif change == "time" and "<creationTime>" in xml:
            start = xml.index("<creationTime>") + len("<creationTime>")
            end = xml.index("</creationTime>")
            xml = xml[:start] + self.pick(SHARED_TIMES) + xml[end:]
        elif change in ("parent", "root"):
            target = self.pick(sorted(state.snaps)) if change == "parent" else None
            xml = _set_parent(xml, target)
        elif change == "state":
            for s in ("shutoff", "running", "disk-snapshot", "paused", "crashed"):
                xml = xml.replace("<state>%s</state>" % state.snaps[name].state,
                                  "<state>%s</state>" % s, 1) if self.chance(0.3) else xml
        elif change == "nodomain" and "<domain" in xml:
            start = xml.index("  <domain")
            end = xml.index("</domain>") + len("</domain>\n")
            xml = xml[:start] + xml[end:]
        elif change == "rename":
            new = self.any_name(state, fresh_bias=1.0)
            start = xml.index("<name>") + len("<name>")
            end = xml.index("</name>")
            xml = xml[:start] + xml_text(self.rng, new) + xml[end:]
        f = self.new_file(op, xml)
        op.argv = ["snapshot-create"] + self.domain_arg(vm) + [f, "--redefine"]
        if self.chance(0.3):
            op.argv.append("--current")
        op.meta["change"] = change
        op.meta["name"] = new if change == "rename" else name
        return op

    def op_set_current(self, vm, state):
        name = self.existing_or_missing(state)
        op = Op("set-current", [], vm, writes=True)
        if not self.typeable(name):
            name = "nosuch"
        op.argv = ["snapshot-current"] + self.domain_arg(vm) + self.snap_arg(name)
        if self.chance(0.05):
            op.argv.append(self.pick(["--name", "--security-info"]))
        return op

    def op_delete(self, vm, state):
        op = Op("delete", [], vm, writes=True)
        argv = ["snapshot-delete"] + self.domain_arg(vm)
        if state.current and self.chance(0.15):
            argv.append("--current")
        else:
            argv += self.snap_arg(self.existing_or_missing(state))
        flags = []
        if self.chance(0.9):
            flags.append("--metadata")
        r = self.rng.random()
        if r < 0.2:
            flags.append("--children")
        elif r < 0.35:
            flags.append("--children-only")
        elif r < 0.37:
            flags += ["--children", "--children-only"]
        self.rng.shuffle(flags)
        op.argv = argv + flags
        return op

    def op_list(self, vm, state, target=None):
        op = Op("list", [], vm)
        argv = ["snapshot-list"] + self.domain_arg(target or vm)
        flags = []
        for flag, p in [("--parent", 0.25), ("--roots", 0.12), ("--leaves", 0.12),
                        ("--no-leaves", 0.08), ("--metadata", 0.05), ("--no-metadata", 0.05),
                        ("--inactive", 0.06), ("--active", 0.06), ("--disk-only", 0.06),
                        ("--internal", 0.06), ("--external", 0.06), ("--tree", 0.2),
                        ("--name", 0.25), ("--topological", 0.25), ("--descendants", 0.12),
                        ("--current", 0.08)]:
            if self.chance(p):
                flags.append(flag)
        if self.chance(0.2):
            name = self.existing_or_missing(state)
            if self.typeable(name):
                flags += self.pick([["--from", name], ["--from=" + name]])
        self.rng.shuffle(flags)
        op.argv = argv + flags
        return op

    def op_read(self, vm, state, target=None):
        op = Op("read", [], vm)
        cmd = self.pick(["snapshot-info", "snapshot-parent", "snapshot-dumpxml",
                         "snapshot-current"])
        argv = [cmd] + self.domain_arg(target or vm)
        name = self.existing_or_missing(state)
        if not self.typeable(name):
            name = "nosuch"
        if cmd == "snapshot-current":
            argv += self.pick([[], ["--name"], ["--security-info"], ["--name", "--security-info"]])
        elif cmd == "snapshot-dumpxml":
            argv += self.snap_arg(name)
            if self.chance(0.4):
                argv.append("--security-info")
            if self.chance(0.25):
                xp = self.pick(XPATHS_VALID) if self.chance(0.8) else self.pick(XPATHS_INVALID)
                argv += ["--xpath", xp]
                if xp in XPATHS_INVALID:
                    op.tags.add("xpath-invalid")
                if self.chance(0.3):
                    argv.append("--wrap")
            elif self.chance(0.03):
                argv.append("--wrap")
        else:
            if state.current and self.chance(0.2):
                argv.append("--current")
                if self.chance(0.1):
                    argv += self.snap_arg(name)
            else:
                argv += self.snap_arg(name)
        op.argv = argv
        return op

    def op_print_xml(self, vm, state):
        op = Op("print-xml", [], vm)
        argv = ["snapshot-create-as"] + self.domain_arg(vm) + ["--print-xml"]
        if self.chance(0.8):
            name = self.any_name(state)
            if self.typeable(name):
                argv += self.pick([["--name", name], [name]]) if not name.startswith("-") \
                    else ["--name", name]
        if self.chance(0.5):
            desc = self.pick(["plain", "x\ty", "a&b<c>'\"", "ctl\x01x", "ünï",
                              "", "  sp  ", "del\x7f"])
            argv += ["--description", desc]
        if self.chance(0.3):
            argv += ["--memspec", self.pick(["snapshot=no", "snapshot=internal",
                                             "file=/tmp/m,snapshot=external", "/tmp/mem",
                                             "file=/a,,b", "bogus=1", "snapshot=external",
                                             "file=", ""])]
        for _ in range(self.weighted([(60, 0), (25, 1), (15, 2)])):
            argv += ["--diskspec", self.pick([
                "vda", "vda,snapshot=no", "vda,snapshot=internal",
                "vda,snapshot=external,file=/tmp/x.qcow2",
                "vdb,snapshot=external,driver=qcow2,stype=block,file=/dev/sdz",
                "vda,,comma", "vdz,snapshot=bogus", "vda,stype=network", "vda,file=a,,b",
                ",", "vda,driver=raw"])]
        if self.chance(0.1):
            argv.append(self.pick(["--disk-only", "--validate", "--halt", "--no-metadata"]))
        op.argv = argv
        return op

    def op_create_refused(self, vm, state):
        """Plain creates libvirt refuses before touching a disk image."""
        op = Op("create-refused", [], vm, writes=True)
        base = ["snapshot-create-as"] + self.domain_arg(vm)
        disks = self.world.disks[vm]
        existing = sorted(state.snaps)
        r = self.rng.random()
        # vm2's https disk: libvirt refuses an internal inactive snapshot of it
        # for the disk before it looks at the name (seed 1202, sequence 39)
        if r < 0.2 and existing and vm != "vm2":
            name = self.pick(existing)
            op.argv = base + ["--name", name] if self.typeable(name) else base + ["a/b"]
        elif r < 0.35:
            op.argv = base + [self.pick(["a/b", ".hidden", "../x"])]
        elif r < 0.55:
            op.argv = base + ["extnew", "--diskspec",
                              "%s,snapshot=external,file=/tmp/ext.qcow2" % disks[0]]
        elif r < 0.7:
            op.argv = base + ["memnew", "--memspec",
                              self.pick(["snapshot=internal", "/tmp/save/mem"])]
        elif r < 0.85:
            op.argv = base + ["vdznew", "--diskspec", "vdz"]
        else:
            op.argv = base + ["twicenew", "--diskspec", disks[0], "--diskspec", disks[0]]
        if self.chance(0.2):
            spec = self.random_spec(state)
            f = self.new_file(op, self.snapshot_xml(vm, spec))
            op.argv = ["snapshot-create"] + self.domain_arg(vm) + [f, "--current"]
        return op

    def op_revert(self, vm, state):
        op = Op("revert", [], vm, writes=True)
        argv = ["snapshot-revert"] + self.domain_arg(vm)
        if state.current and self.chance(0.2):
            argv.append("--current")
        else:
            name = self.existing_or_missing(state)
            argv += self.snap_arg(name if self.typeable(name) else "nosuch")
        for flag, p in [("--running", 0.1), ("--paused", 0.1), ("--force", 0.1)]:
            if self.chance(p):
                argv.append(flag)
        op.argv = argv
        return op

    def op_syntax(self, vm, state):
        op = Op("syntax", [], vm)
        name = self.existing_or_missing(state)
        name = name if self.typeable(name) and not name.startswith("-") else "s1"
        op.argv = self.pick([
            ["snapshot-info", vm, name, "--bogus"],
            ["snapshot-info", vm, name, "extra"],
            ["snapshot-info"],
            ["snapshot-info", "--domain"],
            ["snapshot-info", vm, "--snapshotname"],
            ["snapshot-info", vm, "--current=yes"],
            ["snapshot-info", vm, "--snapshotname", name, "--snapshotname", name],
            ["snapshot-list", vm, "--tree", "--name"],
            ["snapshot-list", vm, "--roots", "--from", name],
            ["snapshot-list", vm, "--parent", "--tree"],
            ["snapshot-list", vm, "--leaves", "--tree"],
            ["snapshot-list", vm, "--descendants"],
            ["snapshot-list", vm, "--from"],
            ["snapshot-dumpxml", vm],
            ["snapshot-delete", vm],
            ["snapshot-delete", vm, name, "--children", "--children-only", "--metadata"],
            ["snapshot-current", vm, "--name", name],
            ["snapshot-parent", vm],
            ["snapshot-revert", vm, name, "--running", "--paused"],
            ["snapshot-create", vm, "nosuch.xml", "--redefine"],
            ["snapshot-create", vm, ".", "--redefine"],
            ["snapshot-create", vm, "--redefine"],
            ["snapshot-list", "--domain", vm, "--domain", vm],
            ["snapshot-list", ""],
            ["snapshot-info", vm, ""],
            ["snapshot-dumpxml", vm, name, "--xpath"],
            ["snapshot-list", vm, "--from", ""],
        ])
        op.writes = op.argv[0] in ("snapshot-delete", "snapshot-create", "snapshot-revert")
        return op

    def op_ghost(self, vm, state):
        op = self.pick([self.op_list, self.op_read])(vm, state, target="ghost")
        op.vm = "ghost"
        op.tags.add("unknown-vm")
        return op

    def op_malformed(self, vm, state):
        op = Op("malformed", [], vm, writes=True)
        spec = self.random_spec(state)
        good = self.snapshot_xml(vm, spec)
        text = self.pick([
            good[: self.rng.randrange(1, len(good))],
            "", "hello world\n", "<domainsnapshot>", "<domain type='qemu'/>\n",
            good.replace("</state>", "</stat>", 1),
            good.replace("<name>", "<name>a &bogus; ", 1),
            good.replace("<name>", "<name>ctl\x01", 1),
            "<domainsnapshot><name>x</name></domainsnapshot><extra/>",
            "<!DOCTYPE x [<!ENTITY e 'y'>]><domainsnapshot><name>&e;</name></domainsnapshot>",
            "\ufeff" + good,
        ])
        if "<!ENTITY" in text:
            op.tags.add("entity")
        f = self.new_file(op, text)
        op.argv = ["snapshot-create"] + self.domain_arg(vm) + [f, "--redefine"]
        op.tags.add("malformed")
        return op

    def op_deep(self, vm, state):
        """A <domain> nested close to libxml2's depth limit: the record is
        3 levels plus the metadata's (libvirt 9.0 takes up to 257)."""
        spec = self.random_spec(state)
        spec.domain = ("deep", self.pick([40, 253, 254, 255]))
        op = self.op_redefine(vm, state, spec)
        op.meta["depth"] = 3 + spec.domain[1]
        return op

    def op_edit(self, vm, state):
        """snapshot-edit through EDITOR='sed -i -f edit.sed' (both programs
        run it in the work directory).  Only edits libvirt accepts: virsh
        9.0 without a terminal crashes on a refused one."""
        if not state.snaps:
            return self.op_list(vm, state)
        op = Op("edit", [], vm, writes=True)
        use_current = state.current is not None and self.chance(0.2)
        name = state.current if use_current else self.pick(sorted(state.snaps))
        if not self.typeable(name) or name.startswith("-"):
            return self.op_list(vm, state)
        argv = ["snapshot-edit"] + self.domain_arg(vm) + \
            (["--current"] if use_current else self.snap_arg(name))
        action = self.pick(["description", "description", "nothing", "rename"])
        if action == "description":
            text = "EDITED %d" % self.rng.randrange(1000)
            sed = "/<description>.*<\\/description>/d\n/<description>/,/<\\/description>/d\n" \
                  "0,\\|</name>|s|</name>|</name><description>%s</description>|\n" % text
        elif action == "nothing":
            sed = "s/shutoff/shutoff/\n"
        else:
            new = "edited-%d" % self.rng.randrange(1000)
            sed = "s|<name>%s</name>|<name>%s</name>|\n" % (sed_escape(xml_escape(name)), new)
            argv.append(self.pick(["--rename", "--clone", None, "--rename"]) or "--current"
                        if use_current else self.pick(["--rename", "--clone", "--rename"]))
        op.files["edit.sed"] = sed
        op.argv = [a for a in argv if a]
        return op

    def op_roundtrip(self, vm, state):
        return Op("roundtrip", [], vm)


def deep_domain(dom, levels):
    """@dom with a <metadata> nested @levels elements deep, spelled the way
    libvirt formats metadata (so the kept-as-given <domain> matches)."""
    def indent(i):
        # libxml2's xmlNodeDump stops indenting at 60 columns; the snapshot
        # adds 2 to everything here
        return " " * min(4 + 2 * i, 58)
    meta = ["  <metadata>"]
    for i in range(levels):
        ns = ' xmlns:app="urn:x"' if i == 0 else ""
        tail = "y</app:x>" if i == levels - 1 else ""
        meta.append(indent(i) + "<app:x%s>%s" % (ns, tail))
    for i in reversed(range(levels - 1)):
        meta.append(indent(i) + "</app:x>")
    meta.append("  </metadata>")
    lines = dom.rstrip("\n").split("\n")
    return "\n".join(lines[:3] + meta + lines[3:]) + "\n"


def sed_escape(text):
    return "".join("\\" + c if c in "\\|.*[]^$&/" else c for c in text)


def _set_parent(xml, target):
    if "<parent>" in xml:
        start = xml.index("  <parent>")
        end = xml.index("</parent>") + len("</parent>\n")
        xml = xml[:start] + xml[end:]
    if target is None:
        return xml
    block = "  <parent>\n    <name>%s</name>\n  </parent>\n" % xml_escape(target)
    idx = xml.index("  <creationTime>") if "<creationTime>" in xml else xml.index("  <memory")
    return xml[:idx] + block + xml[idx:]
