"""One sequence: the same operations through virsh and virtsnap, compared
command by command, with the full state compared after every change."""

import os
import random
import subprocess
from collections import Counter
from dataclasses import dataclass, field

from . import known
from .bugs import uncapped_metadata_indent
from .entry import escaped_control_chars, lost_control_chars
from .expect import Expect, mismatches
from .generate import Generator, Op
from .model import VmState, parse_snapshot_xml
from .peers import HarnessError, VirshDied, VirshSession, Virtsnap, copy_tree, \
    make_world_dir
from .tree import TreeParseError

NOW = 1700000000


class Mismatch(Exception):
    def __init__(self, op, exp, res, ref, where, parts):
        super().__init__(where)
        self.op, self.exp, self.res, self.ref = op, exp, res, ref
        self.where, self.parts = where, parts

    def signature(self):
        return (self.where, self.op.argv[0] if self.op.argv else self.op.kind,
                tuple(self.parts))


class SequenceEnd(Exception):
    pass


@dataclass
class Outcome:
    ops: list = field(default_factory=list)
    failure: object = None
    ended_by: str = ""
    skipped: Counter = field(default_factory=Counter)
    applied: Counter = field(default_factory=Counter)
    trips: Counter = field(default_factory=Counter)
    commands: int = 0
    virsh_seconds: float = 0.0
    virtsnap_seconds: float = 0.0
    virsh_commands: int = 0
    virtsnap_commands: int = 0


def sequence_seed(seed, index):
    return (seed * 1000003 + index) & 0xFFFFFFFFFFFF


class Context:
    """What the listed differences may look at while one command is compared."""

    def __init__(self, seq):
        self.seq = seq
        self.world = seq.world
        self.state = seq.state
        self.mode = "virtsnap"
        self.actual = None

    def state_of(self, op):
        return self.state.get(op.vm)

    def ref_aux(self, argv):
        return self.seq.virsh.run(argv)

    def apply_edit(self, xml):
        """@xml through the current edit.sed, as the editor would change it."""
        proc = subprocess.run(["sed", "-f", os.path.join(self.seq.work, "edit.sed")],
                              input=xml.encode("utf-8", "surrogateescape"),
                              stdout=subprocess.PIPE, check=False)
        if proc.returncode != 0:
            return None
        return proc.stdout.decode("utf-8", "surrogateescape")

    def write_reference_file(self, name, text):
        """A changed copy of an input, for virsh only: ref/NAME."""
        ref = os.path.join(self.seq.work, "ref")
        os.makedirs(ref, exist_ok=True)
        os.chmod(ref, 0o755)
        path = os.path.join(ref, name)
        with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(text)
        os.chmod(path, 0o644)
        return "ref/" + name


