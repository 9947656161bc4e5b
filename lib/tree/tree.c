/* tree.c — the snapshot tree of one VM, in memory.
 *
 * Layout: a hash table name → node, plus an invisible metaroot (no
 * record) whose children are the roots.  Each node keeps its children in
 * a GPtrArray sorted by (creationTime, name); keys are unique because
 * names are, so a child is found again by binary search.  Every walk is
 * iterative with an explicit stack: a chain of tens of thousands of
 * snapshots is an ordinary tree here, not a stack overflow. */
#include <string.h>

#include "tree/tree.h"
#include "util/error.h"
#include "snapshot/snapshot.h"

typedef struct _vsTreeNode vsTreeNode;
struct _vsTreeNode {
    vsSnapshot *snap;        /* one reference; NULL only for the metaroot */
    vsTreeNode *parent;      /* NULL while unlinked (and for the metaroot) */
    GPtrArray *children;     /* vsTreeNode *, sorted; NULL when none */
};

struct _vsTree {
    GHashTable *nodes;       /* name (borrowed from node->snap) → node */
    vsTreeNode metaroot;
    vsTreeNode *current;
    GPtrArray *unlinked;     /* vsTreeAddUnlinked order, until vsTreeLinkAll */
};

#define VS_SNAPSHOT_DELETE_ALL_FLAGS (VS_SNAPSHOT_DELETE_CHILDREN | \
                                      VS_SNAPSHOT_DELETE_METADATA_ONLY | \
                                      VS_SNAPSHOT_DELETE_CHILDREN_ONLY)

#define VS_SNAPSHOT_LIST_FILTERS_LEAVES (VS_SNAPSHOT_LIST_LEAVES | \
                                         VS_SNAPSHOT_LIST_NO_LEAVES)
#define VS_SNAPSHOT_LIST_FILTERS_METADATA (VS_SNAPSHOT_LIST_METADATA | \
                                           VS_SNAPSHOT_LIST_NO_METADATA)
#define VS_SNAPSHOT_LIST_FILTERS_STATUS (VS_SNAPSHOT_LIST_INACTIVE | \
                                         VS_SNAPSHOT_LIST_ACTIVE | \
                                         VS_SNAPSHOT_LIST_DISK_ONLY)
#define VS_SNAPSHOT_LIST_FILTERS_LOCATION (VS_SNAPSHOT_LIST_INTERNAL | \
                                           VS_SNAPSHOT_LIST_EXTERNAL)
#define VS_SNAPSHOT_LIST_ALL_FLAGS (VS_SNAPSHOT_LIST_ROOTS | \
                                    VS_SNAPSHOT_LIST_TOPOLOGICAL | \
                                    VS_SNAPSHOT_LIST_FILTERS_LEAVES | \
                                    VS_SNAPSHOT_LIST_FILTERS_METADATA | \
                                    VS_SNAPSHOT_LIST_FILTERS_STATUS | \
                                    VS_SNAPSHOT_LIST_FILTERS_LOCATION)

int
vsTreeErrNoSnapshot(GError **error, const char *name)
{
    return vsErr(error, VS_ERROR_NOT_FOUND,
                 "Domain snapshot not found: no domain snapshot with matching name '%s'",
                 name);
}

/* ------------------------------------------------------------------ */
/* Nodes and sibling order                                              */

static vsTreeNode *
vsTreeNodeNew(vsSnapshot *snap)
{
    vsTreeNode *node = g_new0(vsTreeNode, 1);

    node->snap = vsSnapshotRef(snap);
    return node;
}

static void
vsTreeNodeFree(vsTreeNode *node)
{
    if (!node)
        return;
    g_clear_pointer(&node->children, g_ptr_array_unref);
    g_clear_pointer(&node->snap, vsSnapshotUnref);
    g_free(node);
}

static const char *
vsTreeNodeName(const vsTreeNode *node)
{
    return node->snap ? vsSnapshotGetName(node->snap) : NULL;
}

static guint
vsTreeNodeCountChildren(const vsTreeNode *node)
{
    return node->children ? node->children->len : 0;
}

static int
vsTreeNodeCompare(const vsTreeNode *a, const vsTreeNode *b)
{
    gint64 ta = vsSnapshotGetCreationTime(a->snap);
    gint64 tb = vsSnapshotGetCreationTime(b->snap);

    if (ta != tb)
        return ta < tb ? -1 : 1;
    return strcmp(vsSnapshotGetName(a->snap), vsSnapshotGetName(b->snap));
}

