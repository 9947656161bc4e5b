/* domaindisk.h — the disks of a VM's <domain> as libvirt's disk alignment
 * sees them (internal): shared by every kind whose records name disks
 * (snapshot <disks>, checkpoint <disks>). */
#pragma once

#include <glib.h>
#include "record/xmlsubtree.h"

/* virStorageType in 9.0 */
enum {
    VS_STORAGE_NONE, VS_STORAGE_FILE, VS_STORAGE_BLOCK, VS_STORAGE_DIR, VS_STORAGE_NETWORK,
    VS_STORAGE_VOLUME, VS_STORAGE_NVME, VS_STORAGE_VHOSTUSER, VS_STORAGE_LAST
};
extern const char *const vsStorageTypeNames[VS_STORAGE_LAST];

/* virStorageNetProtocol in 9.0 (the values the code names) */
enum { VS_PROTO_NONE, VS_PROTO_NBD, VS_PROTO_HTTP = 6, VS_PROTO_HTTPS = 7 };
extern const char *const vsStorageProtocolNames[14];

/* One <disk> of a <domain>. */
typedef struct {
    char *dst;          /* <target dev> */
    char *path;         /* virDomainDiskGetSource, NULL when none */
    char *snapshot;     /* the disk's own snapshot= attribute, or NULL */
    gboolean empty;     /* virStorageSourceIsEmpty */
    gboolean readonly;  /* <readonly/>, or a cdrom (libvirt's post-parse) */
} vsDomainDisk;

/* The disks of @domain's <devices>, in order (a GArray of vsDomainDisk;
 * free with vsDomainDisksFree).  Errors: libvirt's for a disk without
 * <target> ("XML error: missing target information for device").
 * Cost: O(the domain's text) to find its <devices>' <disk>s, then
 * formatting and one SAX scan of those only (no document tree). */
int vsDomainDisksRead(GArray **out, vsXmlSubtree *domain, GError **error);
/* The same reading from a whole formatted <domain> (@len bytes of XML):
 * what vsDomainDisksRead does with the part of it that it formats. */
int vsDomainDisksReadFormatted(GArray **out, const char *xml, gsize len, GError **error);
void vsDomainDisksFree(GArray *disks);
typedef GArray vsDomainDiskList;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsDomainDiskList, vsDomainDisksFree)

/* virDomainDiskIndexByName(def, name, false): a target name, or an
 * absolute source path that only one disk has; -1 when none. */
int vsDomainDiskIndex(GArray *disks, const char *name);
