/* tree.c — the tree of one VM's moments, in memory: links, redefine,
 * delete, and the parent-chain walk behind every cycle check.  Every
 * change to the state goes through tree-version.c's steps, so that
 * versions sharing it (vsTreeCopy) stay what they were.
 *
 * Layout: a hash table name → node, plus an invisible metaroot (no
 * record) whose children are the roots.  Each node keeps its children in
 * a GPtrArray sorted by (creationTime, name); keys are unique because
 * names are, so a child is found again by binary search.  Every walk is
 * iterative with an explicit stack: a chain of tens of thousands of
 * snapshots is an ordinary tree here, not a stack overflow. */
#include <string.h>

#include "util/error.h"
#include "tree/tree-private.h"

int
vsTreeErrNotFound(const vsTree *tree, GError **error, const char *name)
{
    return vsMomentErrNotFound(tree->kind, error, name);
}

/* ------------------------------------------------------------------ */
/* Nodes and sibling order                                              */

static const char *
vsTreeNodeName(const vsTreeNode *node)
{
    return node->moment ? node->moment->name : NULL;
}

static guint
vsTreeNodeCountChildren(const vsTreeNode *node)
{
    return node->children ? node->children->len : 0;
}

static int
vsTreeNodeCompare(const vsTreeNode *a, const vsTreeNode *b)
{
    gint64 ta = a->moment->creation_time;
    gint64 tb = b->moment->creation_time;

    if (ta != tb)
        return ta < tb ? -1 : 1;
    return strcmp(a->moment->name, b->moment->name);
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
vsTreeNodeLink(vsTree *tree, vsTreeNode *parent, vsTreeNode *child)
{
    gboolean found;
    guint idx;

    g_assert(child->parent == NULL);
    idx = vsTreeNodeChildIndex(parent, child, &found);
    g_assert(!found);
    g_ptr_array_insert(vsTreeEditChildren(tree, parent), idx, child);
    vsTreeSetParent(tree, child, parent);
}

/* Must run while @child still holds the record it was sorted with. */
static void
vsTreeNodeUnlink(vsTree *tree, vsTreeNode *child)
{
    vsTreeNode *parent = child->parent;
    GPtrArray *children;
    gboolean found;
    guint idx;

    if (!parent)
        return;
    idx = vsTreeNodeChildIndex(parent, child, &found);
    g_assert(found && g_ptr_array_index(parent->children, idx) == child);
    children = vsTreeEditChildren(tree, parent);
    g_ptr_array_remove_index(children, idx);
    if (children->len == 0)
        vsTreeSetChildren(tree, parent, NULL);
    vsTreeSetParent(tree, child, NULL);
}

/* ------------------------------------------------------------------ */
/* Walks                                                                */

void
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

/* Copies the descendants of @from under @to, its counterpart in @copy
 * (recording old → new nodes in @map, when given), without recursion. */
static void
vsTreeCopySubtree(vsTree *copy, GHashTable *map, const vsTreeNode *from,
                  vsTreeNode *to)
{
    GHashTable *nodes = copy->core->nodes;
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
            vsTreeNode *dchild = vsTreeNodeNew(schild->moment);

            dchild->parent = dst;
            g_ptr_array_add(dst->children, dchild);
            g_hash_table_insert(nodes, (gpointer)vsTreeNodeName(dchild), dchild);
            if (map)
                g_hash_table_insert(map, schild, dchild);
            g_ptr_array_add(stack, schild);
            g_ptr_array_add(stack, dchild);
        }
    }
}

/* An independent copy of @tree (its own state, every node copied): what
 * vsTreeCopy does for a tree with unlinked records. */
