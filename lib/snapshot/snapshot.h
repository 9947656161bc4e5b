/* snapshot.h — the snapshot kind of moment (internal): the
 * <domainsnapshot> record, its XML, its rules.
 *
 * The record is a vsMoment (record/moment.h) followed by the snapshot's own
 * fields (snapshot-private.h); vsSnapshotKind tells the layers below how to
 * parse, format, copy and list it.  Files: snapshot.c (record, getters,
 * names, list filters, the kind), snapshot-parse.c, snapshot-format.c,
 * snapshot-disk.c (<disks>: parse, format, alignment with the domain). */
#pragma once

#include <libxml/tree.h>
#include "virtsnap/virtsnap.h"
#include "record/moment.h"
#include "record/xmlsubtree.h"

extern const vsMomentKind vsSnapshotKind;

/* The comment libvirt's qemu driver writes before every per-snapshot file
 * (exact bytes, including the blank line after it). */
#define VS_SNAPSHOT_LEGACY_HEADER \
    "<!--\n" \
    "WARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\n" \
    "OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:\n" \
    "  virsh snapshot-edit\n" \
    "or other application using the libvirt API.\n" \
    "-->\n" \
    "\n"

/* Parses the <domainsnapshot> element @root of an already-parsed document
 * (the bulk-file reader expands one element at a time and calls this).
 * Same rules, flags and errors as vsSnapshotParse.  The <metadata> of
 * @root's <domain>/<inactiveDomain> may be rewritten in place: callers
 * only free the tree afterwards. */
int vsSnapshotParseNode(vsSnapshot **out, xmlNodePtr root, unsigned int flags,
                        gint64 now, gboolean *is_current, GError **error);

/* A parse flag beside the public ones: the given document is parsed whole
 * by libxml2, its <domain> and <inactiveDomain> never captured from its
 * bytes (for tests: the path every document took before).  And for tests:
 * how many documents vsSnapshotParse read with their definitions cut. */
#define VS_SNAPSHOT_PARSE_WHOLE (1u << 16)
guint vsSnapshotParseGetCutCount(void);

/* Appends the formatted record to @buf, every line prefixed by
 * 2 * @indent_level spaces (the bulk file nests records one level deep).
 * Same output as vsSnapshotFormat otherwise. */
void vsSnapshotFormatBuf(GString *buf, const vsSnapshot *snap, const char *uuid,
                         unsigned int flags, guint indent_level);

/* <inactiveDomain> and <cookie> subtrees (borrowed) or NULL. */
vsXmlSubtree *vsSnapshotGetInactiveDomain(const vsSnapshot *snap);
vsXmlSubtree *vsSnapshotGetCookie(const vsSnapshot *snap);

/* What a hypervisor fills in on a plain create (snapshot-rules.c). */
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
