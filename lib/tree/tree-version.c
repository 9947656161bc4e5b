/* tree-version.c — versions of a tree sharing one state (tree-private.h):
 * O(1) copies, changes logged as self-inverse steps, rerooting.
 *
 * A log is applied from its last step to its first.  A change to the head
 * appends its inverse to the log of each version pointing at the head, so
 * that version undoes the newest change first. */
#include "tree/tree-private.h"

typedef enum {
    STEP_MOMENT,     /* node->moment ⇄ value (a reference) */
    STEP_PARENT,     /* node->parent ⇄ value */
    STEP_CHILDREN,   /* node->children ⇄ value (owned array or NULL) */
    STEP_NAME,       /* node in the name table ⇄ not */
    STEP_CURRENT,    /* core->current ⇄ value */
} StepType;

typedef struct {
    StepType type;
    vsTreeNode *node;        /* one reference (NULL for STEP_CURRENT) */
    gpointer value;
} vsTreeStep;

/* ------------------------------------------------------------------ */
/* Nodes                                                                */

vsTreeNode *
vsTreeNodeNew(vsMoment *moment)
{
    vsTreeNode *node = g_new0(vsTreeNode, 1);

    node->moment = vsMomentRef(moment);
    node->refs = 1;
    return node;
}

static vsTreeNode *
nodeRef(vsTreeNode *node)
{
    if (node)
        node->refs++;
    return node;
}

void
vsTreeNodeUnref(vsTreeNode *node)
{
    if (!node || --node->refs > 0)
        return;
    g_clear_pointer(&node->children, g_ptr_array_unref);
    g_clear_pointer(&node->moment, vsMomentUnref);
    g_free(node);
}

/* ------------------------------------------------------------------ */
/* Steps                                                                */

static void
stepApply(vsTreeCore *core, vsTreeStep *step)
{
    vsTreeNode *node = step->node;
    gpointer swap;

    switch (step->type) {
    case STEP_MOMENT:
        swap = node->moment;
        node->moment = step->value;
        step->value = swap;
        /* The name table borrows its key from the record. */
        if (g_hash_table_lookup(core->nodes, node->moment->name) == node)
            g_hash_table_replace(core->nodes, (gpointer) node->moment->name, node);
        break;
    case STEP_PARENT:
        swap = node->parent;
        node->parent = step->value;
        step->value = swap;
        break;
    case STEP_CHILDREN:
        swap = node->children;
        node->children = step->value;
        step->value = swap;
        break;
    case STEP_NAME:
        if (g_hash_table_lookup(core->nodes, node->moment->name) == node) {
            g_hash_table_remove(core->nodes, node->moment->name);
            vsTreeNodeUnref(node);
        } else {
            g_hash_table_insert(core->nodes, (gpointer) node->moment->name, nodeRef(node));
        }
        break;
    case STEP_CURRENT:
        swap = core->current;
        core->current = step->value;
        step->value = swap;
        break;
    }
}

static void
stepClear(vsTreeStep *step)
{
    if (step->type == STEP_MOMENT)
        vsMomentUnref(step->value);
    else if (step->type == STEP_CHILDREN && step->value)
        g_ptr_array_unref(step->value);
    vsTreeNodeUnref(step->node);
}

static vsTreeStep
stepDup(const vsTreeStep *step)
{
    vsTreeStep dup = { step->type, nodeRef(step->node), step->value };

    if (step->type == STEP_MOMENT)
        vsMomentRef(dup.value);
    else if (step->type == STEP_CHILDREN && dup.value)
        dup.value = g_ptr_array_copy(dup.value, NULL, NULL);
    return dup;
}

static void
logClear(GArray *log)
{
    for (guint i = 0; i < log->len; i++)
        stepClear(&g_array_index(log, vsTreeStep, i));
    g_array_set_size(log, 0);
}