vsTree *
vsTreeCopyFull(const vsTree *tree)
{
    vsTreeCore *from = vsTreeState(tree);
    vsTree *copy = vsTreeNew(tree->kind);
    vsTreeCore *to = copy->core;
    g_autoptr(GHashTable) map = g_hash_table_new(NULL, NULL);
    guint i;

    vsTreeCopySubtree(copy, map, &from->metaroot, &to->metaroot);
    /* Not yet linked records (and anything added under them) too. */
    for (i = 0; i < from->unlinked->len; i++) {
        vsTreeNode *src = g_ptr_array_index(from->unlinked, i);
        vsTreeNode *dst = vsTreeNodeNew(src->moment);

        g_hash_table_insert(to->nodes, (gpointer)vsTreeNodeName(dst), dst);
        g_hash_table_insert(map, src, dst);
        g_ptr_array_add(to->unlinked, dst);
        vsTreeCopySubtree(copy, map, src, dst);
    }
    if (from->current)
        to->current = g_hash_table_lookup(map, from->current);
    return copy;
}

/* ------------------------------------------------------------------ */
/* Queries                                                              */

static vsTreeNode *
vsTreeFindNode(const vsTree *tree, const char *name)
{
    if (!name)
        return NULL;
    return g_hash_table_lookup(vsTreeState(tree)->nodes, name);
}

vsTreeNode *
vsTreeFindMomentNode(const vsTree *tree, const vsMoment *moment)
{
    if (!moment)
        return NULL;
    return vsTreeFindNode(tree, moment->name);
}

guint
vsTreeCount(const vsTree *tree)
{
    return g_hash_table_size(vsTreeState(tree)->nodes);
}

const vsMoment *
vsTreeLookup(const vsTree *tree, const char *name)
{
    vsTreeNode *node = vsTreeFindNode(tree, name);

    return node ? node->moment : NULL;
}

const vsMoment *
vsTreeGetCurrent(const vsTree *tree)
{
    vsTreeNode *current = vsTreeState(tree)->current;

    return current ? current->moment : NULL;
}

const vsMoment *
vsTreeGetParent(const vsTree *tree, const vsMoment *moment)
{
    vsTreeNode *node = vsTreeFindMomentNode(tree, moment);

    if (!node || !node->parent)
        return NULL;
    return node->parent->moment;
}

guint
vsTreeCountChildren(const vsTree *tree, const vsMoment *moment)
{
    vsTreeNode *node = vsTreeFindMomentNode(tree, moment);

    return node ? vsTreeNodeCountChildren(node) : 0;
}

guint
vsTreeCountDescendants(const vsTree *tree, const vsMoment *moment)
{
    vsTreeNode *node = vsTreeFindMomentNode(tree, moment);

    return node ? vsTreeNodeCountDescendants(node) : 0;
}

/* ------------------------------------------------------------------ */
/* Insertion                                                            */

static int
vsTreeCheckNew(const vsTree *tree, vsMoment *moment, GError **error)
{
    const char *name = moment->name;

    g_return_val_if_fail(name != NULL, -1);
    if (vsTreeFindNode(tree, name))
        return vsErr(error, VS_ERROR_EXISTS,
                     "operation failed: domain moment %s already exists", name);
    return 0;
}

static vsTreeNode *
vsTreeInsertNode(vsTree *tree, vsMoment *moment)
{
    vsTreeNode *node = vsTreeNodeNew(moment);

    vsTreeToggleName(tree, node);
    vsTreeNodeUnref(node);   /* the name table's reference stays */
    return node;
}

int
vsTreeAdd(vsTree *tree, vsMoment *moment, GError **error)
{
    const char *parent_name = moment->parent_name;
    vsTreeNode *parent = &vsTreeState(tree)->metaroot;

    if (vsTreeCheckNew(tree, moment, error) < 0)
        return -1;
    if (parent_name && !(parent = vsTreeFindNode(tree, parent_name)))
        return vsErr(error, VS_ERROR_INVALID, "%s '%s': parent '%s' does not exist",
                     tree->kind->noun, moment->name, parent_name);

    vsTreeNodeLink(tree, parent, vsTreeInsertNode(tree, moment));
    return 0;
}

int
vsTreeAddUnlinked(vsTree *tree, vsMoment *moment, GError **error)
{
    /* Linking is not logged: only a tree no other version shares. */
    g_return_val_if_fail(vsTreeAlone(tree), -1);
    if (vsTreeCheckNew(tree, moment, error) < 0)
        return -1;
    g_ptr_array_add(tree->core->unlinked, vsTreeInsertNode(tree, moment));
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
    parent_name = node->moment->parent_name;
    if (!parent_name)
        return &tree->core->metaroot;
    return vsTreeFindNode(tree, parent_name);
}

