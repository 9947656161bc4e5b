"""virsh's `snapshot-list --tree` text: render it, and read back the sibling
order virsh used.

Two listed differences change only the order of siblings in a tree
(--topological, and names equal ignoring case).  To apply them the harness
reads virsh's tree, reorders siblings the way virtsnap documents, and renders
it again.  render() follows vshTreePrint (tools/vsh.c); every use checks
first that rendering virsh's own order gives virsh's bytes back, so a
mistake here is a harness error, never a silent pass.
"""


class TreeParseError(Exception):
    pass


def render(roots, children):
    """roots: names in order; children: name -> list of names in order."""
    out = []

    def node(name, indent, is_root, is_last):
        out.append("%s%s%s\n" % (indent, "" if is_root else "+- ", name))
        if not is_root:
            indent = indent + (" " if is_last else "|") + " "
        kids = children.get(name, [])
        if kids:
            out.append("%s  |\n" % indent)
        for i, kid in enumerate(kids):
            node(kid, indent + "  ", False, i == len(kids) - 1)
        if not kids and is_last:
            out.append("%s\n" % indent)

    for r in roots:
        node(r, "", True, True)
    return "".join(out)


def parse(text, names, parent_of):
    """Recover (roots, children) from virsh's tree text (which ends with the
    empty line virsh prints after every listing), knowing which names exist
    and their parents.  Listed children of a node are discovered from the
    text itself (a --tree --from listing shows a subset)."""
    if not text.endswith("\n"):
        raise TreeParseError("no final empty line")
    lines = text[:-1].split("\n")
    pos = [0]
    roots, children = [], {}

    def kid_at(prefix, name):
        if pos[0] < len(lines) and lines[pos[0]].startswith(prefix):
            kid = lines[pos[0]][len(prefix):]
            if kid in names and parent_of.get(kid) == name:
                return kid
        return None

    def node(name, indent, is_root, is_last):
        if not is_root:
            indent = indent + (" " if is_last else "|") + " "
        kids = []
        children[name] = kids
        if pos[0] < len(lines) and lines[pos[0]] == indent + "  |":
            pos[0] += 1
            prefix = indent + "  +- "
            while True:
                kid = kid_at(prefix, name)
                if kid is None:
                    break
                pos[0] += 1
                kids.append(kid)
                # whether kid is the last sibling shows in its subtree's
                # indentation: read it as "not last" while a sibling follows
                save = pos[0]
                try:
                    node(kid, indent + "  ", False, False)
                    if kid_at(prefix, name) is not None:
                        continue
                except TreeParseError:
                    pass
                pos[0] = save
                node(kid, indent + "  ", False, True)
                break
        if not kids and is_last:
            if pos[0] >= len(lines) or lines[pos[0]] != indent:
                raise TreeParseError("line %d: expected %r" % (pos[0] + 1, indent))
            pos[0] += 1

    while pos[0] < len(lines) and lines[pos[0]] != "":
        name = lines[pos[0]]
        if name not in names:
            raise TreeParseError("unknown root %r" % name)
        pos[0] += 1
        roots.append(name)
        node(name, "", True, True)
    if render(roots, children) + "\n" != text:
        raise TreeParseError("tree does not render back")
    return roots, children