static gint
vsTreeNodeCompareIndirect(gconstpointer a, gconstpointer b)
{
    return vsTreeNodeCompare(*(vsTreeNode *const *)a, *(vsTreeNode *const *)b);
}

/* Index where @child is (or would be inserted) among @parent's children. */
static guint
vsTreeNodeChildIndex(const vsTreeNode *parent, const vsTreeNode *child,
                     gboolean *found)
{
    guint lo = 0;
    guint hi = vsTreeNodeCountChildren(parent);

    *found = FALSE;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        int cmp = vsTreeNodeCompare(g_ptr_array_index(parent->children, mid), child);

        if (cmp == 0) {
            *found = TRUE;
            return mid;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void
vsTreeNodeLink(vsTreeNode *parent, vsTreeNode *child)
{
    gboolean found;
    guint idx;

    g_assert(child->parent == NULL);
    if (!parent->children)
        parent->children = g_ptr_array_new();
    idx = vsTreeNodeChildIndex(parent, child, &found);
    g_assert(!found);
    g_ptr_array_insert(parent->children, idx, child);
    child->parent = parent;
}

/* Must run while @child still holds the record it was sorted with. */
static void
vsTreeNodeUnlink(vsTreeNode *child)
{
    vsTreeNode *parent = child->parent;
    gboolean found;
    guint idx;

    if (!parent)
        return;
    idx = vsTreeNodeChildIndex(parent, child, &found);
    g_assert(found && g_ptr_array_index(parent->children, idx) == child);
    g_ptr_array_remove_index(parent->children, idx);
    if (parent->children->len == 0)
        g_clear_pointer(&parent->children, g_ptr_array_unref);
    child->parent = NULL;
}

/* Swaps @node's record; the hash key is borrowed from the record, so it
 * is re-pointed before the old record can go away. */
static void
vsTreeNodeSetSnapshot(vsTree *tree, vsTreeNode *node, vsSnapshot *snap)
{
    vsSnapshot *old = node->snap;

    node->snap = vsSnapshotRef(snap);
    g_hash_table_replace(tree->nodes, (gpointer)vsSnapshotGetName(snap), node);
    vsSnapshotUnref(old);
}

/* ------------------------------------------------------------------ */
/* Walks                                                                */

/* Appends @top's descendants (not @top itself) to @out in pre-order. */
static void
vsTreeNodeCollectDescendants(const vsTreeNode *top, GPtrArray *out)
{
    g_autoptr(GPtrArray) stack = g_ptr_array_new();
    guint i;

    for (i = vsTreeNodeCountChildren(top); i > 0; i--)
        g_ptr_array_add(stack, g_ptr_array_index(top->children, i - 1));

    while (stack->len > 0) {
        vsTreeNode *node = g_ptr_array_steal_index(stack, stack->len - 1);

        g_ptr_array_add(out, node);
        for (i = vsTreeNodeCountChildren(node); i > 0; i--)
            g_ptr_array_add(stack, g_ptr_array_index(node->children, i - 1));
    }
}

static guint
vsTreeNodeCountDescendants(const vsTreeNode *top)
{
    g_autoptr(GPtrArray) stack = g_ptr_array_new();
    guint count = 0;

    g_ptr_array_add(stack, (gpointer)top);
    while (stack->len > 0) {
        vsTreeNode *node = g_ptr_array_steal_index(stack, stack->len - 1);
        guint i;

        for (i = 0; i < vsTreeNodeCountChildren(node); i++)
            g_ptr_array_add(stack, g_ptr_array_index(node->children, i));
        count += vsTreeNodeCountChildren(node);
    }
    return count;
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                           */

vsTree *
vsTreeNew(void)
{
    vsTree *tree = g_new0(vsTree, 1);

    tree->nodes = g_hash_table_new(g_str_hash, g_str_equal);
    tree->unlinked = g_ptr_array_new();
    return tree;
}

void
vsTreeFree(vsTree *tree)
{
    GHashTableIter iter;
    gpointer value;

    if (!tree)
        return;
    /* Every node is in the hash whatever state the links are in (even
     * after a failed vsTreeLinkAll), so free through it. */
    g_hash_table_iter_init(&iter, tree->nodes);
    while (g_hash_table_iter_next(&iter, NULL, &value))
        vsTreeNodeFree(value);
    g_hash_table_unref(tree->nodes);
    g_clear_pointer(&tree->metaroot.children, g_ptr_array_unref);
    g_ptr_array_unref(tree->unlinked);
    g_free(tree);
}

/* Copies the descendants of @from under @to, its counterpart in @copy
 * (recording old → new nodes in @map, when given), without recursion. */
static void
vsTreeCopySubtree(vsTree *copy, GHashTable *map, const vsTreeNode *from,
                  vsTreeNode *to)
{
    g_autoptr(GPtrArray) stack = g_ptr_array_new();

    g_ptr_array_add(stack, (gpointer)from);
    g_ptr_array_add(stack, to);
    while (stack->len > 0) {
        vsTreeNode *dst = g_ptr_array_steal_index(stack, stack->len - 1);
        vsTreeNode *src = g_ptr_array_steal_index(stack, stack->len - 1);
        guint i, n = vsTreeNodeCountChildren(src);

        if (n == 0)
            continue;
        dst->children = g_ptr_array_sized_new(n);
        for (i = 0; i < n; i++) {
            vsTreeNode *schild = g_ptr_array_index(src->children, i);
            vsTreeNode *dchild = vsTreeNodeNew(schild->snap);

            dchild->parent = dst;
            g_ptr_array_add(dst->children, dchild);
            g_hash_table_insert(copy->nodes, (gpointer)vsTreeNodeName(dchild), dchild);
            if (map)
                g_hash_table_insert(map, schild, dchild);
            g_ptr_array_add(stack, schild);
            g_ptr_array_add(stack, dchild);
        }
    }
}

vsTree *
vsTreeCopy(const vsTree *tree)
{
    vsTree *copy = vsTreeNew();
    g_autoptr(GHashTable) map = NULL;
    guint i;

    /* Every commit copies the tree: the old → new map is only needed for
     * unlinked records (loaders); otherwise names find the current node. */
    if (tree->unlinked->len > 0)
        map = g_hash_table_new(NULL, NULL);
    vsTreeCopySubtree(copy, map, &tree->metaroot, &copy->metaroot);
    /* Not yet linked records (and anything added under them) too. */
    for (i = 0; i < tree->unlinked->len; i++) {
        vsTreeNode *src = g_ptr_array_index(tree->unlinked, i);
        vsTreeNode *dst = vsTreeNodeNew(src->snap);

        g_hash_table_insert(copy->nodes, (gpointer)vsTreeNodeName(dst), dst);
        g_hash_table_insert(map, src, dst);
        g_ptr_array_add(copy->unlinked, dst);
        vsTreeCopySubtree(copy, map, src, dst);
    }
    if (tree->current)
        copy->current = map ? g_hash_table_lookup(map, tree->current)
                            : g_hash_table_lookup(copy->nodes, vsTreeNodeName(tree->current));
    return copy;
}

/* ------------------------------------------------------------------ */
/* Queries                                                              */

static vsTreeNode *
vsTreeFindNode(const vsTree *tree, const char *name)
{
    if (!name)
        return NULL;
    return g_hash_table_lookup(tree->nodes, name);
}

static vsTreeNode *
vsTreeFindSnapNode(const vsTree *tree, const vsSnapshot *snap)
{
    if (!snap)
        return NULL;
    return vsTreeFindNode(tree, vsSnapshotGetName(snap));
}

guint
vsTreeCount(const vsTree *tree)
{
    return g_hash_table_size(tree->nodes);
}

const vsSnapshot *
vsTreeLookup(const vsTree *tree, const char *name)
{
    vsTreeNode *node = vsTreeFindNode(tree, name);

    return node ? node->snap : NULL;
}

const vsSnapshot *
vsTreeGetCurrent(const vsTree *tree)
{
    return tree->current ? tree->current->snap : NULL;
}

const vsSnapshot *
vsTreeGetParent(const vsTree *tree, const vsSnapshot *snap)
{
    vsTreeNode *node = vsTreeFindSnapNode(tree, snap);

    if (!node || !node->parent)
        return NULL;
    return node->parent->snap;
}

guint
vsTreeCountChildren(const vsTree *tree, const vsSnapshot *snap)
{
    vsTreeNode *node = vsTreeFindSnapNode(tree, snap);

    return node ? vsTreeNodeCountChildren(node) : 0;
}

guint
vsTreeCountDescendants(const vsTree *tree, const vsSnapshot *snap)
{
    vsTreeNode *node = vsTreeFindSnapNode(tree, snap);

    return node ? vsTreeNodeCountDescendants(node) : 0;
}

/* ------------------------------------------------------------------ */
/* Insertion                                                            */

static int
vsTreeCheckNew(const vsTree *tree, vsSnapshot *snap, GError **error)
{
    const char *name = vsSnapshotGetName(snap);

    g_return_val_if_fail(name != NULL, -1);
    if (vsTreeFindNode(tree, name))
        return vsErr(error, VS_ERROR_EXISTS,
                     "operation failed: domain moment %s already exists", name);
    return 0;
}

static vsTreeNode *
vsTreeInsertNode(vsTree *tree, vsSnapshot *snap)
{
    vsTreeNode *node = vsTreeNodeNew(snap);

    g_hash_table_insert(tree->nodes, (gpointer)vsTreeNodeName(node), node);
    return node;
}

int
vsTreeAdd(vsTree *tree, vsSnapshot *snap, GError **error)
{
    const char *parent_name = vsSnapshotGetParentName(snap);
    vsTreeNode *parent = &tree->metaroot;

    if (vsTreeCheckNew(tree, snap, error) < 0)
        return -1;
    if (parent_name && !(parent = vsTreeFindNode(tree, parent_name)))
        return vsErr(error, VS_ERROR_INVALID,
                     "snapshot '%s': parent '%s' does not exist",
                     vsSnapshotGetName(snap), parent_name);

    vsTreeNodeLink(parent, vsTreeInsertNode(tree, snap));
    return 0;
}

int
vsTreeAddUnlinked(vsTree *tree, vsSnapshot *snap, GError **error)
{
    if (vsTreeCheckNew(tree, snap, error) < 0)
        return -1;
    g_ptr_array_add(tree->unlinked, vsTreeInsertNode(tree, snap));
    return 0;
}

/* The node @node hangs under once linked: its real parent if it has one,
 * else the one its record names (NULL if that does not exist). */
static vsTreeNode *
vsTreeWantedParent(vsTree *tree, vsTreeNode *node)
{
    const char *parent_name;

    if (node->parent)
        return node->parent;
    parent_name = vsSnapshotGetParentName(node->snap);
    if (!parent_name)
        return &tree->metaroot;
    return vsTreeFindNode(tree, parent_name);
}

enum { VS_TREE_WALK_ON_PATH = 1, VS_TREE_WALK_DONE = 2 };

int
vsTreeLinkAll(vsTree *tree, GError **error)
{
    g_autoptr(GHashTable) state = NULL;
    g_autoptr(GHashTable) touched = NULL;
    g_autoptr(GPtrArray) path = NULL;
    GHashTableIter iter;
    gpointer key;
    guint i;

    /* Everything is checked before anything is linked, so a failure
     * leaves the tree as it was; errors name the first offending record
     * in insertion (file) order. */
    for (i = 0; i < tree->unlinked->len; i++) {
        vsTreeNode *node = g_ptr_array_index(tree->unlinked, i);

        if (!vsTreeWantedParent(tree, node))
            return vsErr(error, VS_ERROR_INVALID,
                         "snapshot '%s': parent '%s' does not exist",
                         vsTreeNodeName(node), vsSnapshotGetParentName(node->snap));
    }

    state = g_hash_table_new(NULL, NULL);
    path = g_ptr_array_new();
    for (i = 0; i < tree->unlinked->len; i++) {
        vsTreeNode *node = g_ptr_array_index(tree->unlinked, i);
        vsTreeNode *walk = node;
        guint j;

        /* Climb until the metaroot or an already proven chain. */
        g_ptr_array_set_size(path, 0);
        while (walk != &tree->metaroot) {
            guint seen = GPOINTER_TO_UINT(g_hash_table_lookup(state, walk));

            if (seen == VS_TREE_WALK_DONE)
                break;
            if (seen == VS_TREE_WALK_ON_PATH)
                return vsErr(error, VS_ERROR_INVALID,
                             "snapshot '%s': parent chain forms a cycle",
                             vsTreeNodeName(node));
            g_hash_table_insert(state, walk, GUINT_TO_POINTER(VS_TREE_WALK_ON_PATH));
            g_ptr_array_add(path, walk);
            walk = vsTreeWantedParent(tree, walk);
        }
        for (j = 0; j < path->len; j++)
            g_hash_table_insert(state, g_ptr_array_index(path, j),
                                GUINT_TO_POINTER(VS_TREE_WALK_DONE));
    }

    /* Append, then sort each touched child list once: O(N log N) for any
     * input order, where sorted insertion could be quadratic. */
    touched = g_hash_table_new(NULL, NULL);
    for (i = 0; i < tree->unlinked->len; i++) {
        vsTreeNode *node = g_ptr_array_index(tree->unlinked, i);
        vsTreeNode *parent = vsTreeWantedParent(tree, node);

        if (!parent->children)
            parent->children = g_ptr_array_new();
        g_ptr_array_add(parent->children, node);
        node->parent = parent;
        g_hash_table_add(touched, parent);
    }
    g_hash_table_iter_init(&iter, touched);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        vsTreeNode *parent = key;

        g_ptr_array_sort(parent->children, vsTreeNodeCompareIndirect);
    }
    g_ptr_array_set_size(tree->unlinked, 0);
    return 0;
}

int
vsTreeSetCurrent(vsTree *tree, const char *name, GError **error)
{
    vsTreeNode *node = NULL;

    if (name && !(node = vsTreeFindNode(tree, name)))
        return vsTreeErrNoSnapshot(error, name);
    tree->current = node;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Redefine                                                             */

int
vsTreeCheckCycles(const vsTree *tree, const vsSnapshot *snap, GError **error)
{
    const char *name = vsSnapshotGetName(snap);
    const char *parent_name = vsSnapshotGetParentName(snap);
    const vsTreeNode *other;

    if (!parent_name)
        return 0;
    if (strcmp(name, parent_name) == 0)
        return vsErr(error, VS_ERROR_INVALID,
                     "invalid argument: cannot set moment %s as its own parent", name);
    if (!(other = vsTreeFindNode(tree, parent_name)))
        return vsErr(error, VS_ERROR_INVALID,
                     "invalid argument: parent %s for moment %s not found",
                     parent_name, name);

    /* libvirt names the ancestor whose parent link points back at @name. */
    for (; other->parent && other->parent->snap; other = other->parent) {
        if (strcmp(vsTreeNodeName(other->parent), name) == 0)
            return vsErr(error, VS_ERROR_INVALID,
                         "invalid argument: parent %s would create cycle to %s",
                         vsTreeNodeName(other), name);
    }
    return 0;
}

int
vsTreeRedefine(vsTree *tree, vsSnapshot *snap, GError **error)
{
    const char *parent_name = vsSnapshotGetParentName(snap);
    vsTreeNode *parent = &tree->metaroot;
    vsTreeNode *node;

    g_return_val_if_fail(tree->unlinked->len == 0, -1);
    g_return_val_if_fail(vsSnapshotGetName(snap) != NULL, -1);

    if (vsTreeCheckCycles(tree, snap, error) < 0)
        return -1;
    if (parent_name)
        parent = vsTreeFindNode(tree, parent_name);

    if (!(node = vsTreeFindNode(tree, vsSnapshotGetName(snap)))) {
        vsTreeNodeLink(parent, vsTreeInsertNode(tree, snap));
        return 0;
    }

    /* Same node: its children and current status stay; only its place
     * among (possibly new) siblings changes. */
    vsTreeNodeUnlink(node);
    vsTreeNodeSetSnapshot(tree, node, snap);
    vsTreeNodeLink(parent, node);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Delete                                                               */

static void
vsTreeRemoveNode(vsTree *tree, vsTreeNode *node)
{
    g_hash_table_remove(tree->nodes, vsTreeNodeName(node));
    if (tree->current == node)
        tree->current = NULL;
    vsTreeNodeFree(node);
}

/* Drops every descendant of @top; TRUE if the current one was among them. */
static gboolean
vsTreeRemoveDescendants(vsTree *tree, vsTreeNode *top)
{
    g_autoptr(GPtrArray) doomed = g_ptr_array_new();
    gboolean had_current = FALSE;
    guint i;

    vsTreeNodeCollectDescendants(top, doomed);
    g_clear_pointer(&top->children, g_ptr_array_unref);
    for (i = 0; i < doomed->len; i++) {
        vsTreeNode *node = g_ptr_array_index(doomed, i);

        if (tree->current == node)
            had_current = TRUE;
        vsTreeRemoveNode(tree, node);
    }
    return had_current;
}

/* libvirt's single delete: @node's children move to its parent with
 * records naming their new parent, current moves to the parent. */
static void
vsTreeRemoveOne(vsTree *tree, vsTreeNode *node)
{
    vsTreeNode *parent = node->parent;
    GPtrArray *moved = g_steal_pointer(&node->children);
    const char *new_parent_name = vsTreeNodeName(parent);
    guint i;

    if (tree->current == node)
        tree->current = parent->snap ? parent : NULL;
    vsTreeNodeUnlink(node);

    if (moved) {
        GPtrArray *old = g_steal_pointer(&parent->children);
        GPtrArray *merged;
        guint a = 0, b = 0;

        for (i = 0; i < moved->len; i++) {
            vsTreeNode *child = g_ptr_array_index(moved, i);
            g_autoptr(vsSnapshot) copy = vsSnapshotCopy(child->snap);

            vsSnapshotSetParentName(copy, new_parent_name);
            vsTreeNodeSetSnapshot(tree, child, copy);
            child->parent = parent;
        }

        /* Both lists are sorted: merge in linear time. */
        merged = g_ptr_array_sized_new(moved->len + (old ? old->len : 0));
        while (old && a < old->len && b < moved->len) {
            vsTreeNode *x = g_ptr_array_index(old, a);
            vsTreeNode *y = g_ptr_array_index(moved, b);

            if (vsTreeNodeCompare(x, y) < 0) {
                g_ptr_array_add(merged, x);
                a++;
            } else {
                g_ptr_array_add(merged, y);
                b++;
            }
        }
        for (; old && a < old->len; a++)
            g_ptr_array_add(merged, g_ptr_array_index(old, a));
        for (; b < moved->len; b++)
            g_ptr_array_add(merged, g_ptr_array_index(moved, b));
        parent->children = merged;
        g_clear_pointer(&old, g_ptr_array_unref);
        g_ptr_array_unref(moved);
    }

    vsTreeRemoveNode(tree, node);
}

int
vsTreeDelete(vsTree *tree, const char *name, unsigned int flags,
             GError **error)
{
    vsTreeNode *node;

    g_return_val_if_fail(tree->unlinked->len == 0, -1);

    /* Same order of checks as libvirt: API exclusivity, driver flags,
     * then the lookup. */
    if ((flags & VS_SNAPSHOT_DELETE_CHILDREN) &&
        (flags & VS_SNAPSHOT_DELETE_CHILDREN_ONLY))
        return vsErr(error, VS_ERROR_INVALID,
                     "Flags 'VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN' and "
                     "'VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY' are mutually exclusive");
    if (flags & ~VS_SNAPSHOT_DELETE_ALL_FLAGS)
        return vsErr(error, VS_ERROR_INVALID,
                     "invalid argument: unsupported flags (0x%x) in function qemuSnapshotDelete",
                     flags & ~VS_SNAPSHOT_DELETE_ALL_FLAGS);
    if (!name || !(node = vsTreeFindNode(tree, name)))
        return vsTreeErrNoSnapshot(error, name ? name : "");

    if (flags & (VS_SNAPSHOT_DELETE_CHILDREN | VS_SNAPSHOT_DELETE_CHILDREN_ONLY)) {
        if (vsTreeRemoveDescendants(tree, node))
            tree->current = node;
        if (flags & VS_SNAPSHOT_DELETE_CHILDREN_ONLY)
            return 0;
    }
    vsTreeRemoveOne(tree, node);
    return 0;
}

/* ------------------------------------------------------------------ */
/* List                                                                 */

static gboolean
vsTreeListMatch(const vsTreeNode *node, unsigned int flags)
{
    const vsSnapshot *snap = node->snap;

    if ((flags & VS_SNAPSHOT_LIST_LEAVES) && node->children)
        return FALSE;
    if ((flags & VS_SNAPSHOT_LIST_NO_LEAVES) && !node->children)
        return FALSE;

    if (flags & VS_SNAPSHOT_LIST_FILTERS_STATUS) {
        vsSnapshotState state = vsSnapshotGetState(snap);

        if (state == VS_SNAPSHOT_STATE_SHUTOFF) {
            if (!(flags & VS_SNAPSHOT_LIST_INACTIVE))
                return FALSE;
        } else if (state == VS_SNAPSHOT_STATE_DISK_SNAPSHOT) {
            if (!(flags & VS_SNAPSHOT_LIST_DISK_ONLY))
                return FALSE;
        } else if (!(flags & VS_SNAPSHOT_LIST_ACTIVE)) {
            return FALSE;
        }
    }

    if ((flags & VS_SNAPSHOT_LIST_INTERNAL) && vsSnapshotIsExternal(snap))
        return FALSE;
    if ((flags & VS_SNAPSHOT_LIST_EXTERNAL) && !vsSnapshotIsExternal(snap))
        return FALSE;
    return TRUE;
}

int
vsTreeList(GPtrArray **out, const vsTree *tree, const vsSnapshot *from,
           unsigned int flags, GError **error)
{
    g_autoptr(GPtrArray) result = g_ptr_array_new();
    g_autoptr(GPtrArray) candidates = NULL;
    const vsTreeNode *top = &tree->metaroot;
    unsigned int filter = flags;
    gboolean descend;
    guint i;

    g_return_val_if_fail(tree->unlinked->len == 0, -1);

    if (flags & ~VS_SNAPSHOT_LIST_ALL_FLAGS)
        return vsErr(error, VS_ERROR_INVALID,
                     "invalid argument: unsupported flags (0x%x) in function %s",
                     flags & ~VS_SNAPSHOT_LIST_ALL_FLAGS,
                     from ? "qemuDomainSnapshotListAllChildren"
                          : "qemuDomainListAllSnapshots");
    if (from) {
        if (!(top = vsTreeFindSnapNode(tree, from)))
            return vsTreeErrNoSnapshot(error, vsSnapshotGetName(from));
        descend = (flags & VS_SNAPSHOT_LIST_DESCENDANTS) != 0;
    } else {
        /* ROOTS and DESCENDANTS share a bit with opposite meanings. */
        descend = (flags & VS_SNAPSHOT_LIST_ROOTS) == 0;
    }

    /* Every record has metadata: NO_METADATA alone matches nothing. */
    if ((flags & VS_SNAPSHOT_LIST_FILTERS_METADATA) == VS_SNAPSHOT_LIST_NO_METADATA)
        goto done;
    /* A group with every bit set does not filter.  Not the leaves group:
     * libvirt 9.0 applies LEAVES and NO_LEAVES one after the other, so
     * both together list nothing (observed with virsh). */
    if ((filter & VS_SNAPSHOT_LIST_FILTERS_STATUS) == VS_SNAPSHOT_LIST_FILTERS_STATUS)
        filter &= ~VS_SNAPSHOT_LIST_FILTERS_STATUS;
    if ((filter & VS_SNAPSHOT_LIST_FILTERS_LOCATION) == VS_SNAPSHOT_LIST_FILTERS_LOCATION)
        filter &= ~VS_SNAPSHOT_LIST_FILTERS_LOCATION;

    if (descend) {
        candidates = g_ptr_array_new();
        vsTreeNodeCollectDescendants(top, candidates);
    } else if (top->children) {
        candidates = g_ptr_array_ref(top->children);
    }
    for (i = 0; candidates && i < candidates->len; i++) {
        const vsTreeNode *node = g_ptr_array_index(candidates, i);

        if (vsTreeListMatch(node, filter))
            g_ptr_array_add(result, node->snap);
    }

 done:
    *out = g_steal_pointer(&result);
    return 0;
}

void
vsTreeForEach(const vsTree *tree, vsTreeVisitFunc fn, gpointer data)
{
    g_autoptr(GPtrArray) all = g_ptr_array_sized_new(vsTreeCount(tree));
    guint i;

    vsTreeNodeCollectDescendants(&tree->metaroot, all);
    for (i = 0; i < all->len; i++) {
        const vsTreeNode *node = g_ptr_array_index(all, i);

        fn(node->snap, data);
    }
}

char *
vsTreeFindUUID(const vsTree *tree)
{
    g_autoptr(GPtrArray) all = NULL;

    if (vsTreeList(&all, tree, NULL, 0, NULL) < 0)
        return NULL;
    for (guint i = 0; i < all->len; i++) {
        vsXmlSubtree *domain = vsSnapshotGetDomain(all->pdata[i]);
        char *uuid = domain ? vsXmlSubtreeGetChildText(domain, "uuid") : NULL;
        if (uuid)
            return uuid;
    }
    return NULL;
}