void
vsTreeWalkChains(const GPtrArray *starts, vsTreeParentFunc parent_of, vsTreeCycleFunc on_cycle,
                 gpointer data)
{
    enum { ON_PATH = 1, DONE = 2 };
    g_autoptr(GHashTable) state = g_hash_table_new(NULL, NULL);
    g_autoptr(GPtrArray) path = g_ptr_array_new();

    for (guint i = 0; i < starts->len; i++) {
        gconstpointer walk = starts->pdata[i];
        gboolean go_on = TRUE;

        /* Climb until a root or an already proven chain. */
        g_ptr_array_set_size(path, 0);
        while (walk) {
            guint seen = GPOINTER_TO_UINT(g_hash_table_lookup(state, walk));
            guint start = 0;

            if (seen == DONE)
                break;
            if (seen == ON_PATH) {
                while (path->pdata[start] != walk)
                    start++;
                go_on = on_cycle(path, start, data);
                break;
            }
            g_hash_table_insert(state, (gpointer) walk, GUINT_TO_POINTER(ON_PATH));
            g_ptr_array_add(path, (gpointer) walk);
            walk = parent_of(walk, data);
        }
        for (guint j = 0; j < path->len; j++)
            g_hash_table_insert(state, path->pdata[j], GUINT_TO_POINTER(DONE));
        if (!go_on)
            return;
    }
}

typedef struct {
    vsTree *tree;
    const vsTreeNode *cycle;   /* where the walk that met a cycle started */
} LinkWalk;

static gconstpointer
linkParentOf(gconstpointer item, gpointer data)
{
    LinkWalk *walk = data;
    vsTreeNode *parent = vsTreeWantedParent(walk->tree, (vsTreeNode *) item);

    return parent == &walk->tree->core->metaroot ? NULL : parent;
}

static gboolean
linkOnCycle(const GPtrArray *path, guint cycle_start, gpointer data)
{
    LinkWalk *walk = data;

    walk->cycle = path->pdata[0];
    return FALSE;
}

