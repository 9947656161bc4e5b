"""Failure reports, reproduction, shrinking, and the run summary."""

import difflib
import os
import time
from collections import Counter

from . import known
from .expect import show
from .peers import VirshDied, virsh_quote
from .runner import Mismatch, Sequence

PROG = "python3 tests/differential/differential.py"
MAX_DIFF_LINES = 60


class Totals:
    def __init__(self):
        self.applied = Counter()
        self.trips = Counter()
        self.skipped = Counter()
        self.ended = Counter()
        self.ops = 0
        self.commands = 0
        self.virsh = [0, 0.0]
        self.virtsnap = [0, 0.0]

    def add(self, o):
        self.applied.update(o.applied)
        self.trips.update(o.trips)
        self.skipped.update(o.skipped)
        if o.ended_by:
            self.ended[o.ended_by] += 1
        self.ops += len(o.ops)
        self.commands += o.commands
        self.virsh[0] += o.virsh_commands
        self.virsh[1] += o.virsh_seconds
        self.virtsnap[0] += o.virtsnap_commands
        self.virtsnap[1] += o.virtsnap_seconds


def comment(out, text):
    for line in text.split("\n"):
        out.write("#   %s\n" % line)


def reproduce_cmd(args, index, length, landed):
    cmd = "%s --virtsnap %s --seed %d --only %d --length %d" % (
        PROG, args.virtsnap, args.seed, index, length)
    if landed != set(known.LANDED):
        cmd += " --landed '%s'" % ",".join(sorted(landed))
    if args.weights:
        cmd += " --weights '%s'" % args.weights
    return cmd


def shell_op(op):
    if op.kind == "roundtrip":
        return "# legacy round trip (export-legacy + reload in virsh, convert of virsh's files)"
    return "$V --store s " + " ".join(virsh_quote(a) for a in op.argv)


def diff(a, b, name):
    if not isinstance(a, str):
        return "%s: expected %s, got %r" % (name, show(a), b)
    lines = list(difflib.unified_diff(a.splitlines(True), b.splitlines(True),
                                      "expected " + name, "virtsnap " + name, n=2))
    if len(lines) > MAX_DIFF_LINES:
        lines = lines[:MAX_DIFF_LINES] + ["... (%d more diff lines)\n" % (
            len(lines) - MAX_DIFF_LINES)]
    return "".join(l if l.endswith("\n") else l + "\\ no newline\n" for l in lines)


def describe(m):
    """The differing parts of one mismatch, as text."""
    parts = []
    for p in m.parts:
        if p == "rc":
            parts.append("status: expected %s, got %s" % (m.exp.rc, m.res.rc))
            if "stderr" not in m.parts and m.res.stderr:
                parts.append("virtsnap stderr: %s" % m.res.stderr.rstrip("\n"))
        else:
            parts.append(diff(getattr(m.exp, p), getattr(m.res, p), p).rstrip("\n"))
    return "\n".join(parts)


def failure(out, args, landed, world, seq, outcome):
    f = outcome.failure
    index = seq.index
    out.write("# FAILED: seed %d, sequence %d, operation %d\n" % (args.seed, index, len(outcome.ops)))
    if isinstance(f, VirshDied):
        comment(out, "virsh died: %s\nstdout: %r\nstderr: %r" % (f, f.stdout[-2000:],
                                                                  f.stderr[-2000:]))
    else:
        op = f.op
        comment(out, "in: %s (%s)" % (f.where, shell_op(op) if op.kind != "roundtrip"
                                      else "$V " + " ".join(op.argv)))
        if f.exp.applied:
            comment(out, "listed differences applied: %s" % ", ".join(f.exp.applied))
        comment(out, describe(f))
    comment(out, "reproduce: " + reproduce_cmd(args, index, len(outcome.ops), landed))
    comment(out, "sequence so far (virsh runs the same commands):")
    for op in outcome.ops:
        comment(out, "  " + shell_op(op))


def replay(world, args, landed, seq, ops):
    s = Sequence(world, args.seed, seq.index, len(ops), landed, two_vms=len(seq.vms) > 1,
                 replay=list(ops))
    return s.run()


