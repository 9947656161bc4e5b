/* snapshot.h — one <domainsnapshot> record: model, parse, format (internal). */
#pragma once

#include <libxml/tree.h>
#include "virtsnap/virtsnap.h"
#include "xmlsubtree.h"

/* Parses the <domainsnapshot> element @root of an already-parsed document
 * (the bulk-file reader expands one element at a time and calls this).
 * Same rules, flags and errors as vsSnapshotParse. */
int vsSnapshotParseNode(vsSnapshot **out, xmlNodePtr root, unsigned int flags,
                        gint64 now, gboolean *is_current, GError **error);

/* Appends the formatted record to @buf, every line prefixed by
 * 2 * @indent_level spaces (the bulk file nests records one level deep).
 * Same output as vsSnapshotFormat otherwise. */
void vsSnapshotFormatBuf(GString *buf, const vsSnapshot *snap, const char *uuid,
                         unsigned int flags, guint indent_level);

/* A new record (refcount 1) sharing the immutable parts of @snap (opaque
 * subtrees are shared by reference).  Records in a tree are immutable; a
 * change (new parent, stolen domain) is made on a copy. */
vsSnapshot *vsSnapshotCopy(const vsSnapshot *snap);
void vsSnapshotSetParentName(vsSnapshot *snap, const char *parent_name);

/* The record's full <domain> subtree (borrowed) or NULL. */
vsXmlSubtree *vsSnapshotGetDomain(const vsSnapshot *snap);
/* Replaces the record's <domain> (takes a new reference to @domain). */
void vsSnapshotSetDomain(vsSnapshot *snap, vsXmlSubtree *domain);
