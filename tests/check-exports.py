#!/usr/bin/env python3
"""check-exports.py HEADER LIBRARY — the shared library exports exactly the
functions the public header declares (issue 12: a real public/internal line).

Every function declaration in HEADER must carry VS_EXPORT, and
`nm -D --defined-only LIBRARY` must list exactly those functions: nothing
internal leaks, nothing declared is missing.  TAP output."""
import re
import subprocess
import sys

header, library = sys.argv[1], sys.argv[2]
text = open(header).read()
# Comments and preprocessor lines say nothing about what is declared.
code = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
code = '\n'.join(l for l in code.split('\n') if not l.lstrip().startswith('#'))

declared, unmarked = set(), []
for stmt in code.split(';'):
    stmt = ' '.join(stmt.split())
    # G_DEFINE_AUTOPTR_CLEANUP_FUNC(...) expands to static inline helpers.
    stmt = re.sub(r'G_[A-Z_]+\([^)]*\)', '', stmt).strip()
    if not stmt or stmt.startswith(('typedef', '}')) or '{' in stmt:
        continue
    m = re.match(r'(.*?)\b([A-Za-z_]\w*)\s*\(', stmt)
    if not m:
        continue
    if 'VS_EXPORT' in m.group(1).split():
        declared.add(m.group(2))
    else:
        unmarked.append(m.group(2))

out = subprocess.run(['nm', '-D', '--defined-only', library], capture_output=True,
                     text=True, check=True).stdout
exported = {l.split()[-1] for l in out.splitlines()
            if len(l.split()) == 3 and l.split()[1] in 'TtWiDBR'}

checks = [
    ('every function in the header is marked VS_EXPORT', unmarked),
    ('the library exports nothing the header does not declare',
     sorted(exported - declared)),
    ('the library exports everything the header declares', sorted(declared - exported)),
]
print('1..%d' % len(checks))
failed = 0
for i, (what, bad) in enumerate(checks, 1):
    if bad:
        failed += 1
        print('not ok %d - %s: %s' % (i, what, ', '.join(bad)))
    else:
        print('ok %d - %s (%d functions)' % (i, what, len(declared)))
sys.exit(1 if failed else 0)