/* Appends @steps (@move: taking them, else copies) to @log. */
static void
logAppend(GArray *log, GArray *steps, gboolean move)
{
    if (move) {
        g_array_append_vals(log, steps->data, steps->len);
        g_array_set_size(steps, 0);
        return;
    }
    for (guint i = 0; i < steps->len; i++) {
        vsTreeStep dup = stepDup(&g_array_index(steps, vsTreeStep, i));
        g_array_append_val(log, dup);
    }
}

/* Applies @step to the head @tree and logs its inverse where needed. */
static void
treeStep(vsTree *tree, vsTreeStep step)
{
    GPtrArray *in = tree->incomers;

    g_assert(tree->core->head == tree);
    stepApply(tree->core, &step);
    if (!in || in->len == 0) {
        stepClear(&step);
        return;
    }
    for (guint i = 1; i < in->len; i++) {
        vsTreeStep dup = stepDup(&step);
        g_array_append_val(((vsTree *) in->pdata[i])->log, dup);
    }
    g_array_append_val(((vsTree *) in->pdata[0])->log, step);
}

gboolean
vsTreeAlone(const vsTree *tree)
{
    return !tree->toward && (!tree->incomers || tree->incomers->len == 0);
}

void
vsTreeSetMoment(vsTree *tree, vsTreeNode *node, vsMoment *moment)
{
    treeStep(tree, (vsTreeStep) { STEP_MOMENT, nodeRef(node), vsMomentRef(moment) });
}

void
vsTreeSetParent(vsTree *tree, vsTreeNode *node, vsTreeNode *parent)
{
    treeStep(tree, (vsTreeStep) { STEP_PARENT, nodeRef(node), parent });
}

void
vsTreeSetChildren(vsTree *tree, vsTreeNode *node, GPtrArray *children)
{
    treeStep(tree, (vsTreeStep) { STEP_CHILDREN, nodeRef(node), children });
}

GPtrArray *
vsTreeEditChildren(vsTree *tree, vsTreeNode *node)
{
    GPtrArray *edit;

    if (node->children && vsTreeAlone(tree))
        return node->children;
    edit = node->children ? g_ptr_array_copy(node->children, NULL, NULL) : g_ptr_array_new();
    vsTreeSetChildren(tree, node, edit);
    return edit;
}

void
vsTreeToggleName(vsTree *tree, vsTreeNode *node)
{
    treeStep(tree, (vsTreeStep) { STEP_NAME, nodeRef(node), NULL });
}

void
vsTreeSetCurrentNode(vsTree *tree, vsTreeNode *node)
{
    if (tree->core->current != node)
        treeStep(tree, (vsTreeStep) { STEP_CURRENT, NULL, node });
}

/* ------------------------------------------------------------------ */
/* Versions                                                             */

static void
incomerAdd(vsTree *to, vsTree *from)
{
    if (!to->incomers)
        to->incomers = g_ptr_array_new();
    g_ptr_array_add(to->incomers, from);
}

/* @u points at the head: applies its log, and the head points at @u. */
static void
flip(vsTree *u)
{
    vsTree *w = u->toward;
    GArray *log = u->log;

    for (guint k = log->len; k-- > 0;)
        stepApply(u->core, &g_array_index(log, vsTreeStep, k));
    /* The steps now undo in the order they were applied: reverse them. */
    for (guint a = 0, b = log->len; b > a + 1; a++, b--) {
        vsTreeStep t = g_array_index(log, vsTreeStep, a);
        g_array_index(log, vsTreeStep, a) = g_array_index(log, vsTreeStep, b - 1);
        g_array_index(log, vsTreeStep, b - 1) = t;
    }
    g_ptr_array_remove_fast(w->incomers, u);
    incomerAdd(u, w);
    w->log = log;
    w->toward = u;
    u->log = NULL;
    u->toward = NULL;
    u->core->head = u;
}

vsTreeCore *
vsTreeState(const vsTree *ctree)
{
    vsTree *tree = (vsTree *) ctree;

    if (tree->toward) {
        g_autoptr(GPtrArray) path = g_ptr_array_new();

        for (vsTree *t = tree; t->toward; t = t->toward)
            g_ptr_array_add(path, t);
        for (guint i = path->len; i-- > 0;)
            flip(path->pdata[i]);
    }
    return tree->core;
}

