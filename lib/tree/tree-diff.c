/* tree-diff.c — comparing two trees of one kind: what a conversion
 * verifies, what `check` and `convert` report about a leftover directory
 * (and, later, what a pull from libvirt shows before replacing). */
#include <string.h>

#include "tree/tree-private.h"

#define DIFF_SHOWN_MAX 3

static void
addDiff(GArray *diffs, vsTreeDiffType type, const char *name)
{
    vsTreeDifference d = { type, name };
    g_array_append_val(diffs, d);
}

static void
collectMoment(const vsMoment *moment, gpointer data)
{
    g_ptr_array_add(data, (gpointer) moment);
}

gboolean
vsTreeDiff(const vsTree *a, const vsTree *b, GArray **out)
{
    g_autoptr(GArray) diffs = g_array_new(FALSE, FALSE, sizeof(vsTreeDifference));
    g_autoptr(GPtrArray) la = g_ptr_array_sized_new(vsTreeCount(a));
    g_autoptr(GPtrArray) lb = g_ptr_array_sized_new(vsTreeCount(b));
    g_autofree char *uuid_a = vsTreeFindUUID(a);
    g_autofree char *uuid_b = vsTreeFindUUID(b);
    g_autoptr(GString) fa = g_string_new(NULL);
    g_autoptr(GString) fb = g_string_new(NULL);
    const vsMoment *ca = vsTreeGetCurrent(a), *cb = vsTreeGetCurrent(b);
    gboolean equal;

    /* A record at a time: the verdict of comparing the whole stored
     * documents, in the memory of one record.  Records, not nodes: two
     * versions of one tree share their nodes (tree-private.h). */
    vsTreeForEach(a, collectMoment, la);
    vsTreeForEach(b, collectMoment, lb);
    for (guint i = 0; i < la->len; i++) {
        const vsMoment *x = la->pdata[i];
        const vsMoment *y = vsTreeLookup(b, x->name);

        if (!y) {
            addDiff(diffs, VS_TREE_DIFF_ONLY_A, x->name);
            continue;
        }
        g_string_truncate(fa, 0);
        g_string_truncate(fb, 0);
        vsMomentFormatStored(fa, x, uuid_a, 1);
        vsMomentFormatStored(fb, y, uuid_b, 1);
        if (!g_string_equal(fa, fb))
            addDiff(diffs, VS_TREE_DIFF_RECORD, x->name);
    }
    for (guint i = 0; i < lb->len; i++) {
        const vsMoment *y = lb->pdata[i];

        if (!vsTreeLookup(a, y->name))
            addDiff(diffs, VS_TREE_DIFF_ONLY_B, y->name);
    }
    if ((ca == NULL) != (cb == NULL) || (ca && strcmp(ca->name, cb->name) != 0))
        addDiff(diffs, VS_TREE_DIFF_CURRENT, NULL);
    equal = diffs->len == 0;
    if (out)
        *out = g_steal_pointer(&diffs);
    return equal;
}

static void
describeCurrent(GString *out, const vsMoment *current, const char *where)
{
    if (current)
        g_string_append_printf(out, "'%s' in %s", current->name, where);
    else
        g_string_append_printf(out, "none in %s", where);
}

char *
vsTreeDiffDescribe(const vsTree *a, const vsTree *b, const GArray *diffs, const char *a_where,
                   const char *b_where)
{
    const char *noun = a->kind->noun;
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < diffs->len && i < DIFF_SHOWN_MAX; i++) {
        const vsTreeDifference *d = &g_array_index(diffs, vsTreeDifference, i);

        if (i)
            g_string_append(out, "; ");
        switch (d->type) {
        case VS_TREE_DIFF_ONLY_A:
            g_string_append_printf(out, "%s '%s' is only in %s", noun, d->name, a_where);
            break;
        case VS_TREE_DIFF_ONLY_B:
            g_string_append_printf(out, "%s '%s' is only in %s", noun, d->name, b_where);
            break;
        case VS_TREE_DIFF_RECORD:
            g_string_append_printf(out, "%s '%s' differs", noun, d->name);
            break;
        case VS_TREE_DIFF_CURRENT:
            g_string_append_printf(out, "the current %s is ", noun);
            describeCurrent(out, vsTreeGetCurrent(a), a_where);
            g_string_append(out, ", ");
            describeCurrent(out, vsTreeGetCurrent(b), b_where);
            break;
        }
    }
    if (diffs->len > DIFF_SHOWN_MAX)
        g_string_append_printf(out, "; and %u more", diffs->len - DIFF_SHOWN_MAX);
    return g_string_free(out, FALSE);
}
