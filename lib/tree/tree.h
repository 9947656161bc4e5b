/* tree.h — the tree of one VM's moments of one kind, in memory (internal).
 *
 * Knows nothing about files, and about kinds only through their
 * descriptor (record/moment.h).  Nodes own one reference to an immutable
 * record each; the tree is the only place parent/child links live (a
 * record's parent name always matches its node's parent).
 *
 * Deterministic order everywhere: siblings are kept sorted by
 * creationTime, then name (strcmp), and every walk is pre-order, so a
 * walk from the top is topological and the same tree always gives the
 * same sequence.
 *
 * Files: tree.c (links, redefine, delete, the cycle walk), tree-version.c
 * (copies sharing one state: tree-private.h, "Versions"), tree-list.c
 * (list requests), tree-diff.c (comparing two trees). */
#pragma once

#include "virtsnap/virtsnap.h"
#include "record/moment.h"

typedef struct _vsTree vsTree;

/* An empty tree for records of @kind. */
vsTree *vsTreeNew(const vsMomentKind *kind);
void vsTreeFree(vsTree *tree);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsTree, vsTreeFree)

const vsMomentKind *vsTreeGetKind(const vsTree *tree);

/* A copy that shares the original's state (O(1); tree-private.h,
 * "Versions"); every change is made on a copy, so a failed one leaves the
 * original as it was.  A change to either costs what it changes (plus
 * O(siblings) for a sibling list it edits); reading a version other than
 * the last one changed first replays the changes between the two.  Versions
 * of one tree must be used from one thread at a time (a read may replay);
 * a tree no other version shares is read-only under reads, as before.
 * Freeing a version costs its own changes. */
vsTree *vsTreeCopy(const vsTree *tree);

guint vsTreeCount(const vsTree *tree);
const vsMoment *vsTreeLookup(const vsTree *tree, const char *name);
/* Sets the kind's NOT_FOUND error for an unknown name; returns -1. */
int vsTreeErrNotFound(const vsTree *tree, GError **error, const char *name);
const vsMoment *vsTreeGetCurrent(const vsTree *tree);
const vsMoment *vsTreeGetParent(const vsTree *tree, const vsMoment *moment);
guint vsTreeCountChildren(const vsTree *tree, const vsMoment *moment);
guint vsTreeCountDescendants(const vsTree *tree, const vsMoment *moment);

/* Records passed to vsTreeAdd/AddUnlinked/Redefine are not consumed: the
 * tree takes its own reference and the caller keeps (and drops) theirs.
 * Redefine, Delete and List need a fully linked tree (no record added
 * unlinked since the last vsTreeLinkAll).
 *
 * Adds @moment under the parent its record names.
 * Errors: EXISTS "domain moment %s already exists" (libvirt's text is
 * prefixed "operation failed: "), INVALID when the parent is missing.
 * Used by loaders, which add parents first or call vsTreeAddUnlinked +
 * vsTreeLinkAll for any order. */
int vsTreeAdd(vsTree *tree, vsMoment *moment, GError **error);

/* Order-independent loading: add every record unlinked, then link all.
 * vsTreeLinkAll fails (INVALID, naming the first offending record in
 * insertion order: "snapshot 'X': parent 'P' does not exist", "snapshot
 * 'X': parent chain forms a cycle") on a missing parent or a cycle; it
 * checks before linking anything, but loaders should discard the tree. */
int vsTreeAddUnlinked(vsTree *tree, vsMoment *moment, GError **error);
int vsTreeLinkAll(vsTree *tree, GError **error);

/* A tree of @n records of @kind given in any order, with @current (NULL:
 * none) current: what an import replaces a VM's tree with.  Errors: as
 * vsTreeAddUnlinked (a duplicate name) and vsTreeLinkAll, NOT_FOUND for a
 * current that is not among them. */
int vsTreeBuild(vsTree **out, const vsMomentKind *kind, vsMoment *const *records, guint n,
                const char *current, GError **error);

/* Sets the current record (NULL clears).  @name must exist. */
int vsTreeSetCurrent(vsTree *tree, const char *name, GError **error);

/* libvirt's CheckCycles for a redefined record: self-parent, missing
 * parent, cycle, with libvirt's messages (prefix "invalid argument: "). */
int vsTreeCheckCycles(const vsTree *tree, const vsMoment *moment, GError **error);

/* Inserts or replaces the record named like @moment (redefine): an existing
 * node keeps its children and current status and moves under the new
 * parent.  Runs vsTreeCheckCycles first. */
int vsTreeRedefine(vsTree *tree, vsMoment *moment, GError **error);

