/* tree.h — the snapshot tree of one VM, in memory (internal).
 *
 * Knows nothing about files.  Nodes own one reference to an immutable
 * vsSnapshot each; the tree is the only place parent/child links live
 * (a record's parent name always matches its node's parent).
 *
 * Deterministic order everywhere: siblings are kept sorted by
 * creationTime, then name (strcmp), and every walk is pre-order, so a
 * walk from the top is topological and the same tree always gives the
 * same sequence. */
#pragma once

#include "virtsnap/virtsnap.h"

typedef struct _vsTree vsTree;

vsTree *vsTreeNew(void);
void vsTreeFree(vsTree *tree);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsTree, vsTreeFree)

/* A structural copy sharing the records (O(N)); used to roll back. */
vsTree *vsTreeCopy(const vsTree *tree);

guint vsTreeCount(const vsTree *tree);
const vsSnapshot *vsTreeLookup(const vsTree *tree, const char *name);
/* Sets libvirt's NOT_FOUND error for an unknown snapshot name; returns -1. */
int vsTreeErrNoSnapshot(GError **error, const char *name);
const vsSnapshot *vsTreeGetCurrent(const vsTree *tree);
const vsSnapshot *vsTreeGetParent(const vsTree *tree, const vsSnapshot *snap);
guint vsTreeCountChildren(const vsTree *tree, const vsSnapshot *snap);
guint vsTreeCountDescendants(const vsTree *tree, const vsSnapshot *snap);

/* Records passed to vsTreeAdd/AddUnlinked/Redefine are not consumed: the
 * tree takes its own reference and the caller keeps (and drops) theirs.
 * Redefine, Delete and List need a fully linked tree (no record added
 * unlinked since the last vsTreeLinkAll).
 *
 * Adds @snap under the parent its record names.
 * Errors: EXISTS "domain moment %s already exists" (libvirt's text is
 * prefixed "operation failed: "), INVALID when the parent is missing.
 * Used by loaders, which add parents first or call vsTreeAddUnlinked +
 * vsTreeLinkAll for any order. */
int vsTreeAdd(vsTree *tree, vsSnapshot *snap, GError **error);

/* Order-independent loading: add every record unlinked, then link all.
 * vsTreeLinkAll fails (INVALID, naming the first offending snapshot in
 * insertion order: "snapshot 'X': parent 'P' does not exist", "snapshot
 * 'X': parent chain forms a cycle") on a missing parent or a cycle; it
 * checks before linking anything, but loaders should discard the tree. */
int vsTreeAddUnlinked(vsTree *tree, vsSnapshot *snap, GError **error);
int vsTreeLinkAll(vsTree *tree, GError **error);

/* Sets the current snapshot (NULL clears).  @name must exist. */
int vsTreeSetCurrent(vsTree *tree, const char *name, GError **error);

/* libvirt's CheckCycles for a redefined record: self-parent, missing
 * parent, cycle, with libvirt's messages (prefix "invalid argument: "). */
int vsTreeCheckCycles(const vsTree *tree, const vsSnapshot *snap, GError **error);

/* Inserts or replaces the record named like @snap (redefine): an existing
 * node keeps its children and current status and moves under the new
 * parent.  Runs vsTreeCheckCycles first. */
int vsTreeRedefine(vsTree *tree, vsSnapshot *snap, GError **error);

/* Removes @name with libvirt's delete semantics (vsSnapshotDeleteFlags):
 * single (children move to the grandparent, current moves to the parent),
 * CHILDREN, CHILDREN_ONLY.  Re-parented children get new record copies.
 * Errors: INVALID (flags), NOT_FOUND.  Cost: O(subtree + siblings). */
int vsTreeDelete(vsTree *tree, const char *name, unsigned int flags,
                 GError **error);

/* Records matching libvirt list @flags, from @from (NULL: domain-wide),
 * in pre-order.  Borrowed pointers in a new array.  Errors: INVALID for
 * unknown flags, NOT_FOUND when @from's name is not in the tree.  As in
 * libvirt 9.0, LEAVES|NO_LEAVES together match nothing. */
int vsTreeList(GPtrArray **out, const vsTree *tree, const vsSnapshot *from,
               unsigned int flags, GError **error);

/* The VM's UUID as recorded in the first (pre-order) snapshot that has a
 * full <domain>, or NULL.  g_free. */
char *vsTreeFindUUID(const vsTree *tree);

/* Calls @fn on every record in pre-order from the top (topological). */
typedef void (*vsTreeVisitFunc)(const vsSnapshot *snap, gpointer data);
void vsTreeForEach(const vsTree *tree, vsTreeVisitFunc fn, gpointer data);