int
vsTreeLinkAll(vsTree *tree, GError **error)
{
    g_autoptr(GHashTable) touched = NULL;
    LinkWalk walk = { tree, NULL };
    GPtrArray *unlinked = vsTreeState(tree)->unlinked;
    GHashTableIter iter;
    gpointer key;
    guint i;

    if (unlinked->len == 0)
        return 0;
    g_return_val_if_fail(vsTreeAlone(tree), -1);

    /* Everything is checked before anything is linked, so a failure
     * leaves the tree as it was; errors name the first offending record
     * in insertion (file) order. */
    for (i = 0; i < unlinked->len; i++) {
        vsTreeNode *node = g_ptr_array_index(unlinked, i);

        if (!vsTreeWantedParent(tree, node))
            return vsErr(error, VS_ERROR_INVALID,
                         "%s '%s': parent '%s' does not exist", tree->kind->noun,
                         vsTreeNodeName(node), node->moment->parent_name);
    }
    vsTreeWalkChains(unlinked, linkParentOf, linkOnCycle, &walk);
    if (walk.cycle)
        return vsErr(error, VS_ERROR_INVALID, "%s '%s': parent chain forms a cycle",
                     tree->kind->noun, vsTreeNodeName(walk.cycle));

    /* Append, then sort each touched child list once: O(N log N) for any
     * input order, where sorted insertion could be quadratic. */
    touched = g_hash_table_new(NULL, NULL);
    for (i = 0; i < unlinked->len; i++) {
        vsTreeNode *node = g_ptr_array_index(unlinked, i);
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
    g_ptr_array_set_size(unlinked, 0);
    return 0;
}

int
vsTreeBuild(vsTree **out, const vsMomentKind *kind, vsMoment *const *records, guint n,
            const char *current, GError **error)
{
    g_autoptr(vsTree) tree = vsTreeNew(kind);

    for (guint i = 0; i < n; i++) {
        g_return_val_if_fail(records[i]->kind == kind, -1);
        if (vsTreeAddUnlinked(tree, records[i], error) < 0)
            return -1;
    }
    if (vsTreeLinkAll(tree, error) < 0 || vsTreeSetCurrent(tree, current, error) < 0)
        return -1;
    *out = g_steal_pointer(&tree);
    return 0;
}

const vsMomentKind *
vsTreeGetKind(const vsTree *tree)
{
    return tree->kind;
}

int
vsTreeSetCurrent(vsTree *tree, const char *name, GError **error)
{
    vsTreeNode *node = NULL;

    vsTreeState(tree);
    if (name && !(node = vsTreeFindNode(tree, name)))
        return vsTreeErrNotFound(tree, error, name);
    vsTreeSetCurrentNode(tree, node);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Redefine                                                             */

int
vsTreeCheckCycles(const vsTree *tree, const vsMoment *moment, GError **error)
{
    const char *name = moment->name;
    const char *parent_name = moment->parent_name;
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
    /* A cycle needs an ancestor named @name: none when no record is (a new
     * one), so the climb, as long as the history, is not made. */
    if (!vsTreeFindNode(tree, name))
        return 0;

    /* libvirt names the ancestor whose parent link points back at @name. */
    for (; other->parent && other->parent->moment; other = other->parent) {
        if (strcmp(vsTreeNodeName(other->parent), name) == 0)
            return vsErr(error, VS_ERROR_INVALID,
                         "invalid argument: parent %s would create cycle to %s",
                         vsTreeNodeName(other), name);
    }
    return 0;
}

int
vsTreeRedefine(vsTree *tree, vsMoment *moment, GError **error)
{
    const char *parent_name = moment->parent_name;
    vsTreeCore *core = vsTreeState(tree);
    vsTreeNode *parent = &core->metaroot;
    vsTreeNode *node;

    g_return_val_if_fail(core->unlinked->len == 0, -1);
    g_return_val_if_fail(moment->name != NULL, -1);

    if (vsTreeCheckCycles(tree, moment, error) < 0)
        return -1;
    if (parent_name)
        parent = vsTreeFindNode(tree, parent_name);

    if (!(node = vsTreeFindNode(tree, moment->name))) {
        vsTreeNodeLink(tree, parent, vsTreeInsertNode(tree, moment));
        return 0;
    }

    /* Same node: its children and current status stay; only its place
     * among (possibly new) siblings changes. */
    vsTreeNodeUnlink(tree, node);
    vsTreeSetMoment(tree, node, moment);
    vsTreeNodeLink(tree, parent, node);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Delete                                                               */

/* Takes @node out of the name table (freeing it unless another version
 * still has it). */
static void
vsTreeRemoveNode(vsTree *tree, vsTreeNode *node)
{
    if (tree->core->current == node)
        vsTreeSetCurrentNode(tree, NULL);
    vsTreeToggleName(tree, node);
}

/* Drops every descendant of @top; TRUE if the current one was among them. */
static gboolean
vsTreeRemoveDescendants(vsTree *tree, vsTreeNode *top)
{
    g_autoptr(GPtrArray) doomed = g_ptr_array_new();
    gboolean had_current = FALSE;
    guint i;

    vsTreeNodeCollectDescendants(top, doomed);
    vsTreeSetChildren(tree, top, NULL);
    for (i = 0; i < doomed->len; i++) {
        vsTreeNode *node = g_ptr_array_index(doomed, i);

        if (tree->core->current == node)
            had_current = TRUE;
        vsTreeRemoveNode(tree, node);
    }
    return had_current;
}

/* Both sorted: one sorted array (NULL when both are empty). */
static GPtrArray *
vsTreeMergeChildren(const GPtrArray *old, const GPtrArray *moved)
{
    GPtrArray *merged;
    guint a = 0, b = 0;

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
    return merged;
}

/* libvirt's single delete: @node's children move to its parent with
 * records naming their new parent, current moves to the parent. */
static void
vsTreeRemoveOne(vsTree *tree, vsTreeNode *node)
{
    vsTreeNode *parent = node->parent;
    GPtrArray *moved = node->children;
    const char *new_parent_name = vsTreeNodeName(parent);
    guint i;

    if (tree->core->current == node)
        vsTreeSetCurrentNode(tree, parent->moment ? parent : NULL);
    vsTreeNodeUnlink(tree, node);

    if (moved) {
        for (i = 0; i < moved->len; i++) {
            vsTreeNode *child = g_ptr_array_index(moved, i);
            g_autoptr(vsMoment) copy = vsMomentCopy(child->moment);

            vsMomentSetParentName(copy, new_parent_name);
            vsTreeSetMoment(tree, child, copy);
            vsTreeSetParent(tree, child, parent);
        }
        /* Both lists are sorted: merge in linear time. */
        vsTreeSetChildren(tree, parent, vsTreeMergeChildren(parent->children, moved));
        vsTreeSetChildren(tree, node, NULL);
    }

    vsTreeRemoveNode(tree, node);
}

int
vsTreeDelete(vsTree *tree, const char *name, unsigned int flags,
             GError **error)
{
    vsTreeNode *node;

    g_return_val_if_fail(vsTreeState(tree)->unlinked->len == 0, -1);

    /* The flags first, then the lookup, as libvirt checks them. */
    if (tree->kind->delete_check(flags, error) < 0)
        return -1;
    if (!name || !(node = vsTreeFindNode(tree, name)))
        return vsTreeErrNotFound(tree, error, name ? name : "");

    if (flags & (VS_MOMENT_DELETE_CHILDREN | VS_MOMENT_DELETE_CHILDREN_ONLY)) {
        if (vsTreeRemoveDescendants(tree, node))
            vsTreeSetCurrentNode(tree, node);
        if (flags & VS_MOMENT_DELETE_CHILDREN_ONLY)
            return 0;
    }
    vsTreeRemoveOne(tree, node);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Stepping through the pre-order (the bulk-file writer, issue 16)      */

const vsMoment *
vsTreeFirst(const vsTree *tree)
{
    const vsTreeNode *top = &vsTreeState(tree)->metaroot;

    return top->children ? ((vsTreeNode *) top->children->pdata[0])->moment : NULL;
}

static const vsTreeNode *
vsTreeNodeLastDescendant(const vsTreeNode *node)
{
    while (node->children)
        node = node->children->pdata[node->children->len - 1];
    return node;
}

const vsMoment *
vsTreeLastDescendant(const vsTree *tree, const vsMoment *moment)
{
    const vsTreeNode *node = vsTreeFindMomentNode(tree, moment);

    return node ? vsTreeNodeLastDescendant(node)->moment : NULL;
}

const vsMoment *
vsTreeNext(const vsTree *tree, const vsMoment *moment)
{
    const vsTreeNode *node = vsTreeFindMomentNode(tree, moment);

    g_return_val_if_fail(node != NULL, NULL);
    if (node->children)
        return ((vsTreeNode *) node->children->pdata[0])->moment;
    for (; node->moment; node = node->parent) {
        gboolean found;
        guint idx;

        /* An only child has no next sibling: a chain of them (a long
         * history) is climbed without a search per level. */
        if (node->parent->children->len == 1)
            continue;
        idx = vsTreeNodeChildIndex(node->parent, node, &found);
        if (idx + 1 < node->parent->children->len)
            return ((vsTreeNode *) node->parent->children->pdata[idx + 1])->moment;
    }
    return NULL;
}

const vsMoment *
vsTreePrev(const vsTree *tree, const vsMoment *moment)
{
    const vsTreeNode *node = vsTreeFindMomentNode(tree, moment);
    gboolean found;
    guint idx;

    g_return_val_if_fail(node != NULL, NULL);
    idx = vsTreeNodeChildIndex(node->parent, node, &found);
    if (idx == 0)
        return node->parent->moment;
    return vsTreeNodeLastDescendant(node->parent->children->pdata[idx - 1])->moment;
}
