/* bulkfile-changes.c — which runs of the previous write a change broke,
 * found from the records it touched, without walking every record
 * (format.md, "Segments": finding the runs). */
#include "format/bulkfile-private.h"

/* Walking back from the record named @name in @old, at most this far to
 * the start of its run (this writer's runs are at most
 * SEGMENT_MAX_RECORDS long). */
#define RUN_LOOKBACK_MAX (2 * SEGMENT_MAX_RECORDS)
#define RUN_CHANGED_MAX 64

/* Adds to @dirty the run of @prev holding @name's record in @old: always
 * (@whole), or unless it is the run's last record.  FALSE: not found within
 * RUN_LOOKBACK_MAX records (not this writer's runs). */
static gboolean
markRun(const vsTree *old, const vsBulkSegments *prev, const char *name, gboolean whole,
        GHashTable *dirty)
{
    const vsMoment *target = vsTreeLookup(old, name);
    const vsMoment *r = target;

    for (guint steps = 0; r; steps++, r = vsTreePrev(old, r)) {
        BulkSegment *seg = vsBulkSegmentsByFirst(prev, r);

        if (seg) {
            for (guint k = 0; k < seg->records->len; k++) {
                if (seg->records->pdata[k] == target) {
                    if (whole || k + 1 < seg->records->len)
                        g_hash_table_add(dirty, seg);
                    break;
                }
            }
            return TRUE;   /* in this run, or in none */
        }
        if (steps >= RUN_LOOKBACK_MAX)
            return FALSE;
    }
    return TRUE;           /* new, or before every run */
}

/* The runs of @prev that a change between @old and @tree broke: those
 * holding a record it touched, and those in which a record other than the
 * last is followed by another record now.  A successor changes only at a
 * touched record, just before one (now), or at the end of a touched
 * record's subtree (it moved, or its siblings changed) — all listed here;
 * the records of @tree just before one (to the one after them) or at the
 * end of one (to NULL: not known here) also go into @moved_after.  FALSE: cannot tell (not versions of one tree, runs not
 * this writer's). */
gboolean
vsBulkDirtyRuns(const vsTree *old, const vsTree *tree, const vsBulkSegments *prev,
                GHashTable *dirty, GHashTable *moved_after)
{
    g_autoptr(GHashTable) changed = NULL;
    g_autoptr(GHashTable) around = g_hash_table_new(g_str_hash, g_str_equal);
    GHashTableIter iter;
    gpointer key;

    if (!prev->preorder || !vsTreeChangedNames(old, tree, &changed))
        return FALSE;
    /* A change of a good part of the tree (a big delete): walking every
     * record costs less than finding the runs of each. */
    if (g_hash_table_size(changed) > RUN_CHANGED_MAX + vsTreeCount(tree) / 8)
        return FALSE;
    g_hash_table_iter_init(&iter, changed);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        const vsMoment *m = vsTreeLookup(tree, key);
        const vsMoment *before;

        const vsMoment *end;

        if (!m)
            continue;
        if ((before = vsTreePrev(tree, m))) {
            g_hash_table_add(around, (gpointer) before->name);
            g_hash_table_insert(moved_after, (gpointer) before, (gpointer) m);
        }
        end = vsTreeLastDescendant(tree, m);
        g_hash_table_add(around, (gpointer) end->name);
        if (!g_hash_table_contains(moved_after, end))
            g_hash_table_insert(moved_after, (gpointer) end, NULL);
    }
    /* Now in the old tree, where the runs were made. */
    g_hash_table_iter_init(&iter, changed);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        if (!markRun(old, prev, key, TRUE, dirty))
            return FALSE;
    }
    g_hash_table_iter_init(&iter, around);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        if (!g_hash_table_contains(changed, key) && !markRun(old, prev, key, FALSE, dirty))
            return FALSE;
    }
    return TRUE;
}
