/* snapshot-private.h — the snapshot record's fields, shared by the files of
 * the snapshot kind (snapshot*.c) and no one else. */
#pragma once

#include <libxml/tree.h>
#include "record/moment.h"
#include "snapshot/snapshot.h"

/* libvirt's strings; index = value. */
extern const char *const vsSnapshotStateNames[VS_SNAPSHOT_STATE_LAST];
extern const char *const vsSnapshotLocationNames[VS_SNAPSHOT_LOCATION_LAST];

/* One <disk> of <disks> (snapshot-disk.c). */
typedef struct {
    char *name;
    vsSnapshotLocation snapshot;
    int type;                  /* storage type */
    int format;                /* image format, 0 = none */
    guint64 max_size;          /* metadata_cache max_size in bytes, 0 = unset */
    char *path;                /* file/dev path, network name */
    int protocol;              /* network */
    char *query;               /* network (http/https) */
    int tls;                   /* 0 absent, 1 yes, 2 no */
    GPtrArray *children;       /* vsXmlSubtree*: <source> children to print */
    vsXmlSubtree *raw_source;  /* nvme/vhostuser: <source> kept as given */
} vsSnapshotDisk;

/* A snapshot: the moment every kind shares, then what only snapshots have. */
typedef struct {
    vsMoment base;
    vsSnapshotState state;
    vsSnapshotLocation memory;
    char *memory_file;
    vsSnapshotDisk *disks;
    guint ndisks;
    vsXmlSubtree *inactive_domain;
    vsXmlSubtree *cookie;
    gboolean cookie_empty;     /* <cookie/> with nothing libvirt keeps */
    /* The <uuid> of an older snapshot's <domain> that has no type (no full
     * definition): libvirt prints the VM's uuid there, so it is printed
     * again when the VM's uuid is not known (no record has a full <domain>)
     * rather than lost at the next commit. */
    char *domain_uuid;
} vsSnapshotRecord;

/* The snapshot fields of @moment, which must be of vsSnapshotKind. */
static inline vsSnapshotRecord *
vsSnapshotFields(const vsMoment *moment)
{
    g_assert(moment->kind == &vsSnapshotKind);
    return (vsSnapshotRecord *) moment;
}

/* snapshot-disk.c */
void vsSnapshotDiskClear(vsSnapshotDisk *disk);
void vsSnapshotDiskCopy(vsSnapshotDisk *dst, const vsSnapshotDisk *src);
gsize vsSnapshotDiskBytes(const vsSnapshotDisk *disk);
/* virDomainSnapshotDiskDefParseXML */
int vsSnapshotDiskParse(vsSnapshotDisk *disk, xmlNodePtr node, GError **error);
void vsSnapshotDiskFormat(GString *buf, const vsSnapshotDisk *disk, guint level);

/* snapshot-parse.c: the kind's parse hooks (vsMomentKind) */
int vsSnapshotParseStored(vsMoment **out, xmlNodePtr node, GError **error);
int vsSnapshotParseLegacy(vsMoment **out, const char *xml, gsize len, gboolean *is_current,
                          GError **error);

/* snapshot-format.c: two spaces per level; the kind's format hooks */
void vsSnapshotIndent(GString *buf, guint level);
void vsSnapshotFormatStored(GString *buf, const vsMoment *moment, const char *uuid,
                            guint level, const char *domain_line);
void vsSnapshotFormatLegacy(GString *buf, const vsMoment *moment, const char *uuid,
                            gboolean current);
