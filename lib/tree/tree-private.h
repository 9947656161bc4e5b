/* tree-private.h — the tree's nodes and versions, shared by tree*.c only.
 *
 * Versions (issue 16): vsTreeCopy does not copy.  All versions of a tree
 * made by vsTreeCopy share one vsTreeCore, which holds the state of exactly
 * one of them, the head.  Every other version keeps a log of the changes
 * that turn the state of its neighbour (@toward, one step closer to the
 * head) into its own.  A change to the head is made in place and its
 * inverse is logged in each version that points at the head; reading or
 * changing another version first makes it the head by applying its log
 * and reversing the edge ("rerooting").  So a copy costs O(1), a change
 * O(what it changes), and freeing a version O(its log).  Every logged step
 * swaps one field with the value the step holds, so a step applied is its
 * own inverse.  Nodes are shared by every version: a node pointer is valid
 * only while its tree is the head (queries take the head first), records
 * are valid while any version holds them. */
#pragma once

#include "tree/tree.h"

typedef struct _vsTreeNode vsTreeNode;
struct _vsTreeNode {
    vsMoment *moment;        /* one reference; NULL only for the metaroot */
    vsTreeNode *parent;      /* NULL while unlinked (and for the metaroot) */
    GPtrArray *children;     /* vsTreeNode *, sorted; NULL when none */
    guint refs;              /* the core's name table, and each logged step */
};

typedef struct {
    GHashTable *nodes;       /* name (borrowed from node->moment) → node (one ref) */
    vsTreeNode metaroot;
    vsTreeNode *current;
    GPtrArray *unlinked;     /* vsTreeAddUnlinked order, until vsTreeLinkAll */
    vsTree *head;            /* the version whose state this is */
} vsTreeCore;

struct _vsTree {
    const vsMomentKind *kind;
    vsTreeCore *core;        /* shared by every version */
    vsTree *toward;          /* NULL for the head */
    GArray *log;             /* vsTreeStep: @toward's state → this one's, applied last first */
    GPtrArray *incomers;     /* versions whose @toward is this one (NULL: none) */
};

/* Makes @tree the head of its versions and returns the state it sees.
 * Logically const: the versions' contents do not change. */
vsTreeCore *vsTreeState(const vsTree *tree);

/* An independent copy (its own state): vsTreeCopy of a tree with
 * unlinked records (tree.c). */
vsTree *vsTreeCopyFull(const vsTree *tree);

/* The node of the record named like @moment (NULL: none). */
vsTreeNode *vsTreeFindMomentNode(const vsTree *tree, const vsMoment *moment);
/* Appends @top's descendants (not @top itself) to @out in pre-order. */
void vsTreeNodeCollectDescendants(const vsTreeNode *top, GPtrArray *out);

/* ---- tree-version.c: the only ways the state changes ---------------------
 * Each works on the head (call vsTreeState first) and logs the step's
 * inverse in every version pointing at @tree. */
vsTreeNode *vsTreeNodeNew(vsMoment *moment);
void vsTreeNodeUnref(vsTreeNode *node);
/* Whether no other version shares @tree's state (changes need no log). */
gboolean vsTreeAlone(const vsTree *tree);
void vsTreeSetMoment(vsTree *tree, vsTreeNode *node, vsMoment *moment);
void vsTreeSetParent(vsTree *tree, vsTreeNode *node, vsTreeNode *parent);
/* Takes @children (NULL: none). */
void vsTreeSetChildren(vsTree *tree, vsTreeNode *node, GPtrArray *children);
/* @node's children array to change in place: a private copy when shared. */
GPtrArray *vsTreeEditChildren(vsTree *tree, vsTreeNode *node);
/* Puts @node into the name table, or takes it out. */
void vsTreeToggleName(vsTree *tree, vsTreeNode *node);
void vsTreeSetCurrentNode(vsTree *tree, vsTreeNode *node);
