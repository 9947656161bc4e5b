/* checkpoint-private.h — the checkpoint record's fields, shared by the
 * files of the checkpoint kind (checkpoint*.c) and no one else. */
#pragma once

#include "checkpoint/checkpoint.h"

/* libvirt's strings; index = value. */
extern const char *const vsCheckpointTypeNames[VS_CHECKPOINT_TYPE_LAST];

/* One <disk> of <disks> (virDomainCheckpointDiskDef). */
typedef struct {
    char *name;               /* NULL: an empty slot, never formatted */
    vsCheckpointType type;
    char *bitmap;
    guint64 size;             /* with size_valid: the bitmap's size */
    gboolean size_valid;
} vsCheckpointDisk;

/* A checkpoint: the moment every kind shares, then its disks. */
typedef struct {
    vsMoment base;
    vsCheckpointDisk *disks;
    guint ndisks;
} vsCheckpointRecord;

static inline vsCheckpointRecord *
vsCheckpointFields(const vsMoment *moment)
{
    g_assert(moment->kind == &vsCheckpointKind);
    return (vsCheckpointRecord *) moment;
}

void vsCheckpointDiskClear(vsCheckpointDisk *disk);

/* checkpoint-parse.c / checkpoint-format.c: the kind's hooks */
int vsCheckpointParseStored(vsMoment **out, xmlNodePtr node, GError **error);
int vsCheckpointParseLegacy(vsMoment **out, const char *xml, gsize len, gboolean *is_current,
                            GError **error);
void vsCheckpointFormatStored(GString *buf, const vsMoment *moment, const char *uuid,
                              guint level, const char *domain_line);
void vsCheckpointFormatLegacy(GString *buf, const vsMoment *moment, const char *uuid,
                              gboolean current);
