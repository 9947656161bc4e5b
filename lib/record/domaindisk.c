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

/* What one <disk> says that alignment needs, as the scan meets it. */
typedef struct {
    char *type, *device;
    gboolean has_source;   /* its first <source> child was seen */
    char *source[5];       /* that <source>'s file, dev, dir, name, protocol */
    gboolean readonly;     /* a <readonly> child */
    vsDomainDisk disk;
} DiskSeen;

static const char *const source_attrs[5] = { "file", "dev", "dir", "name", "protocol" };
enum { SRC_FILE, SRC_DEV, SRC_DIR, SRC_NAME, SRC_PROTOCOL };

static void
diskSeenClear(DiskSeen *seen)
{
    g_free(seen->type);
    g_free(seen->device);
    for (guint i = 0; i < G_N_ELEMENTS(seen->source); i++)
        g_free(seen->source[i]);
    g_free(seen->disk.dst);
    g_free(seen->disk.snapshot);
    memset(seen, 0, sizeof(*seen));
}

/* The disk as libvirt's parser sees it: its source path by storage type,
 * whether it is empty or read-only.  Errors: libvirt's for a disk without
 * <target dev>. */
static int
diskFinish(vsDomainDisk *d, DiskSeen *seen, GError **error)
{
    int stype = seen->type ? vsXmlEnumFromString(vsStorageTypeNames, VS_STORAGE_LAST,
                                                 seen->type)
                           : VS_STORAGE_FILE;
    int which = stype == VS_STORAGE_FILE ? SRC_FILE : stype == VS_STORAGE_BLOCK ? SRC_DEV :
                stype == VS_STORAGE_DIR ? SRC_DIR : stype == VS_STORAGE_NETWORK ? SRC_NAME : -1;

    if (!seen->disk.dst)
        return vsErr(error, VS_ERROR_INVALID, "XML error: missing target information for device");
    *d = seen->disk;
    memset(&seen->disk, 0, sizeof(seen->disk));
    d->readonly = seen->readonly || g_strcmp0(seen->device, "cdrom") == 0;
    if (which >= 0 && seen->source[which] && *seen->source[which])
        d->path = g_strdup(seen->source[which]);
    switch (stype) {
    case VS_STORAGE_FILE:
    case VS_STORAGE_BLOCK:
    case VS_STORAGE_DIR:
        d->empty = d->path == NULL;
        break;
    case VS_STORAGE_NETWORK:
        d->empty = vsXmlEnumFromString(vsStorageProtocolNames,
                                       G_N_ELEMENTS(vsStorageProtocolNames),
                                       seen->source[SRC_PROTOCOL]) <= VS_PROTO_NONE;
        break;
    default:
        d->empty = stype <= VS_STORAGE_NONE;
        break;
    }
    return 0;
}

#define DISK_SCAN_CHUNK ((gsize) 64 * 1024)

/* The scan of /domain/devices/disk: depth 1 is the root. */
typedef struct {
    GArray *disks;
    guint depth;
    gboolean in_devices;     /* a <devices> child of the root is open */
    gboolean in_disk;        /* a <disk> child of it is open */
    DiskSeen seen;
    GError *error;
    vsXmlProblem problem;
} DiskScan;

/* A copy of attribute @name (no namespace) of a SAX2 start tag, or NULL. */
static char *
saxAttr(int nb_attributes, const xmlChar **attributes, const char *name)
{
    for (int i = 0; i < nb_attributes; i++) {
        const xmlChar **a = attributes + 5 * i;   /* localname, prefix, URI, value, end */

        if (!a[2] && strcmp((const char *) a[0], name) == 0)
            return g_strndup((const char *) a[3], a[4] - a[3]);
    }
    return NULL;
}