def minimise(out, args, landed, world, seq, outcome):
    """Greedy delta debugging over the operations (the failing one stays):
    keeps a removal when the replay still fails the same way."""
    sig = outcome.failure.signature()
    ops = list(outcome.ops)
    deadline = time.monotonic() + args.minimise
    chunk = max(1, (len(ops) - 1) // 2)
    while chunk >= 1 and time.monotonic() < deadline:
        i = 0
        while i < len(ops) - 1 and time.monotonic() < deadline:
            cand = ops[:i] + ops[i + chunk:] if i + chunk < len(ops) else None
            if cand:
                got = replay(world, args, landed, seq, cand)
                if isinstance(got.failure, Mismatch) and got.failure.signature() == sig:
                    ops = got.ops
                    continue
            i += chunk
        chunk //= 2
    out.write("# minimal sequence found (%d of %d operations%s):\n" % (
        len(ops), len(outcome.ops), "" if time.monotonic() < deadline else ", time budget hit"))
    for op in ops:
        comment(out, "  " + shell_op(op))
    seq.minimal = ops


def write_repro(base, args, world, seq, outcome):
    """A directory with the input files and a script running the (minimal)
    sequence through virtsnap and through virsh."""
    ops = getattr(seq, "minimal", None) or outcome.ops
    path = os.path.join(base, "seed%d-seq%d" % (args.seed, seq.index))
    os.makedirs(path, exist_ok=True)
    lines = ["#!/bin/bash", "# differential test failure: seed %d, sequence %d" %
             (args.seed, seq.index),
             "# usage: V=build/tools/virtsnap bash repro.sh   (virtsnap side)",
             "#        VIRSH='virsh -c qemu:///embed?root=/tmp/r' bash repro.sh virsh",
             "cd \"$(dirname \"$0\")\"", "export TZ=UTC LC_ALL=C.UTF-8 VIRTSNAP_NOW=1700000000",
             "export EDITOR='sed -i -f edit.sed'",
             "rm -rf s", "if [ \"$1\" = virsh ]; then",
             "  for d in %s; do $VIRSH define %s/$d.xml >/dev/null; done" % (
                 " ".join(seq.vms), "domains"),
             "  run() { $VIRSH \"$@\"; echo \"[rc=$?]\"; }",
             "else", "  run() { $V --store s \"$@\"; echo \"[rc=$?]\"; }", "fi"]
    os.makedirs(os.path.join(path, "domains"), exist_ok=True)
    for vm in seq.vms:
        with open(world.domains[vm]) as src, \
                open(os.path.join(path, "domains", vm + ".xml"), "w") as dst:
            dst.write(src.read())
    for n, op in enumerate(ops):
        for name, text in op.files.items():
            # each edit has its own sed script, copied to edit.sed before it
            if name == "edit.sed":
                name = "edit%d.sed" % n
                lines.append("cp %s edit.sed" % name)
            with open(os.path.join(path, name), "w", encoding="utf-8",
                      errors="surrogateescape") as f:
                f.write(text)
        if op.kind == "roundtrip":
            lines.append("# (legacy round trip here)")
        else:
            lines.append("run " + " ".join(virsh_quote(a) for a in op.argv))
    with open(os.path.join(path, "repro.sh"), "w") as f:
        f.write("\n".join(lines) + "\n")


def print_table(out, landed):
    out.write("Known differences between virsh 9.0 and virtsnap (fixes landed: %s)\n\n"
              % (",".join(sorted(landed)) or "none"))
    for e in known.TABLE:
        state = "active" if e.kind == "not-generated" or e.active(landed) else \
            ("waiting" if e.since else "retired")
        when = ""
        if e.until:
            when = " until fix %s" % e.until
        if e.since:
            when = " from fix %s" % e.since
        out.write("%s [%s, %s, %s%s]\n  why: %s\n  documented: %s\n  affects: %s\n\n" % (
            e.name, e.owner, e.kind, state, when, e.reason, e.documented, e.affects))


def summary(out, args, landed, t, failures, seconds):
    out.write("# ---- summary: seed %d, %d failure(s), %.1f s, %d operations, %d commands "
              "compared\n" % (args.seed, len(failures), seconds, t.ops, t.commands))
    if t.virsh[0]:
        out.write("# per command: virsh %.2f ms (%d commands), virtsnap %.2f ms (%d processes)\n"
                  % (1000 * t.virsh[1] / t.virsh[0], t.virsh[0],
                     1000 * t.virtsnap[1] / max(1, t.virtsnap[0]), t.virtsnap[0]))
    out.write("# legacy round trips: %d export-legacy + reload in virsh, %d convert of "
              "virsh's files\n" % (t.trips["export"], t.trips["convert"]))
    out.write("# listed differences applied (times):\n")
    for e in known.TABLE:
        if e.kind == "not-generated":
            continue
        n = t.applied.get(e.name, 0)
        state = "active" if e.active(landed) else ("waiting" if e.since else "retired")
        out.write("#   %-36s %6d  %s%s\n" % (e.name, n, state,
                                              ", skipped %d" % t.skipped[e.name]
                                              if t.skipped.get(e.name) else ""))
    for name, n in t.ended.items():
        out.write("# sequences ended early by %s: %d\n" % (name, n))
    for index, seq, outcome in failures:
        f = outcome.failure
        what = f.where + ": " + (" ".join(f.op.argv[:1])) if isinstance(f, Mismatch) else str(f)
        out.write("# failed: sequence %d (%s) -- %s\n" % (
            index, what, reproduce_cmd(args, index, len(outcome.ops), landed)))
