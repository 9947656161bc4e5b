#!/usr/bin/env python3
"""Differential test: random operation sequences through real virsh 9.0 and
through virtsnap, compared command by command (stdout, stderr, status) and
state by state.  See tests/differential/README.md.

    differential.py --virtsnap build/tools/virtsnap [--seed N] [--sequences N]
                    [--length N] [--only I] [--landed A,B,C] [--tap]
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from vsdiff import known, report  # noqa: E402
from vsdiff.peers import HarnessError  # noqa: E402
from vsdiff.runner import Mismatch, Sequence  # noqa: E402
from vsdiff.world import World  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--virtsnap", default=os.environ.get("VIRTSNAP", "build/tools/virtsnap"))
    p.add_argument("--shim", default=os.environ.get("VSDIFF_SHIM"),
                   help="readline-shim.so (built by meson beside this test)")
    p.add_argument("--seed", type=int, default=None,
                   help="run seed (default: from the clock; always printed)")
    p.add_argument("--sequences", type=int, default=12)
    p.add_argument("--length", type=int, default=40, help="operations per sequence")
    p.add_argument("--first", type=int, default=0, help="index of the first sequence")
    p.add_argument("--only", type=int, default=None, help="run only sequence I")
    p.add_argument("--landed", default=None,
                   help="fixes present in this virtsnap (letters, e.g. A,C); default: "
                        "known.LANDED")
    p.add_argument("--tap", action="store_true", help="TAP output (meson)")
    p.add_argument("--keep-going", action="store_true",
                   help="run every sequence even after a failure (default for long runs)")
    p.add_argument("--minimise", type=float, default=90.0,
                   help="seconds to spend shrinking a failing sequence (0: off)")
    p.add_argument("--failures-dir", default=None,
                   help="write a reproduction directory per failure here")
    p.add_argument("--weights", default="",
                   help="change operation weights, e.g. deep=20,delete=40 (exploration)")
    p.add_argument("--table", action="store_true", help="print the differences table and exit")
    p.add_argument("--tmp", default=os.environ.get("TMPDIR"))
    p.add_argument("--keep", action="store_true", help="keep the temporary world")
    args = p.parse_args(argv)
    # The environment wins over the command line, so a caller of `meson test` can change
    # the run meson.build spells out (./dev test-sanitize runs fewer sequences).
    for name, attr in (("VSDIFF_SEED", "seed"), ("VSDIFF_SEQUENCES", "sequences")):
        if os.environ.get(name):
            setattr(args, attr, int(os.environ[name]))
    return args


def main(argv):
    args = parse_args(argv)
    landed = set(known.LANDED) if args.landed is None else \
        {x.strip() for x in args.landed.split(",") if x.strip()}
    if args.table:
        report.print_table(sys.stdout, landed)
        return 0
    if args.seed is None:
        args.seed = int(time.time()) % 1000000
    shim = args.shim or find_shim()
    srcdir = os.path.dirname(os.path.dirname(HERE))
    out = sys.stdout
    indices = [args.only] if args.only is not None else \
        list(range(args.first, args.first + args.sequences))
    started = time.monotonic()
    totals = report.Totals()
    failures = []
    world = World(args.virtsnap, shim, srcdir, tmp=args.tmp, keep=args.keep)
    try:
        if args.tap:
            out.write("1..%d\n" % len(indices))
        out.write("# seed %d, %d sequences of %d operations, fixes landed: %s\n"
                  % (args.seed, len(indices), args.length, ",".join(sorted(landed)) or "none"))
        out.flush()
        for n, index in enumerate(indices, 1):
            seq = Sequence(world, args.seed, index, args.length, landed,
                           weights=parse_weights(args.weights))
            outcome = seq.run()
            totals.add(outcome)
            ok = outcome.failure is None
            status = "ok" if ok else "not ok"
            extra = ", ended by %s" % outcome.ended_by if outcome.ended_by else ""
            out.write("%s %d - sequence %d (seed %d): %d operations, %d commands compared%s\n"
                      % (status, n, index, args.seed, len(outcome.ops), outcome.commands, extra))
            if not ok:
                failures.append((index, seq, outcome))
                report.failure(out, args, landed, world, seq, outcome)
                if isinstance(outcome.failure, Mismatch) and args.minimise > 0 and \
                        len(outcome.ops) > 1:
                    report.minimise(out, args, landed, world, seq, outcome)
                if args.failures_dir:
                    report.write_repro(args.failures_dir, args, world, seq, outcome)
            out.flush()
            if failures and not (args.keep_going or args.tap):
                break
    except HarnessError as e:
        out.write("Bail out! harness error: %s\n" % e)
        return 2
    finally:
        world.close()
    report.summary(out, args, landed, totals, failures, time.monotonic() - started)
    return 1 if failures else 0


def parse_weights(text):
    out = {}
    for item in filter(None, text.split(",")):
        name, _, value = item.partition("=")
        out[name.strip()] = float(value)
    return out


def find_shim():
    for cand in (os.environ.get("VSDIFF_SHIM"),
                 os.path.join("build", "tests", "differential", "readline-shim.so")):
        if cand and os.path.exists(cand):
            return cand
    raise SystemExit("readline-shim.so not found: build it (ninja -C build) or pass --shim")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