static vsTreeCore *
coreNew(vsTree *head)
{
    vsTreeCore *core = g_new0(vsTreeCore, 1);

    core->nodes = g_hash_table_new(g_str_hash, g_str_equal);
    core->unlinked = g_ptr_array_new();
    core->metaroot.refs = 1;   /* the core's own: never freed through refs */
    core->head = head;
    return core;
}

static void
coreFree(vsTreeCore *core)
{
    GHashTableIter iter;
    gpointer value;

    /* Every node of the state is in the table whatever state the links
     * are in (even after a failed vsTreeLinkAll). */
    g_hash_table_iter_init(&iter, core->nodes);
    while (g_hash_table_iter_next(&iter, NULL, &value))
        vsTreeNodeUnref(value);
    g_hash_table_unref(core->nodes);
    g_clear_pointer(&core->metaroot.children, g_ptr_array_unref);
    g_ptr_array_unref(core->unlinked);
    g_free(core);
}

vsTree *
vsTreeNew(const vsMomentKind *kind)
{
    vsTree *tree = g_new0(vsTree, 1);

    tree->kind = kind;
    tree->core = coreNew(tree);
    return tree;
}

/* Shares @tree's state: O(1).  (A tree with unlinked records, which only
 * loaders have, is copied whole: linking is not logged.) */
vsTree *
vsTreeCopy(const vsTree *ctree)
{
    vsTree *tree = (vsTree *) ctree;
    vsTree *copy;

    if (vsTreeState(tree)->unlinked->len > 0)
        return vsTreeCopyFull(tree);
    copy = g_new0(vsTree, 1);
    copy->kind = tree->kind;
    copy->core = tree->core;
    copy->core->head = copy;
    tree->toward = copy;
    tree->log = g_array_new(FALSE, FALSE, sizeof(vsTreeStep));
    incomerAdd(copy, tree);
    return copy;
}

void
vsTreeFree(vsTree *tree)
{
    vsTree *w;

    if (!tree)
        return;
    if (!tree->toward) {
        if (vsTreeAlone(tree)) {
            coreFree(tree->core);
            g_clear_pointer(&tree->incomers, g_ptr_array_unref);
            g_free(tree);
            return;
        }
        vsTreeState(tree->incomers->pdata[0]);
    }
    /* Those pointing here point past it: its log, then theirs. */
    w = tree->toward;
    g_ptr_array_remove_fast(w->incomers, tree);
    for (guint i = 0; tree->incomers && i < tree->incomers->len; i++) {
        vsTree *u = tree->incomers->pdata[i];

        logAppend(u->log, tree->log, i + 1 == tree->incomers->len);
        u->toward = w;
        incomerAdd(w, u);
    }
    logClear(tree->log);
    g_array_unref(tree->log);
    g_clear_pointer(&tree->incomers, g_ptr_array_unref);
    g_free(tree);
}

/* Adds the name of every node a step of @log touches. */
static void
logNames(const GArray *log, GHashTable *names)
{
    for (guint i = 0; i < log->len; i++) {
        const vsTreeStep *step = &g_array_index(log, vsTreeStep, i);

        /* (A STEP_MOMENT's other record has the same name.)  A node
         * whose children changed is not named for that: the child that
         * came, went or moved is, and the node's record is as it was. */
        if (step->type != STEP_CHILDREN && step->node && step->node->moment)
            g_hash_table_add(names, (gpointer) step->node->moment->name);
    }
}

gboolean
vsTreeChangedNames(const vsTree *from, const vsTree *to, GHashTable **out)
{
    GHashTable *names;

    if (from->core != to->core)
        return FALSE;
    vsTreeState(to);
    names = g_hash_table_new(g_str_hash, g_str_equal);
    for (const vsTree *t = from; t->toward; t = t->toward)
        logNames(t->log, names);
    *out = names;
    return TRUE;
}