class Sequence:
    def __init__(self, world, seed, index, length, landed, two_vms=None, replay=None,
                 weights=None):
        self.world = world
        self.index = index
        self.length = length
        self.landed = landed
        self.entries = known.active_entries(landed)
        self.rng = random.Random(sequence_seed(seed, index))
        if two_vms is None:
            two_vms = self.rng.random() < 0.3
        self.vms = ["demo", "vm2"] if two_vms else ["demo"]
        self.replay = replay
        self.state = {vm: VmState(vm) for vm in self.vms}
        self.outcome = Outcome()
        self.gen = Generator(self.rng, world, self.vms, weights)
        self.trips = 0

    # -- running ---------------------------------------------------------
    def run(self):
        path, self.work = self.world.sequence_dir(self.index)
        self.path = path
        home = self.world.new_home(path)
        self.root = self.world.new_root(path)
        # the store exists, as virsh's VMs are defined (a missing store
        # directory is an error of its own for read commands)
        self.store = os.path.join(path, "store")
        os.makedirs(self.store, mode=0o700)
        self.virsh = VirshSession(self.root, self.work, home, self.world.shim)
        self.virtsnap = Virtsnap(self.world.virtsnap, self.store, self.work,
                                 os.path.join(path, "vhome"), NOW)
        os.makedirs(os.path.join(path, "vhome"), exist_ok=True)
        self.ctx = Context(self)
        try:
            self.dump_and_compare(None)
            steps = self.replay if self.replay is not None else range(self.length)
            for step in steps:
                op = step if self.replay is not None else self.gen.next_op(self.ctx)
                self.outcome.ops.append(op)
                self.step(op)
            if self.replay is None:
                # every sequence ends with a legacy round trip of what it built
                op = Op("roundtrip", [], self.vms[0])
                self.outcome.ops.append(op)
                self.step(op)
        except Mismatch as m:
            self.outcome.failure = m
        except SequenceEnd as e:
            self.outcome.ended_by = str(e)
        except VirshDied as e:
            self.outcome.failure = e
        finally:
            self.virsh.close()
            self.outcome.virsh_seconds = self.virsh.seconds
            self.outcome.virsh_commands = self.virsh.commands
            self.outcome.virtsnap_seconds = self.virtsnap.seconds
            self.outcome.virtsnap_commands = self.virtsnap.commands
        return self.outcome

    def step(self, op):
        for name, text in op.files.items():
            path = os.path.join(self.work, name)
            with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(text)
            os.chmod(path, 0o644)
        if op.kind == "roundtrip":
            self.roundtrip()
            return
        ran, ref, terminal = self.compare(op, self.virtsnap.run, self.virsh.run, "command")
        if terminal:
            raise SequenceEnd(terminal)
        if ran and op.writes:
            self.dump_and_compare(op)

    def compare(self, op, actual, reference, where):
        """Runs @op on both sides with every matching listed difference
        applied; raises Mismatch.  Returns (ran, virsh result, terminal)."""
        ctx = self.ctx
        ctx.actual = actual
        apps = [e for e in self.entries if ctx.mode in e.modes and e.matches(ctx, op)]
        for e in apps:
            if e.skip(ctx, op):
                self.outcome.skipped[e.name] += 1
                self.outcome.applied[e.name] += 1
                return False, None, ""
        argv = op.argv
        used = []
        for e in apps:
            new = e.reference(ctx, op, argv)
            if new != argv:
                used.append(e.name)
            argv = new
        ref = reference(argv)
        res = actual(op.argv)
        self.outcome.commands += 1
        exp = Expect.from_result(ref)
        try:
            for e in apps:
                new = e.expect(ctx, op, exp, ref)
                if new is not None:
                    exp = new
                    if e.name not in used:
                        used.append(e.name)
            for e in apps:
                pair = e.both(ctx, op, exp, res)
                if pair is not None:
                    exp, res = pair
                    used.append(e.name)
        except TreeParseError as err:
            raise HarnessError("applying a listed difference to %r: %s" % (op.argv, err))
        exp.applied = used
        for name in used:
            self.outcome.applied[name] += 1
        parts = mismatches(exp, res)
        if parts:
            raise Mismatch(op, exp, res, ref, where, parts)
        terminal = ""
        for e in apps:
            if e.terminal(ctx, op, ref):
                self.outcome.applied[e.name] += 1
                terminal = e.name
            elif e.after(ctx, op, ref):
                self.outcome.applied[e.name] += 1
        return True, ref, terminal

    # -- state -------------------------------------------------------------
    def refresh_state(self, vm, run=None):
        """The model of @vm, from virsh."""
        run = run or self.virsh.run
        state = VmState(vm)
        res = run(["snapshot-list", vm, "--name"])
        names = res.stdout.split("\n")[:-2] if res.rc == 0 and res.stdout != "\n" else []
        for n in names:
            res = run(["snapshot-dumpxml", vm, "--snapshotname", n, "--security-info"])
            if res.rc != 0:
                raise HarnessError("virsh cannot dump %r: %s" % (n, res.stderr))
            state.snaps[n] = parse_snapshot_xml(res.stdout)
        res = run(["snapshot-list", vm, "--topological", "--name"])
        state.libvirt_order = res.stdout.split("\n")[:-2] if names else []
        res = run(["snapshot-current", vm, "--name"])
        # virsh prints the name, then the newline every command ends with
        state.current = res.stdout[:-1] if res.rc == 0 else None
        if set(state.libvirt_order) != set(names):
            raise HarnessError("virsh's --topological and --name listings differ")
        return state

    def dump_ops(self, vm):
        state = self.state[vm]
        ops = [Op("dump", ["snapshot-list", vm, "--name"], vm),
               Op("dump", ["snapshot-list", vm, "--parent"], vm),
               Op("dump", ["snapshot-list", vm, "--topological"], vm),
               Op("dump", ["snapshot-list", vm, "--tree"], vm),
               Op("dump", ["snapshot-current", vm, "--name"], vm),
               Op("dump", ["snapshot-current", vm], vm)]      # XML without secrets
        for n in state.libvirt_order:
            ops.append(Op("dump", ["snapshot-dumpxml", vm, "--snapshotname", n,
                                   "--security-info"], vm))
            ops.append(Op("dump", ["snapshot-info", vm, "--snapshotname", n], vm))
        return ops

    def dump_and_compare(self, after):
        for vm in self.vms:
            self.state[vm] = self.refresh_state(vm)
            for op in self.dump_ops(vm):
                self.compare(op, self.virtsnap.run, self.virsh.run, "state")

    # -- legacy round trip -------------------------------------------------
    def roundtrip(self):
        """virtsnap's export loaded by a fresh virsh, and virsh's own files
        converted by virtsnap, both compared with the live virsh."""
        self.trips += 1
        base = os.path.join(self.path, "trip%d" % self.trips)
        make_world_dir(base)
        for vm in self.vms:
            if not self.state[vm].snaps:
                continue
            for part, run in (("export", self.export_then_reload), ("convert", self.convert)):
                skip = [e.name for e in self.entries if e.skip_trip(self.ctx, vm, part)]
                for name in skip:
                    self.outcome.applied[name] += 1
                    self.outcome.skipped[name] += 1
                if not skip:
                    self.outcome.trips[part] += 1
                    run(base, vm)

    def _trip_op(self, argv, vm):
        return Op("roundtrip", argv, vm)

    def export_then_reload(self, base, vm):
        store = os.path.join(base, "export-store")
        if not os.path.isdir(store):
            copy_tree(self.store, store)
        res = self.virtsnap.run(["export-legacy", vm], store=store)
        op = self._trip_op(["export-legacy", vm], vm)
        if res.rc != 0:
            raise Mismatch(op, Expect("", "", 0), res, None, "export-legacy", ["rc"])
        mine = read_dir(os.path.join(store, vm))
        theirs = read_dir(self.world.snapshot_dir(self.root, vm))
        theirs = {k: self.expected_file(v) for k, v in theirs.items()}
        if mine != theirs:
            raise Mismatch(op, Expect(render_files(theirs), "", 0),
                           Expect(render_files(mine), "", 0), None,
                           "export-legacy files", ["stdout"])
        root = self.world.new_root(base, "root-" + vm)
        sdir = self.world.snapshot_dir(root, vm)
        os.makedirs(sdir, exist_ok=True)
        for name, data in mine.items():
            path = os.path.join(sdir, name)
            with open(path, "wb") as f:
                f.write(data)
            os.chmod(path, 0o600)
        if os.getuid() == 0:
            for p in (sdir, *(os.path.join(sdir, n) for n in mine)):
                os.chown(p, 65534, 65534)
        fresh = VirshSession(root, self.work, self.world.new_home(base), self.world.shim)
        try:
            self.ctx.mode = "reload"
            for op in self.dump_ops(vm):
                self.compare(op, fresh.run, self.virsh.run, "reload of export-legacy")
        finally:
            self.ctx.mode = "virtsnap"
            fresh.close()

    def expected_file(self, data):
        """virsh's own file as virtsnap's export is expected to write it: the
        listed differences of snapshot-dumpxml's output apply to its bytes."""
        text = data.decode("utf-8", "surrogateescape")
        for name, change in (("control-chars-escaped", escaped_control_chars),
                             ("attribute-control-chars-lost", lost_control_chars),
                             ("finding-metadata-indent-uncapped", uncapped_metadata_indent)):
            if any(e.name == name for e in self.entries):
                new = change(text)
                if new != text:
                    self.outcome.applied[name] += 1
                text = new
        return text.encode("utf-8", "surrogateescape")

    def convert(self, base, vm):
        store = os.path.join(base, "convert-store")
        make_world_dir(store)
        copy_tree(self.world.snapshot_dir(self.root, vm), os.path.join(store, vm))
        res = self.virtsnap.run(["convert", vm], store=store)
        if res.rc != 0:
            raise Mismatch(self._trip_op(["convert", vm], vm), Expect("", "", 0), res,
                           None, "convert", ["rc"])
        conv = Virtsnap(self.world.virtsnap, store, self.work, self.virtsnap.env["HOME"], NOW)
        self.ctx.mode = "convert"
        try:
            for op in self.dump_ops(vm):
                self.compare(op, conv.run, self.virsh.run, "convert of virsh's files")
        finally:
            self.ctx.mode = "virtsnap"


def read_dir(path):
    out = {}
    if os.path.isdir(path):
        for name in sorted(os.listdir(path)):
            full = os.path.join(path, name)
            if os.path.isfile(full):
                with open(full, "rb") as f:
                    out[name] = f.read()
    return out


def render_files(files):
    return "".join("=== %s\n%s" % (k, v.decode("utf-8", "surrogateescape"))
                   for k, v in sorted(files.items()))