/* Removes @name with libvirt's delete semantics, the kind's delete flags
 * (vsSnapshotDeleteFlags): single (children move to the grandparent,
 * current moves to the parent), CHILDREN, CHILDREN_ONLY.  Re-parented
 * children get new record copies.  Errors: INVALID (flags, with the
 * kind's texts), NOT_FOUND.  Cost: O(subtree + siblings). */
int vsTreeDelete(vsTree *tree, const char *name, unsigned int flags, GError **error);

/* The parent-chain walk behind every cycle check on records not yet
 * linked (vsTreeLinkAll; libvirt's layout, import/legacy-scan.c): from each
 * of @starts in order, follows @parent_of (NULL past a root or an unknown
 * parent) and calls @on_cycle once per cycle met, with the chain walked
 * (@path, from its start) and the index in it where the cycle begins;
 * a FALSE return stops the walk.  Each item is walked through once:
 * O(items). */
typedef gconstpointer (*vsTreeParentFunc)(gconstpointer item, gpointer data);
typedef gboolean (*vsTreeCycleFunc)(const GPtrArray *path, guint cycle_start, gpointer data);
void vsTreeWalkChains(const GPtrArray *starts, vsTreeParentFunc parent_of,
                      vsTreeCycleFunc on_cycle, gpointer data);

/* Pre-order, a step at a time (the bulk-file writer): the first record,
 * the one after/before @moment (NULL: none), the last of @moment's subtree
 * (itself without children).  @moment must be in @tree.  Cost: O(log
 * siblings) per level climbed or descended; O(depth) at worst. */
const vsMoment *vsTreeFirst(const vsTree *tree);
const vsMoment *vsTreeNext(const vsTree *tree, const vsMoment *moment);
const vsMoment *vsTreePrev(const vsTree *tree, const vsMoment *moment);
const vsMoment *vsTreeLastDescendant(const vsTree *tree, const vsMoment *moment);

/* The names of the records any change between version @from and version
 * @to of one tree touched (its record, parent, or presence; a record whose
 * children changed is not named for that, the children that came, went or
 * moved are): a new set (names borrowed from records both versions hold),
 * O(changes).
 * FALSE when the two do not share their state (not made by vsTreeCopy
 * from one another). */
gboolean vsTreeChangedNames(const vsTree *from, const vsTree *to, GHashTable **out);

/* ---- tree-list.c --------------------------------------------------------- */

/* Records matching the kind's list @flags (libvirt's group rules and
 * errors), from @from (NULL: domain-wide), in pre-order.  Borrowed
 * pointers in a new array.  Errors: INVALID for unknown flags, NOT_FOUND
 * when @from's name is not in the tree. */
int vsTreeList(GPtrArray **out, const vsTree *tree, const vsMoment *from,
               unsigned int flags, GError **error);

/* Calls @fn on every record in pre-order from the top (topological). */
typedef void (*vsTreeVisitFunc)(const vsMoment *moment, gpointer data);
void vsTreeForEach(const vsTree *tree, vsTreeVisitFunc fn, gpointer data);

/* The VM's UUID as recorded in the first (pre-order) record that has a
 * full <domain>, or NULL.  g_free. */
char *vsTreeFindUUID(const vsTree *tree);

/* ---- tree-diff.c ---------------------------------------------------------- */

/* How two trees of one kind differ: a record only in one, a record in
 * both but different (their stored forms differ, each formatted with its
 * tree's UUID: parent, content, anything), the current record. */
typedef enum {
    VS_TREE_DIFF_ONLY_A,
    VS_TREE_DIFF_ONLY_B,
    VS_TREE_DIFF_RECORD,
    VS_TREE_DIFF_CURRENT,
} vsTreeDiffType;

typedef struct {
    vsTreeDiffType type;
    const char *name;        /* the record (borrowed from its tree); NULL for CURRENT */
} vsTreeDifference;

/* THE comparison of two trees: whether @a and @b hold the same records
 * with the same current one (so they store the same document), and with
 * @out (nullable) the differences, records in @a's order then @b's, the
 * current last.  Cost: formats every record of both once. */
gboolean vsTreeDiff(const vsTree *a, const vsTree *b, GArray **out);

/* The differences on one line, naming the sides: "snapshot 'x' is only in
 * A_WHERE; snapshot 'y' differs; the current snapshot is 'p' in A_WHERE,
 * none in B_WHERE; and 2 more" (at most 3 shown). */
char *vsTreeDiffDescribe(const vsTree *a, const vsTree *b, const GArray *diffs,
                         const char *a_where, const char *b_where);
