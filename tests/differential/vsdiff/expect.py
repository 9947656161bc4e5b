"""What virtsnap is expected to answer, and how an answer is compared."""

import re
from dataclasses import dataclass, field


@dataclass
class Expect:
    """Expected stdout/stderr (exact text, or a compiled pattern that must
    match in full) and exit status.  `unverified` marks a command whose
    output cannot be predicted from virsh (a listed difference says why):
    only the status is checked then."""
    stdout: object
    stderr: object
    rc: int
    applied: list = field(default_factory=list)
    unverified: str = ""

    @classmethod
    def from_result(cls, res):
        return cls(res.stdout, res.stderr, res.rc)


def _match(want, got):
    if isinstance(want, re.Pattern):
        return want.fullmatch(got) is not None
    return want == got


def mismatches(expect, res):
    """The parts of @res that differ from @expect (empty when it matches)."""
    if expect.unverified:
        return [] if expect.rc is None or res.rc == expect.rc else ["rc"]
    out = []
    if not _match(expect.stdout, res.stdout):
        out.append("stdout")
    if not _match(expect.stderr, res.stderr):
        out.append("stderr")
    if expect.rc != res.rc:
        out.append("rc")
    return out


def show(value):
    if isinstance(value, re.Pattern):
        return "<pattern %s>" % value.pattern
    return value
