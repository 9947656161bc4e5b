"""The temporary world of one run: the VMs virsh knows, a template libvirt
root, and one directory per sequence."""

import difflib
import os
import re
import shutil
import tempfile

from .peers import HarnessError, VirshSession, copy_tree, make_world_dir, remove_tree

DEMO_UUID = "93a5c045-6457-2c09-e56c-927cdf34e178"
VM2_UUID = "4c0b2b6e-3f0e-4f4e-9d52-6f1c2f8a7d10"
BLANK_UUID = "0f5b6a3c-1d2e-4c3b-8a9f-7e6d5c4b3a21"
VM2_SECRETS = """\
    <disk type='network' device='disk'>
      <driver name='qemu' type='raw'/>
      <source protocol='https' name='/images/vm2.img'>
        <host name='example.org' port='443'/>
        <cookies>
          <cookie name='session'>SECRETCOOKIE</cookie>
        </cookies>
      </source>
      <target dev='vdc' bus='virtio'/>
    </disk>
    <graphics type='spice' autoport='yes' passwd='SPICEPW'/>
"""


class World:
    """vms: demo (the golden tests' VM: vda, vdb, VNC password), vm2 (one
    disk, another uuid), blank (defined, never given a snapshot: the
    reference for "a VM without snapshots").  'ghost' is never defined."""

    def __init__(self, virtsnap, shim, srcdir, tmp=None, keep=False):
        self.virtsnap = os.path.abspath(virtsnap)
        self.srcdir = srcdir
        self.keep = keep
        self.schema_dir = os.environ.get("VIRTSNAP_SCHEMA_DIR",
                                         os.path.join(srcdir, "data", "schemas"))
        self.base = tempfile.mkdtemp(prefix="vsdiff-", dir=tmp)
        os.chmod(self.base, 0o755)
        self.shim = os.path.join(self.base, "readline-shim.so")
        shutil.copy(shim, self.shim)
        os.chmod(self.shim, 0o755)
        self.domains = self._domain_files()
        self.uuid = {"demo": DEMO_UUID, "vm2": VM2_UUID, "blank": BLANK_UUID}
        self.disks = {"demo": ["vda", "vdb"], "vm2": ["vda", "vdc"], "blank": ["vda", "vdb"]}
        self.template = os.path.join(self.base, "template")
        self.canonical = {}
        try:
            self._make_template()
        except BaseException:
            self.close()
            raise

    def _domain_files(self):
        demo = open(os.path.join(self.srcdir, "tests", "cli", "data",
                                 "demo-domain.xml")).read()
        vm2 = demo.replace("<name>demo</name>", "<name>vm2</name>") \
                  .replace(DEMO_UUID, VM2_UUID) \
                  .replace("/var/lib/libvirt/images/demo.qcow2", "/nonexistent/vm2.qcow2")
        vm2 = re.sub(r"    <disk type='file' device='disk'>\n(?:(?!</disk>).)*demo-data"
                     r"(?:(?!</disk>).)*</disk>\n", "", vm2, flags=re.S)
        # secrets libvirt formats only with --security-info: a VNC and a
        # SPICE password, and HTTP cookies of a network disk
        vm2 = vm2.replace("    <graphics type='vnc'", VM2_SECRETS + "    <graphics type='vnc'")
        blank = demo.replace("<name>demo</name>", "<name>blank</name>") \
                    .replace(DEMO_UUID, BLANK_UUID)
        out = {}
        ddir = os.path.join(self.base, "domains")
        os.makedirs(ddir)
        os.chmod(ddir, 0o755)
        for name, text in (("demo", demo), ("vm2", vm2), ("blank", blank)):
            path = os.path.join(ddir, name + ".xml")
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o644)
            out[name] = path
        return out

    def _make_template(self):
        """Defines the VMs once; the first connection also fills the qemu
        capabilities cache (seconds), which every sequence then copies."""
        root = os.path.join(self.template, "root")
        make_world_dir(self.template)
        make_world_dir(root)
        make_world_dir(os.path.join(root, "etc"))
        make_world_dir(os.path.join(root, "etc", "libvirt"))
        home = self.new_home(self.template)
        virsh = VirshSession(root, self.template, home, self.shim)
        try:
            for vm in ("demo", "vm2", "blank"):
                res = virsh.run(["define", self.domains[vm]])
                if res.rc != 0:
                    raise HarnessError("virsh define %s: %s" % (vm, res.stderr))
                res = virsh.run(["dumpxml", vm, "--inactive", "--security-info"])
                if res.rc != 0:
                    raise HarnessError("virsh dumpxml %s: %s" % (vm, res.stderr))
                self.canonical[vm] = res.stdout.rstrip("\n") + "\n"
        finally:
            virsh.close()
        golden = open(os.path.join(self.srcdir, "tests", "cli", "data",
                                   "demo-canonical.xml")).read()
        golden = golden.rstrip("\n") + "\n"
        if golden != self.canonical["demo"]:
            diff = "".join(difflib.unified_diff(golden.splitlines(True),
                                                self.canonical["demo"].splitlines(True),
                                                "demo-canonical.xml", "virsh dumpxml"))
            raise HarnessError("virsh formats demo's domain differently from "
                               "tests/cli/data/demo-canonical.xml:\n" + diff)
        self.template_root = root

    def new_home(self, parent):
        home = os.path.join(parent, "home")
        make_world_dir(home)
        return home

    def new_root(self, parent, name="root"):
        root = os.path.join(parent, name)
        copy_tree(self.template_root, root)
        return root

    def snapshot_dir(self, root, vm):
        return os.path.join(root, "lib", "qemu", "snapshot", vm)

    def sequence_dir(self, index):
        path = os.path.join(self.base, "seq%d" % index)
        remove_tree(path)
        make_world_dir(path)
        work = os.path.join(path, "work")
        make_world_dir(work)
        return path, work

    def close(self):
        if not self.keep:
            remove_tree(self.base)
