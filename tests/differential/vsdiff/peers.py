"""The two programs under comparison: one long-lived virsh, and virtsnap.

virsh 9.0 runs libvirt's qemu driver in-process (qemu:///embed?root=DIR),
metadata only.  One virsh process serves a whole sequence: its in-memory
state (the order of each snapshot's child list, which --topological shows)
only exists in that process.  Commands go to its standard input one line at
a time, each followed by `echo --err MARK; echo MARK`, so the bytes each
command wrote to stdout and to stderr can be cut out of the two streams.
virsh's interactive mode does not report a command's status; it is taken
from stderr (a command failed when it printed an `error: ` line), which is
how virsh itself decides what to print.

virtsnap runs once per command (3 ms), so every command also proves that
the store it left behind loads again.
"""

import os
import re
import selectors
import shutil
import subprocess
import time
from dataclasses import dataclass

NOBODY = 65534
# snapshot-edit's editor: a sed script the harness writes into the work
# directory (the current directory of both programs) before each edit
EDITOR = "sed -i -f edit.sed"
COMMAND_TIMEOUT = 120.0


class HarnessError(Exception):
    """The harness itself failed (not a difference between the programs)."""


class VirshDied(HarnessError):
    def __init__(self, message, stdout=b"", stderr=b""):
        super().__init__(message)
        self.stdout = stdout
        self.stderr = stderr


@dataclass
class Result:
    stdout: str
    stderr: str
    rc: int

    def key(self):
        return (self.stdout, self.stderr, self.rc)


def decode(data):
    return data.decode("utf-8", "surrogateescape")


def encode(text):
    return text.encode("utf-8", "surrogateescape")


_SAFE_WORD = re.compile(r"^[A-Za-z0-9_./=:,+@%^-]+$")


def virsh_quote(word):
    """One argument as virsh's command-string parser reads it back."""
    if _SAFE_WORD.match(word) and not word.startswith("#"):
        return word
    return "'" + word.replace("'", "'\\''") + "'"


def virsh_line(argv):
    for word in argv:
        if "\n" in word or "\r" in word or "\0" in word:
            raise HarnessError("argument %r cannot be typed to virsh" % word)
    return " ".join(virsh_quote(w) for w in argv)


def virsh_status(stderr):
    return 1 if re.search(r"^error: ", stderr, re.M) else 0


def run_as_peer_user(argv):
    """As root, libvirt's embedded driver wants the libvirt-qemu account;
    run virsh as nobody instead (see tests/cli/make-goldens-from-virsh.sh)."""
    if os.getuid() == 0:
        return ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY,
                "--clear-groups"] + argv
    return argv


def make_world_dir(path):
    os.makedirs(path, exist_ok=True)
    os.chmod(path, 0o777)


class VirshSession:
    """One virsh process on one embedded root."""

    def __init__(self, root, cwd, home, shim):
        self.root = root
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home, "TMPDIR": home,
            "XDG_CACHE_HOME": os.path.join(home, "cache"),
            "XDG_CONFIG_HOME": os.path.join(home, "config"),
            "XDG_RUNTIME_DIR": os.path.join(home, "run"),
            "TZ": "UTC", "LC_ALL": "C.UTF-8",
            "LIBVIRT_LOG_OUTPUTS": "4:file:/dev/null",
            "LD_PRELOAD": shim,
            "EDITOR": EDITOR,
        }
        argv = run_as_peer_user(["virsh", "-c", "qemu:///embed?root=" + root])
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.count = 0
        self.commands = 0
        self.seconds = 0.0
        self._exchange("")   # skips the banner

    def run(self, argv):
        return self.run_line(virsh_line(argv))

    def run_line(self, line):
        start = time.monotonic()
        out, err = self._exchange(line)
        self.seconds += time.monotonic() - start
        self.commands += 1
        return Result(out, err, virsh_status(err))

    def _exchange(self, line):
        self.count += 1
        mark = "@@VSDIFF-%d@@" % self.count
        payload = encode(line + "\n" if line else "") + \
            encode("echo --err %s; echo %s\n" % (mark, mark))
        # `echo --err` reports through virsh's error path, which also
        # writes one newline to stdout before the stdout mark.
        out_end = encode("\n%s\n" % mark)
        err_end = encode("error: %s\n" % mark)
        out, err = self._pump(payload, out_end, err_end)
        return decode(out[:-len(out_end)]), decode(err[:-len(err_end)])

    def _pump(self, payload, out_end, err_end):
        proc = self.proc
        sel = selectors.DefaultSelector()
        os.set_blocking(proc.stdin.fileno(), False)
        sel.register(proc.stdin, selectors.EVENT_WRITE)
        sel.register(proc.stdout, selectors.EVENT_READ)
        sel.register(proc.stderr, selectors.EVENT_READ)
        out, err = bytearray(), bytearray()
        deadline = time.monotonic() + COMMAND_TIMEOUT
        try:
            while not (out.endswith(out_end) and err.endswith(err_end)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise HarnessError("virsh did not answer within %d s" % COMMAND_TIMEOUT)
                for key, _ in sel.select(left):
                    if key.fileobj is proc.stdin:
                        try:
                            n = os.write(proc.stdin.fileno(), payload)
                        except BrokenPipeError:
                            n = len(payload)
                        payload = payload[n:]
                        if not payload:
                            sel.unregister(proc.stdin)
                        continue
                    chunk = os.read(key.fileobj.fileno(), 65536)
                    if not chunk:
                        proc.wait(timeout=10)
                        raise VirshDied("virsh exited with status %s" % proc.returncode,
                                        bytes(out), bytes(err))
                    (out if key.fileobj is proc.stdout else err).extend(chunk)
        finally:
            sel.close()
        return bytes(out), bytes(err)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for f in (self.proc.stdout, self.proc.stderr):
            f.close()


class Virtsnap:
    """virtsnap, one process per command, on one store directory."""

    def __init__(self, exe, store, cwd, home, now):
        self.exe = exe
        self.store = store
        self.cwd = cwd
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home, "TZ": "UTC", "LC_ALL": "C.UTF-8",
            "VIRTSNAP_NOW": str(now),
            "EDITOR": EDITOR,
        }
        # under ./dev test-sanitize: a sanitizer report ends the command
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if name in os.environ:
                self.env[name] = os.environ[name]
        self.commands = 0
        self.seconds = 0.0

    def run(self, argv, store=None):
        start = time.monotonic()
        proc = subprocess.run([self.exe, "--store", store or self.store] + list(argv),
                              cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
        self.seconds += time.monotonic() - start
        self.commands += 1
        return Result(decode(proc.stdout), decode(proc.stderr), proc.returncode)


def copy_tree(src, dst):
    """cp -a: keeps the owner (nobody) of what virsh wrote."""
    subprocess.run(["cp", "-a", src, dst], check=True)


def remove_tree(path):
    shutil.rmtree(path, ignore_errors=True)
