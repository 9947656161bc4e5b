/* checkpoint.h — the checkpoint kind of moment (internal): libvirt 9.0's
 * <domaincheckpoint> record, its XML and its rules.
 *
 * The record is a vsMoment (record/moment.h) followed by the checkpoint's
 * <disks> (checkpoint-private.h); vsCheckpointKind plugs it into the tree,
 * the bulk file, the store and the legacy layer.  Files: checkpoint.c
 * (record, getters, names, list and delete flags, the kind),
 * checkpoint-parse.c, checkpoint-format.c, checkpoint-rules.c (disk
 * alignment, redefine and create, vsStoreLoadCheckpoints). */
#pragma once

#include <libxml/tree.h>
#include "virtsnap/virtsnap.h"
#include "record/moment.h"

extern const vsMomentKind vsCheckpointKind;

/* The comment libvirt's qemu driver writes before every per-checkpoint
 * file (exact bytes, including the blank line after it). */
#define VS_CHECKPOINT_LEGACY_HEADER \
    "<!--\n" \
    "WARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\n" \
    "OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:\n" \
    "  virsh checkpoint-edit\n" \
    "or other application using the libvirt API.\n" \
    "-->\n" \
    "\n"

/* Parses the <domaincheckpoint> element @root of a parsed document
 * (schema validation included).  Same rules and errors as
 * vsCheckpointParse. */
int vsCheckpointParseNode(vsCheckpoint **out, xmlNodePtr root, unsigned int flags, gint64 now,
                          GError **error);

/* Appends the record at 2 * @level spaces of indent: flags as
 * vsCheckpointFormat (SIZE prints sizes only with SIZE_KNOWN). */
void vsCheckpointFormatBuf(GString *buf, const vsCheckpoint *chk, unsigned int flags,
                           guint level);

/* What libvirt's test harness does to a parsed record (for tests): sets
 * disk @i's bitmap size; appends a zeroed, unnamed disk slot (never
 * formatted); sets disk @i's name, type and bitmap. */
void vsCheckpointSetDiskSize(vsCheckpoint *chk, guint i, guint64 size);
void vsCheckpointAddDiskSlot(vsCheckpoint *chk);
void vsCheckpointSetDisk(vsCheckpoint *chk, guint i, const char *name, vsCheckpointType type,
                         const char *bitmap);

/* libvirt's virDomainCheckpointAlignDisks: @chk's <disks> matched to the
 * disks of its <domain>, default bitmap names included.  Errors: libvirt's
 * texts ("internal error: missing domain in checkpoint", ...). */
int vsCheckpointAlignDisks(vsCheckpoint *chk, GError **error);
/* virDomainCheckpointDefAssignBitmapNames: bitmap disks without a bitmap
 * name get the checkpoint's name. */
void vsCheckpointAssignBitmapNames(vsCheckpoint *chk);
