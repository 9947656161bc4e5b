/* snapshot.h — one <domainsnapshot> record: model, parse, format (internal). */
#pragma once

#include <libxml/tree.h>
#include "virtsnap/virtsnap.h"
#include "record/xmlsubtree.h"

/* The comment libvirt's qemu driver writes before every per-snapshot file
 * (exact bytes, including the blank line after it). */
#ifndef VS_LEGACY_HEADER
#define VS_LEGACY_HEADER \
    "<!--\n" \
    "WARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\n" \
    "OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:\n" \
    "  virsh snapshot-edit\n" \
    "or other application using the libvirt API.\n" \
    "-->\n" \
    "\n"
#endif

/* The deepest a record may nest (its <domainsnapshot> is level 1): a bulk
 * file nests records one level down, and libxml2 refuses a document nested
 * deeper than 257 levels (xmlParserMaxDepth 256, without XML_PARSE_HUGE).
 * The parser refuses deeper records, so none is ever stored that its file
 * could not load back. */
#define VS_SNAPSHOT_DEPTH_MAX 256

/* Parses the <domainsnapshot> element @root of an already-parsed document
 * (the bulk-file reader expands one element at a time and calls this).
 * Same rules, flags and errors as vsSnapshotParse.  The <metadata> of
 * @root's <domain>/<inactiveDomain> may be rewritten in place: callers
 * only free the tree afterwards. */
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

/* What the record holds besides its <domain> (which records share): its
 * strings, disks, <inactiveDomain> and <cookie>.  For load budgets. */
gsize vsSnapshotOwnBytes(const vsSnapshot *snap);

/* The record's full <domain> subtree (borrowed) or NULL. */
vsXmlSubtree *vsSnapshotGetDomain(const vsSnapshot *snap);
/* Replaces the record's <domain> (takes a new reference to @domain). */
void vsSnapshotSetDomain(vsSnapshot *snap, vsXmlSubtree *domain);
/* <inactiveDomain> and <cookie> subtrees (borrowed) or NULL. */
vsXmlSubtree *vsSnapshotGetInactiveDomain(const vsSnapshot *snap);
vsXmlSubtree *vsSnapshotGetCookie(const vsSnapshot *snap);

/* What a hypervisor fills in on a plain create (store.c). */
void vsSnapshotSetState(vsSnapshot *snap, vsSnapshotState state);
void vsSnapshotSetMemoryLocation(vsSnapshot *snap, vsSnapshotLocation location);

/* <disks> entries, in order: target name and location. */
guint vsSnapshotGetDiskCount(const vsSnapshot *snap);
const char *vsSnapshotGetDiskName(const vsSnapshot *snap, guint i);
vsSnapshotLocation vsSnapshotGetDiskLocation(const vsSnapshot *snap, guint i);
/* The new image path of an external disk (file/dev/network name) or NULL. */
const char *vsSnapshotGetDiskPath(const vsSnapshot *snap, guint i);

/**
 * vsSnapshotAlignDisks:
 * libvirt's virDomainSnapshotAlignDisks with the qemu driver's defaults
 * (SEMANTICS §1.7): one <disk> per domain disk, in domain order, names
 * canonicalised to the target dev, locations defaulted, external image
 * names generated.  The domain is @snap's own <domain>, else
 * @fallback_domain (the existing snapshot's on redefine).
 * Default location: create — internal, or external when memory is external,
 * the state is disk-snapshot or ALIGN_DISK_ONLY is given (a DISK_ONLY create
 * of a shut-off VM keeps state shutoff); ALIGN_REDEFINE — external
 * when the state is disk-snapshot or any location is external, else
 * internal.  Uniform internal snapshots are required.
 * Errors: VS_ERROR_INVALID with libvirt's texts ("internal error: missing
 * domain in snapshot", "unsupported configuration: no disk named 'X'", …).
 * Cost: one parse of the domain's XML.
 */
typedef enum {
    VS_SNAPSHOT_ALIGN_REDEFINE  = 1 << 0,
    VS_SNAPSHOT_ALIGN_DISK_ONLY = 1 << 1,
} vsSnapshotAlignFlags;
int vsSnapshotAlignDisks(vsSnapshot *snap, vsXmlSubtree *fallback_domain,
                         unsigned int flags, GError **error);