static void
scanStart(void *data, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
          int nb_namespaces, const xmlChar **namespaces, int nb_attributes, int nb_defaulted,
          const xmlChar **attributes)
{
    DiskScan *scan = data;
    const char *name = (const char *) localname;
    DiskSeen *seen = &scan->seen;
    guint depth = ++scan->depth;

    if (uri)   /* vsXmlIsElement: elements in no namespace only */
        return;
    if (depth == 2 && strcmp(name, "devices") == 0) {
        scan->in_devices = TRUE;
    } else if (depth == 3 && scan->in_devices && strcmp(name, "disk") == 0) {
        scan->in_disk = TRUE;
        seen->type = saxAttr(nb_attributes, attributes, "type");
        seen->device = saxAttr(nb_attributes, attributes, "device");
        seen->disk.snapshot = saxAttr(nb_attributes, attributes, "snapshot");
    } else if (depth == 4 && scan->in_disk) {
        /* the first <target> with a dev, the first <source> */
        if (!seen->disk.dst && strcmp(name, "target") == 0) {
            seen->disk.dst = saxAttr(nb_attributes, attributes, "dev");
        } else if (!seen->has_source && strcmp(name, "source") == 0) {
            seen->has_source = TRUE;
            for (guint i = 0; i < G_N_ELEMENTS(source_attrs); i++)
                seen->source[i] = saxAttr(nb_attributes, attributes, source_attrs[i]);
        } else if (strcmp(name, "readonly") == 0) {
            seen->readonly = TRUE;
        }
    }
}

static void
scanEnd(void *data, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
    DiskScan *scan = data;
    guint depth = scan->depth--;

    if (depth == 3 && scan->in_disk) {
        vsDomainDisk d = { 0 };

        scan->in_disk = FALSE;
        if (!scan->error && diskFinish(&d, &scan->seen, &scan->error) == 0)
            g_array_append_val(scan->disks, d);
        diskSeenClear(&scan->seen);
    } else if (depth == 2) {
        scan->in_devices = FALSE;
    }
}

static void
scanError(void *data, xmlErrorPtr err)
{
    DiskScan *scan = data;

    vsXmlProblemRecord(&scan->problem, err);
}

int
vsDomainDisksReadFormatted(GArray **out, const char *xml, gsize len, GError **error)
{
    g_autoptr(vsDomainDiskList) disks = g_array_new(FALSE, TRUE, sizeof(vsDomainDisk));
    DiskScan scan = { .disks = disks };
    xmlSAXHandler sax = { 0 };
    xmlParserCtxtPtr ctxt;
    gboolean ok;
    int ret = 0;

    /* A scan, not a document tree: the disks are a few attributes.  The
     * text is this library's (no DTD, no entity references), so replacing
     * entities only decodes the predefined ones in attribute values. */
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = scanStart;
    sax.endElementNs = scanEnd;
    sax.serror = scanError;
    ctxt = xmlCreatePushParserCtxt(&sax, &scan, NULL, 0, "(domain)");
    if (!ctxt)
        g_error("out of memory creating an XML parser");
    xmlCtxtUseOptions(ctxt, VS_XML_SAFE_OPTIONS | XML_PARSE_NOENT);
    /* In pieces: the push parser refuses one chunk past its lookahead
     * limit ("Huge input lookup") where a whole-buffer parse does not. */
    for (gsize at = 0; at < len && ctxt->wellFormed; at += DISK_SCAN_CHUNK) {
        gsize n = MIN(DISK_SCAN_CHUNK, len - at);
        xmlParseChunk(ctxt, xml + at, (int) n, at + n == len);
    }
    ok = ctxt->wellFormed && !scan.problem.message;
    xmlFreeParserCtxt(ctxt);

    if (!ok) {
        ret = vsErr(error, VS_ERROR_INVALID, "XML error: formatted as it would be stored, a "
                    "<domain> element does not parse again (%s)",
                    scan.problem.message ? scan.problem.message : "not well-formed");
    } else if (scan.error) {
        g_propagate_error(error, g_steal_pointer(&scan.error));
        ret = -1;
    } else {
        *out = g_steal_pointer(&disks);
    }
    diskSeenClear(&scan.seen);
    g_clear_error(&scan.error);
    vsXmlProblemClear(&scan.problem);
    return ret;
}

int
vsDomainDisksRead(GArray **out, vsXmlSubtree *domain, GError **error)
{
    static const char *const disk_path[] = { "devices", "disk", NULL };
    g_autoptr(GString) xml = g_string_new(NULL);

    /* Only the root, its <devices> and their <disk>s: the rest of a big
     * definition (megabytes of other devices or metadata) is never
     * formatted nor parsed, and the scan sees the same disks. */
    vsXmlSubtreeAppendPath(xml, domain, disk_path);
    return vsDomainDisksReadFormatted(out, xml->str, xml->len, error);
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
