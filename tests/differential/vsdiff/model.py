"""What the harness knows about one VM's snapshot tree (as virsh reported it).

Besides names, parents and the current snapshot, it keeps libvirt's
in-memory sibling order (recovered from `snapshot-list --topological`,
which walks each snapshot's child list), because two listed differences
depend on it: virtsnap orders siblings by (creationTime, name) instead, and
libvirt 9.0 crashes in some `--children` deletes depending on that order.
"""

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from .peers import encode


@dataclass
class Snap:
    name: str
    parent: object
    time: int
    state: str
    xml: str


@dataclass
class VmState:
    vm: str
    snaps: dict = field(default_factory=dict)      # name -> Snap
    current: object = None
    libvirt_order: list = field(default_factory=list)   # virsh --topological

    def children(self, name):
        """Children of @name (None: the roots) in libvirt's list order."""
        return [n for n in self.libvirt_order if self.snaps[n].parent == name]

    def descendants(self, name):
        out = []
        stack = list(self.children(name))
        while stack:
            n = stack.pop()
            out.append(n)
            stack.extend(self.children(n))
        return out

    def virtsnap_preorder(self):
        """virtsnap's --topological order: depth first, siblings sorted by
        (creationTime, name as bytes) — lib/tree.c vsTreeNodeCompare."""
        kids = {}
        for s in self.snaps.values():
            kids.setdefault(s.parent, []).append(s.name)
        out = []
        stack = sorted(kids.get(None, []), key=self._key, reverse=True)
        while stack:
            n = stack.pop()
            out.append(n)
            stack.extend(sorted(kids.get(n, []), key=self._key, reverse=True))
        return out

    def _key(self, name):
        return (self.snaps[name].time, encode(name))

    def max_year_over_9999(self):
        return any(s.time >= 253402300800 for s in self.snaps.values())


def parse_snapshot_xml(text):
    root = ET.fromstring(text)
    name = root.findtext("name")
    parent = root.findtext("parent/name")
    t = root.findtext("creationTime")
    return Snap(name=name, parent=parent or None, time=int(t) if t else 0,
                state=root.findtext("state") or "", xml=text)


# ---------------------------------------------------------------------------
# libvirt 9.0's child lists, to predict its crash in --children deletes

class _Node:
    __slots__ = ("name", "parent", "first_child", "sibling", "nchildren", "freed")

    def __init__(self, name):
        self.name = name
        self.parent = None
        self.first_child = None
        self.sibling = None
        self.nchildren = 0
        self.freed = False

    def copy(self):
        c = _Node(self.name)
        c.parent, c.first_child, c.sibling, c.nchildren = \
            self.parent, self.first_child, self.sibling, self.nchildren
        return c


class UseAfterFree(Exception):
    pass


def _touch(node):
    if node is not None and node.freed:
        raise UseAfterFree(node.name)
    return node


class LibvirtTree:
    """A model of virDomainMomentObjList (src/conf/virdomainmomentobjlist.c)
    and of qemuSnapshotDelete's --children walk in 9.0, built from the order
    virsh reported.  Used only to predict a use-after-free."""

    def __init__(self, state):
        self.meta = _Node(None)
        self.nodes = {n: _Node(n) for n in state.snaps}
        # virsh's topological order is a pre-order walk of first_child/sibling
        # lists, so appending in that order rebuilds each list as it is.
        last = {}
        for n in state.libvirt_order:
            parent = self.nodes[state.snaps[n].parent] if state.snaps[n].parent else self.meta
            node = self.nodes[n]
            node.parent = parent
            parent.nchildren += 1
            if parent in last:
                last[parent].sibling = node
            else:
                parent.first_child = node
            last[parent] = node

    def for_each_child(self, moment, fn):
        child = _touch(moment.first_child)
        while child is not None:
            _touch(child)
            nxt = child.sibling
            fn(child)
            child = _touch(nxt)

    def for_each_descendant(self, moment, fn):
        def act(obj):
            tmp = obj.copy()
            fn(obj)
            self.for_each_descendant(tmp, fn)
        self.for_each_child(moment, act)

    def move_children(self, src, dst):
        child = src.first_child
        if not src.nchildren:
            return
        while child is not None:
            _touch(child)
            child.parent = dst
            if child.sibling is None:
                child.sibling = dst.first_child
                break
            child = child.sibling
        dst.nchildren += src.nchildren
        dst.first_child = src.first_child
        src.first_child = None
        src.nchildren = 0

    def drop_parent(self, moment):
        parent = moment.parent
        parent.nchildren -= 1
        prev, curr = None, parent.first_child
        while curr is not moment:
            if curr is None:
                return      # libvirt: VIR_WARN("inconsistent moment relations")
            _touch(curr)
            prev, curr = curr, curr.sibling
        if prev is not None:
            prev.sibling = moment.sibling
        else:
            parent.first_child = moment.sibling
        moment.sibling = None
        moment.parent = None

    def delete_single(self, snap):
        _touch(snap)
        if snap.nchildren:
            self.for_each_child(snap, lambda c: None)   # rewrites each child's file
            self.move_children(snap, snap.parent)
        self.drop_parent(snap)
        snap.freed = True

    def crashes(self, name, children_only):
        """True when `snapshot-delete NAME --children[-only]` reads freed memory."""
        snap = self.nodes[name]
        try:
            self.for_each_descendant(snap, self.delete_single)
            if not children_only:
                self.delete_single(snap)
        except UseAfterFree:
            return True
        return False
