/* tree-private.h — the tree's nodes, shared by tree*.c only. */
#pragma once

#include "tree/tree.h"

typedef struct _vsTreeNode vsTreeNode;
struct _vsTreeNode {
    vsMoment *moment;        /* one reference; NULL only for the metaroot */
    vsTreeNode *parent;      /* NULL while unlinked (and for the metaroot) */
    GPtrArray *children;     /* vsTreeNode *, sorted; NULL when none */
};

struct _vsTree {
    const vsMomentKind *kind;
    GHashTable *nodes;       /* name (borrowed from node->moment) → node */
    vsTreeNode metaroot;
    vsTreeNode *current;
    GPtrArray *unlinked;     /* vsTreeAddUnlinked order, until vsTreeLinkAll */
};

/* The node of the record named like @moment (NULL: none). */
vsTreeNode *vsTreeFindMomentNode(const vsTree *tree, const vsMoment *moment);
/* Appends @top's descendants (not @top itself) to @out in pre-order. */
void vsTreeNodeCollectDescendants(const vsTreeNode *top, GPtrArray *out);
