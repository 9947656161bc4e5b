#!/usr/bin/env python3
"""check-needed.py LIBRARY — the shared library links only what every
process needs: libvirt's client and libpq are opened on first use
(lib/util/dynlib.c), never NEEDED (linked, they cost every virtsnap
process ~10 ms).  Sanitizer builds are exempt (lib/meson.build says why).
TAP output."""
import subprocess
import sys

lib = sys.argv[1]
out = subprocess.run(["readelf", "-d", lib], check=True, capture_output=True, text=True).stdout
needed = [line.split("[", 1)[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line]
sanitized = "--sanitized" in sys.argv[2:]
checks = [
    ("glib, libxml2 and zstd are linked", all(any(n.startswith(p) for n in needed)
                                             for p in ("libglib-2.0", "libxml2", "libzstd"))),
    ("libpq is not linked", not any(n.startswith("libpq") for n in needed)),
    ("libvirt is not linked" + (" (sanitizer build: exempt)" if sanitized else ""),
     sanitized or not any(n.startswith("libvirt") for n in needed)),
]
print("1..%d" % len(checks))
for i, (name, ok) in enumerate(checks, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
if not all(ok for _, ok in checks):
    print("# NEEDED: " + ", ".join(needed))
    sys.exit(1)
