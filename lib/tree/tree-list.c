/* tree-list.c — selecting records of a tree: the kind's list flags become a
 * vsMomentListQuery (record/moment.h), applied here in pre-order. */
#include <string.h>

#include "util/error.h"
#include "tree/tree-private.h"

static gboolean
queryMatch(const vsTree *tree, const vsTreeNode *node, const vsMomentListQuery *query)
{
    if (query->leaves && node->children)
        return FALSE;
    if (query->no_leaves && !node->children)
        return FALSE;
    return !query->filter || tree->kind->list_match(node->moment, query->filter);
}

int
vsTreeList(GPtrArray **out, const vsTree *tree, const vsMoment *from, unsigned int flags,
           GError **error)
{
    g_autoptr(GPtrArray) result = g_ptr_array_new();
    g_autoptr(GPtrArray) candidates = NULL;
    vsTreeCore *core = vsTreeState(tree);
    const vsTreeNode *top = &core->metaroot;
    vsMomentListQuery query = { 0 };

    g_return_val_if_fail(core->unlinked->len == 0, -1);

    if (tree->kind->list_query(flags, from != NULL, &query, error) < 0)
        return -1;
    if (from && !(top = vsTreeFindMomentNode(tree, from)))
        return vsTreeErrNotFound(tree, error, from->name);
    if (!query.none) {
        if (query.descend) {
            candidates = g_ptr_array_new();
            vsTreeNodeCollectDescendants(top, candidates);
        } else if (top->children) {
            candidates = g_ptr_array_ref(top->children);
        }
    }
    for (guint i = 0; candidates && i < candidates->len; i++) {
        const vsTreeNode *node = g_ptr_array_index(candidates, i);

        if (queryMatch(tree, node, &query))
            g_ptr_array_add(result, node->moment);
    }
    *out = g_steal_pointer(&result);
    return 0;
}

/* One pass, no array of every node: the stack holds the siblings still
 * to visit (the depth of a chain is one entry at a time). */
void
vsTreeForEach(const vsTree *tree, vsTreeVisitFunc fn, gpointer data)
{
    const vsTreeNode *top = &vsTreeState(tree)->metaroot;
    g_autoptr(GPtrArray) stack = g_ptr_array_new();

    for (guint i = top->children ? top->children->len : 0; i > 0; i--)
        g_ptr_array_add(stack, top->children->pdata[i - 1]);
    while (stack->len > 0) {
        const vsTreeNode *node = stack->pdata[--stack->len];
        const GPtrArray *kids = node->children;

        fn(node->moment, data);
        for (guint i = kids ? kids->len : 0; i > 0; i--)
            g_ptr_array_add(stack, kids->pdata[i - 1]);
    }
}

char *
vsTreeFindUUID(const vsTree *tree)
{
    g_autoptr(GPtrArray) all = g_ptr_array_sized_new(vsTreeCount(tree));

    vsTreeNodeCollectDescendants(&vsTreeState(tree)->metaroot, all);
    for (guint i = 0; i < all->len; i++) {
        const vsTreeNode *node = g_ptr_array_index(all, i);
        char *uuid = vsMomentGetDomainUUID(node->moment);

        if (uuid)
            return uuid;
    }
    return NULL;
}
