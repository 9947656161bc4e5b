/* domaindisk.c — the disks of a VM's <domain>, read as libvirt's disk
 * alignment (snapshots and checkpoints) sees them. */
#include <string.h>

#include "util/error.h"
#include "util/xmltext.h"
#include "record/domaindisk.h"

const char *const vsStorageTypeNames[VS_STORAGE_LAST] = {
    "none", "file", "block", "dir", "network", "volume", "nvme", "vhostuser",
};

const char *const vsStorageProtocolNames[14] = {
    "none", "nbd", "rbd", "sheepdog", "gluster", "iscsi", "http", "https",
    "ftp", "ftps", "tftp", "ssh", "vxhs", "nfs",
};

void
vsDomainDisksFree(GArray *disks)
{
    if (!disks)
        return;
    for (guint i = 0; i < disks->len; i++) {
        vsDomainDisk *d = &g_array_index(disks, vsDomainDisk, i);
        g_free(d->dst);
        g_free(d->path);
        g_free(d->snapshot);
    }
    g_array_unref(disks);
}

/* One <disk> of the domain: its target, source path, whether it is empty
 * or read-only.  Errors: libvirt's for a disk without <target>. */
static int
domainDiskRead(vsDomainDisk *d, xmlNodePtr n, GError **error)
{
    g_autofree char *type = vsXmlPropString(n, "type");
    g_autofree char *device = vsXmlPropString(n, "device");
    int stype = type ? vsXmlEnumFromString(vsStorageTypeNames, VS_STORAGE_LAST, type)
                     : VS_STORAGE_FILE;
    xmlNodePtr src;

    for (xmlNodePtr t = n->children; t && !d->dst; t = t->next) {
        if (vsXmlIsElement(t, "target"))
            d->dst = vsXmlPropString(t, "dev");
    }
    if (!d->dst)
        return vsErr(error, VS_ERROR_INVALID, "XML error: missing target information for device");
    d->snapshot = vsXmlPropString(n, "snapshot");
    d->readonly = vsXmlFirstChild(n, "readonly") || g_strcmp0(device, "cdrom") == 0;
    if ((src = vsXmlFirstChild(n, "source"))) {
        switch (stype) {
        case VS_STORAGE_FILE: d->path = vsXmlPropString(src, "file"); break;
        case VS_STORAGE_BLOCK: d->path = vsXmlPropString(src, "dev"); break;
        case VS_STORAGE_DIR: d->path = vsXmlPropString(src, "dir"); break;
        case VS_STORAGE_NETWORK: d->path = vsXmlPropString(src, "name"); break;
        default: break;
        }
    }
    if (d->path && !*d->path)
        g_clear_pointer(&d->path, g_free);
    switch (stype) {
    case VS_STORAGE_FILE:
    case VS_STORAGE_BLOCK:
    case VS_STORAGE_DIR:
        d->empty = d->path == NULL;
        break;
    case VS_STORAGE_NETWORK: {
        g_autofree char *proto = src ? vsXmlPropString(src, "protocol") : NULL;
        d->empty = vsXmlEnumFromString(vsStorageProtocolNames,
                                       G_N_ELEMENTS(vsStorageProtocolNames),
                                       proto) <= VS_PROTO_NONE;
        break;
    }
    default:
        d->empty = stype <= VS_STORAGE_NONE;
        break;
    }
    return 0;
}

int
vsDomainDisksRead(GArray **out, vsXmlSubtree *domain, GError **error)
{
    xmlDocPtr doc = vsXmlSubtreeToDoc(domain, error);
    g_autoptr(vsDomainDiskList) disks = NULL;
    xmlNodePtr root;

    if (!doc)
        return -1;
    disks = g_array_new(FALSE, TRUE, sizeof(vsDomainDisk));
    root = xmlDocGetRootElement(doc);
    for (xmlNodePtr devs = root->children; devs; devs = devs->next) {
        if (!vsXmlIsElement(devs, "devices"))
            continue;
        for (xmlNodePtr n = devs->children; n; n = n->next) {
            vsDomainDisk d = { 0 };

            if (!vsXmlIsElement(n, "disk"))
                continue;
            g_array_append_val(disks, d);
            if (domainDiskRead(&g_array_index(disks, vsDomainDisk, disks->len - 1), n,
                               error) < 0) {
                xmlFreeDoc(doc);
                return -1;
            }
        }
    }
    xmlFreeDoc(doc);
    *out = g_steal_pointer(&disks);
    return 0;
}

int
vsDomainDiskIndex(GArray *disks, const char *name)
{
    int candidate = -1;

    for (guint i = 0; i < disks->len; i++) {
        vsDomainDisk *d = &g_array_index(disks, vsDomainDisk, i);
        if (*name != '/') {
            if (strcmp(d->dst, name) == 0)
                return (int) i;
        } else if (d->path && strcmp(d->path, name) == 0) {
            if (candidate >= 0)
                return -1;
            candidate = (int) i;
        }
    }
    return candidate;
}
