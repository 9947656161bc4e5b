/* snapshot-disk.c — a snapshot's <disks>: each <disk> parsed and
 * formatted as libvirt 9.0 does, and aligned with the VM's <domain>
 * (virDomainSnapshotAlignDisks with the qemu driver's defaults). */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "util/error.h"
#include "util/xmltext.h"
#include "record/domaindisk.h"
#include "snapshot/snapshot-private.h"

/* Short for the snapshot fields of a record. */
#define S(m) vsSnapshotFields(m)

/* virStorageFileFormat in 9.0 */
static const char *const formatNames[] = {
    "none", "raw", "dir", "bochs", "cloop", "dmg", "iso", "vpc", "vdi",
    "fat", "vhd", "ploop", "cow", "qcow", "qcow2", "qed", "vmdk",
};

/* ------------------------------------------------------------------ */
/* The disk record                                                      */

void
vsSnapshotDiskClear(vsSnapshotDisk *disk)
{
    g_free(disk->name);
    g_free(disk->path);
    g_free(disk->query);
    if (disk->children)
        g_ptr_array_unref(disk->children);
    vsXmlSubtreeUnref(disk->raw_source);
    memset(disk, 0, sizeof(*disk));
}

void
vsSnapshotDiskCopy(vsSnapshotDisk *dst, const vsSnapshotDisk *src)
{
    *dst = *src;
    dst->name = g_strdup(src->name);
    dst->path = g_strdup(src->path);
    dst->query = g_strdup(src->query);
    dst->children = src->children ? g_ptr_array_ref(src->children) : NULL;
    dst->raw_source = vsXmlSubtreeRef(src->raw_source);
}

gsize
vsSnapshotDiskBytes(const vsSnapshotDisk *disk)
{
    gsize n = sizeof(*disk) + vsStringBytes(disk->name) + vsStringBytes(disk->path) +
              vsStringBytes(disk->query) + vsXmlSubtreeBytes(disk->raw_source);

    for (guint k = 0; disk->children && k < disk->children->len; k++)
        n += vsXmlSubtreeBytes(disk->children->pdata[k]);
    return n;
}

/* ------------------------------------------------------------------ */
/* Parsing                                                              */

/* virScaleInteger: libvirt's unit suffixes (k/KiB = 1024, KB = 1000, …) */
static int
scaleInteger(guint64 *value, const char *suffix, GError **error)
{
    guint64 scale = 1;

    if (!suffix || !*suffix) {
        suffix = "";
    } else if (g_ascii_strcasecmp(suffix, "b") == 0 ||
               g_ascii_strcasecmp(suffix, "byte") == 0 ||
               g_ascii_strcasecmp(suffix, "bytes") == 0) {
        scale = 1;
    } else {
        guint64 base;
        int power;

        if (!suffix[1] || g_ascii_strcasecmp(suffix + 1, "iB") == 0)
            base = 1024;
        else if (g_ascii_tolower(suffix[1]) == 'b' && !suffix[2])
            base = 1000;
        else
            return vsErr(error, VS_ERROR_INVALID,
                         "invalid argument: unknown suffix '%s'", suffix);
        switch (g_ascii_tolower(suffix[0])) {
        case 'k': power = 1; break;
        case 'm': power = 2; break;
        case 'g': power = 3; break;
        case 't': power = 4; break;
        case 'p': power = 5; break;
        case 'e': power = 6; break;
        default:
            return vsErr(error, VS_ERROR_INVALID,
                         "invalid argument: unknown suffix '%s'", suffix);
        }
        while (power--)
            scale *= base;
    }
    if (*value && *value > G_MAXUINT64 / scale)
        return vsErr(error, VS_ERROR_INVALID,
                     "numerical overflow: value too large: %" G_GUINT64_FORMAT "%s",
                     *value, suffix);
    *value *= scale;
    return 0;
}

/* virParseScaledValue("./driver/metadata_cache/max_size", NULL, …, 1,
 * ULLONG_MAX, false) */
static int
parseMaxSize(xmlNodePtr disk, guint64 *out, GError **error)
{
    static const char xpath[] = "./driver/metadata_cache/max_size";
    xmlNodePtr node = NULL;
    g_autofree char *str = NULL;
    g_autofree char *unit = NULL;
    char *end = NULL;
    guint64 v;

    *out = 0;
    for (xmlNodePtr d = disk->children; d && !node; d = d->next) {
        if (vsXmlIsElement(d, "driver"))
            node = vsXmlFirstGrandChild(d, "metadata_cache", "max_size");
    }
    if (!(str = vsXmlNodeString(node)))
        return 0;
    errno = 0;
    v = g_ascii_strtoull(str, &end, 10);
    if (errno || end == str || *end || strchr(str, '-'))
        return vsErr(error, VS_ERROR_INVALID,
                     "XML error: Invalid value '%s' for element or attribute '%s'",
                     str, xpath);
    unit = vsXmlPropString(node, "unit");
    if (unit && !*unit)
        g_clear_pointer(&unit, g_free);
    if (scaleInteger(&v, unit, error) < 0)
        return -1;
    *out = v;
    return 0;
}

static int
captureChild(GPtrArray *children, xmlNodePtr node, GError **error)
{
    vsXmlSubtree *tree = NULL;

    if (vsXmlSubtreeFromNode(&tree, node, error) < 0)
        return -1;
    g_ptr_array_add(children, tree);
    return 0;
}

/* <host> with libvirt's attribute order */
static int
captureHost(GPtrArray *children, xmlNodePtr host, GError **error)
{
    static const char *const attrs[] = { "name", "port", "transport", "socket" };
    xmlNodePtr copy = xmlNewNode(NULL, BAD_CAST "host");
    int ret;

    for (gsize i = 0; i < G_N_ELEMENTS(attrs); i++) {
        g_autofree char *v = vsXmlPropString(host, attrs[i]);
        if (v && *v)
            xmlNewProp(copy, BAD_CAST attrs[i], BAD_CAST v);
    }
    ret = captureChild(children, copy, error);
    xmlFreeNode(copy);
    return ret;
}

/* The <source> of a snapshot disk, keeping what libvirt's storage source
 * parser keeps and nothing else (startupPolicy, index, unknown children
 * are dropped on output by libvirt too). */
static int
diskSourceParse(vsSnapshotDisk *disk, xmlNodePtr src, GError **error)
{
    disk->children = g_ptr_array_new_with_free_func((GDestroyNotify) vsXmlSubtreeUnref);

    switch (disk->type) {
    case VS_STORAGE_FILE:
        disk->path = vsXmlPropString(src, "file");
        break;
    case VS_STORAGE_BLOCK:
        disk->path = vsXmlPropString(src, "dev");
        break;
    case VS_STORAGE_NETWORK: {
        g_autofree char *proto = vsXmlPropString(src, "protocol");
        g_autofree char *tls = vsXmlPropString(src, "tls");

        if (!proto)
            return vsErr(error, VS_ERROR_INVALID,
                         "XML error: Missing required attribute 'protocol' in element 'source'");
        disk->protocol = vsXmlEnumFromString(vsStorageProtocolNames, G_N_ELEMENTS(vsStorageProtocolNames), proto);
        if (disk->protocol <= VS_PROTO_NONE)
            return vsXmlErrInvalidAttr(error, "protocol", src, proto);
        disk->path = vsXmlPropString(src, "name");
        if (!disk->path && disk->protocol != VS_PROTO_NBD)
            return vsErr(error, VS_ERROR_INVALID, "XML error: missing name for disk source");
        if (tls) {
            if (strcmp(tls, "yes") == 0)
                disk->tls = 1;
            else if (strcmp(tls, "no") == 0)
                disk->tls = 2;
            else
                return vsXmlErrInvalidAttr(error, "tls", src, tls);
        }
        if (disk->protocol == VS_PROTO_HTTP || disk->protocol == VS_PROTO_HTTPS)
            disk->query = vsXmlPropString(src, "query");
        break;
    }
    default:
        /* nvme, vhostuser: not interpreted, printed as given */
        return vsXmlSubtreeFromNode(&disk->raw_source, src, error);
    }

    for (xmlNodePtr c = src->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || c->ns)
            continue;
        if (disk->type == VS_STORAGE_NETWORK && vsXmlIsElement(c, "host")) {
            if (captureHost(disk->children, c, error) < 0)
                return -1;
        } else if (vsXmlIsElement(c, "seclabel") ||
                   (disk->type == VS_STORAGE_NETWORK &&
                    (vsXmlIsElement(c, "snapshot") || vsXmlIsElement(c, "config") ||
                     vsXmlIsElement(c, "auth") || vsXmlIsElement(c, "initiator") ||
                     vsXmlIsElement(c, "reconnect")))) {
            if (captureChild(disk->children, c, error) < 0)
                return -1;
        }
    }
    return 0;
}

/* virDomainSnapshotDiskDefParseXML */
int
vsSnapshotDiskParse(vsSnapshotDisk *disk, xmlNodePtr node, GError **error)
{
    g_autofree char *driver = NULL;
    xmlNodePtr src;
    int v;

    if (!(disk->name = vsXmlPropString(node, "name")))
        return vsErr(error, VS_ERROR_INVALID,
                     "internal error: missing name from disk snapshot element");
    if (vsXmlPropEnum(node, "snapshot", vsSnapshotLocationNames, G_N_ELEMENTS(vsSnapshotLocationNames),
                 VS_SNAPSHOT_LOCATION_DEFAULT, &v, error) < 0)
        return -1;
    disk->snapshot = v;
    if (vsXmlPropEnum(node, "type", vsStorageTypeNames, G_N_ELEMENTS(vsStorageTypeNames),
                 VS_STORAGE_FILE, &disk->type, error) < 0)
        return -1;
    if (disk->type == VS_STORAGE_VOLUME || disk->type == VS_STORAGE_DIR)
        return vsErr(error, VS_ERROR_INVALID,
                     "XML error: unsupported disk snapshot type '%s'",
                     vsStorageTypeNames[disk->type]);

    if ((src = vsXmlFirstChild(node, "source")) && diskSourceParse(disk, src, error) < 0)
        return -1;

    for (xmlNodePtr d = node->children; d && !driver; d = d->next) {
        if (vsXmlIsElement(d, "driver"))
            driver = vsXmlPropString(d, "type");
    }
    if (driver && *driver) {
        disk->format = vsXmlEnumFromString(formatNames, G_N_ELEMENTS(formatNames), driver);
        if (disk->format <= 0)
            return vsErr(error, VS_ERROR_INVALID,
                         "unsupported configuration: unknown disk snapshot driver '%s'",
                         driver);
    }

    if (parseMaxSize(node, &disk->max_size, error) < 0)
        return -1;

    if (disk->path && (disk->type == VS_STORAGE_FILE || disk->type == VS_STORAGE_BLOCK) &&
        !g_path_is_absolute(disk->path))
        return vsErr(error, VS_ERROR_INVALID,
                     "XML error: disk snapshot image path '%s' must be absolute",
                     disk->path);

    if (disk->snapshot == VS_SNAPSHOT_LOCATION_DEFAULT && (disk->path || disk->format))
        disk->snapshot = VS_SNAPSHOT_LOCATION_EXTERNAL;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Formatting                                                           */

static void
formatSource(GString *buf, const vsSnapshotDisk *disk, guint level)
{
    g_autoptr(GString) attrs = g_string_new(NULL);

    if (disk->raw_source) {
        vsXmlSubtreeAppend(buf, disk->raw_source, level, TRUE);
        return;
    }
    switch (disk->type) {
    case VS_STORAGE_FILE:
    case VS_STORAGE_BLOCK:
        if (disk->path) {
            g_string_append(attrs, disk->type == VS_STORAGE_FILE ? " file='" : " dev='");
            vsXmlEscapeAttr(attrs, disk->path);
            g_string_append_c(attrs, '\'');
        }
        break;
    case VS_STORAGE_NETWORK:
        if (disk->protocol <= VS_PROTO_NONE)
            break;   /* a network disk given without any <source> */
        g_string_append_printf(attrs, " protocol='%s'", vsStorageProtocolNames[disk->protocol]);
        if (disk->path) {
            g_string_append(attrs, " name='");
            vsXmlEscapeAttr(attrs, disk->path);
            g_string_append_c(attrs, '\'');
        }
        if (disk->query) {
            g_string_append(attrs, " query='");
            vsXmlEscapeAttr(attrs, disk->query);
            g_string_append_c(attrs, '\'');
        }
        if (disk->tls)
            g_string_append_printf(attrs, " tls='%s'", disk->tls == 1 ? "yes" : "no");
        break;
    default:
        break;
    }

    /* virXMLFormatElement: nothing at all for an empty element */
    if (!attrs->len && (!disk->children || !disk->children->len))
        return;
    vsSnapshotIndent(buf, level);
    g_string_append(buf, "<source");
    g_string_append_len(buf, attrs->str, attrs->len);
    if (!disk->children || !disk->children->len) {
        g_string_append(buf, "/>\n");
        return;
    }
    g_string_append(buf, ">\n");
    for (guint i = 0; i < disk->children->len; i++)
        vsXmlSubtreeAppend(buf, disk->children->pdata[i], level + 1, TRUE);
    vsSnapshotIndent(buf, level);
    g_string_append(buf, "</source>\n");
}

void
vsSnapshotDiskFormat(GString *buf, const vsSnapshotDisk *disk, guint level)
{
    gboolean target = disk->path || disk->format;

    if (!disk->name)
        return;
    vsSnapshotIndent(buf, level);
    g_string_append(buf, "<disk name='");
    vsXmlEscapeAttr(buf, disk->name);
    g_string_append_c(buf, '\'');
    if (disk->snapshot > VS_SNAPSHOT_LOCATION_DEFAULT)
        g_string_append_printf(buf, " snapshot='%s'", vsSnapshotLocationNames[disk->snapshot]);
    if (!target) {
        g_string_append(buf, "/>\n");
        return;
    }
    g_string_append_printf(buf, " type='%s'>\n", vsStorageTypeNames[disk->type]);

    if (disk->format || disk->max_size) {
        vsSnapshotIndent(buf, level + 1);
        g_string_append(buf, "<driver");
        if (disk->format)
            g_string_append_printf(buf, " type='%s'", formatNames[disk->format]);
        if (disk->max_size) {
            g_string_append(buf, ">\n");
            vsSnapshotIndent(buf, level + 2);
            g_string_append(buf, "<metadata_cache>\n");
            vsSnapshotIndent(buf, level + 3);
            g_string_append_printf(buf, "<max_size unit='bytes'>%" G_GUINT64_FORMAT
                                   "</max_size>\n", disk->max_size);
            vsSnapshotIndent(buf, level + 2);
            g_string_append(buf, "</metadata_cache>\n");
            vsSnapshotIndent(buf, level + 1);
            g_string_append(buf, "</driver>\n");
        } else {
            g_string_append(buf, "/>\n");
        }
    }
    formatSource(buf, disk, level + 1);
    vsSnapshotIndent(buf, level);
    g_string_append(buf, "</disk>\n");
}

/* ------------------------------------------------------------------ */
/* Disk alignment (virDomainSnapshotAlignDisks + qemu's defaults)      */

/* The domain disk's own snapshot= as a location, with libvirt's disk
 * post-parse default: read-only disks (<readonly/>, and every cdrom) 'no'. */
static vsSnapshotLocation
domainDiskLocation(const vsDomainDisk *dd)
{
    int v = dd->snapshot ? vsXmlEnumFromString(vsSnapshotLocationNames,
                                               VS_SNAPSHOT_LOCATION_LAST, dd->snapshot) : 0;

    if (v > 0)
        return v;
    return dd->readonly ? VS_SNAPSHOT_LOCATION_NO : VS_SNAPSHOT_LOCATION_DEFAULT;
}

/* virDomainSnapshotDefAssignExternalNames */
static int
assignExternalNames(vsSnapshot *snap, GArray *domdisks, GError **error)
{
    for (guint i = 0; i < S(snap)->ndisks; i++) {
        vsSnapshotDisk *disk = &S(snap)->disks[i];
        const char *origpath;
        g_autofree char *base = NULL;
        char *dot;
        struct stat sb;

        if (disk->snapshot != VS_SNAPSHOT_LOCATION_EXTERNAL || disk->path)
            continue;
        if (disk->type != VS_STORAGE_FILE)
            return vsErr(error, VS_ERROR_INVALID,
                         "unsupported configuration: cannot generate external snapshot "
                         "name for disk '%s' on a '%s' device",
                         disk->name, vsStorageTypeNames[disk->type]);
        origpath = g_array_index(domdisks, vsDomainDisk, i).path;
        if (!origpath)
            return vsErr(error, VS_ERROR_INVALID,
                         "unsupported configuration: cannot generate external snapshot "
                         "name for disk '%s' without source", disk->name);
        if (stat(origpath, &sb) < 0 || !S_ISREG(sb.st_mode))
            return vsErr(error, VS_ERROR_INVALID,
                         "unsupported configuration: source for disk '%s' is not a "
                         "regular file; refusing to generate external snapshot name",
                         disk->name);

        base = g_strdup(origpath);
        if ((dot = strrchr(base, '.')) && !strchr(dot, '/'))
            *dot = '\0';
        disk->path = g_strdup_printf("%s.%s", base, snap->name);

        for (guint j = 0; j < i; j++) {
            if (g_strcmp0(disk->path, S(snap)->disks[j].path) == 0)
                return vsErr(error, VS_ERROR_INVALID,
                             "unsupported configuration: cannot generate external "
                             "snapshot name for disk '%s': collision with disk '%s'",
                             disk->name, S(snap)->disks[j].name);
        }
    }
    return 0;
}

/* The requested disks matched to the domain's (map: domain disk ->
 * request), named by their target, their locations defaulted or checked
 * (uniform internal snapshots with @require_match). */
static int
alignRequested(vsSnapshotRecord *s, GArray *domdisks, int *map, vsSnapshotLocation def,
               gboolean require_match, GError **error)
{
    for (guint i = 0; i < s->ndisks; i++) {
        vsSnapshotDisk *sd = &s->disks[i];
        int idx = vsDomainDiskIndex(domdisks, sd->name);
        vsDomainDisk *dd;

        if (idx < 0)
            return vsErr(error, VS_ERROR_INVALID,
                         "unsupported configuration: no disk named '%s'", sd->name);
        if (map[idx] >= 0)
            return vsErr(error, VS_ERROR_INVALID,
                         "unsupported configuration: disk '%s' specified twice", sd->name);
        map[idx] = (int) i;
        dd = &g_array_index(domdisks, vsDomainDisk, idx);

        if (sd->snapshot == VS_SNAPSHOT_LOCATION_DEFAULT) {
            if (domainDiskLocation(dd) != VS_SNAPSHOT_LOCATION_DEFAULT &&
                (!require_match || domainDiskLocation(dd) == VS_SNAPSHOT_LOCATION_NO))
                sd->snapshot = domainDiskLocation(dd);
            else
                sd->snapshot = def;
        } else if (require_match && sd->snapshot != def &&
                   !(sd->snapshot == VS_SNAPSHOT_LOCATION_NO &&
                     domainDiskLocation(dd) == VS_SNAPSHOT_LOCATION_NO)) {
            return vsErr(error, VS_ERROR_INVALID,
                         "unsupported configuration: disk '%s' must use snapshot mode '%s'",
                         sd->name, vsSnapshotLocationNames[def]);
        }
        if (sd->path && sd->snapshot != VS_SNAPSHOT_LOCATION_EXTERNAL)
            return vsErr(error, VS_ERROR_INVALID,
                         "unsupported configuration: file '%s' for disk '%s' requires "
                         "use of external snapshot mode", sd->path, sd->name);
        if (strcmp(sd->name, dd->dst) != 0) {
            g_free(sd->name);
            sd->name = g_strdup(dd->dst);
        }
    }
    return 0;
}

/* One entry per domain disk, in domain order: the request for it, or a
 * default one. */
static void
alignRebuild(vsSnapshotRecord *s, GArray *domdisks, const int *map, vsSnapshotLocation def)
{
    guint n = domdisks->len;
    vsSnapshotDisk *disks = g_new0(vsSnapshotDisk, n);

    for (guint i = 0; i < n; i++) {
        vsDomainDisk *dd = &g_array_index(domdisks, vsDomainDisk, i);
        vsSnapshotDisk *sd = &disks[i];

        if (map[i] >= 0) {
            *sd = s->disks[map[i]];
            memset(&s->disks[map[i]], 0, sizeof(vsSnapshotDisk));
            continue;
        }
        sd->name = g_strdup(dd->dst);
        sd->type = VS_STORAGE_FILE;
        /* don't snapshot empty drives (no media) */
        sd->snapshot = dd->empty ? VS_SNAPSHOT_LOCATION_NO : domainDiskLocation(dd);
        if (sd->snapshot == VS_SNAPSHOT_LOCATION_DEFAULT)
            sd->snapshot = def;
    }
    for (guint i = 0; i < s->ndisks; i++)
        vsSnapshotDiskClear(&s->disks[i]);
    g_free(s->disks);
    s->disks = disks;
    s->ndisks = n;
}

int
vsSnapshotAlignDisks(vsSnapshot *snap, vsXmlSubtree *fallback_domain,
                     unsigned int flags, GError **error)
{
    vsSnapshotRecord *s = S(snap);
    vsXmlSubtree *domain = snap->domain ? snap->domain : fallback_domain;
    g_autoptr(vsDomainDiskList) domdisks = NULL;
    g_autofree int *map = NULL;   /* domain disk -> requested disk, or -1 */
    vsSnapshotLocation def;

    if (!domain)
        return vsErr(error, VS_ERROR_INVALID, "internal error: missing domain in snapshot");
    /* qemu's default location (qemuSnapshotCreateXML / redefine) */
    if (flags & VS_SNAPSHOT_ALIGN_REDEFINE)
        def = (s->state == VS_SNAPSHOT_STATE_DISK_SNAPSHOT || vsSnapshotIsExternal(snap))
              ? VS_SNAPSHOT_LOCATION_EXTERNAL : VS_SNAPSHOT_LOCATION_INTERNAL;
    else
        def = (s->memory == VS_SNAPSHOT_LOCATION_EXTERNAL ||
               s->state == VS_SNAPSHOT_STATE_DISK_SNAPSHOT ||
               (flags & VS_SNAPSHOT_ALIGN_DISK_ONLY))
              ? VS_SNAPSHOT_LOCATION_EXTERNAL : VS_SNAPSHOT_LOCATION_INTERNAL;

    if (vsDomainDisksRead(&domdisks, domain, error) < 0)
        return -1;
    if (s->ndisks > domdisks->len)
        return vsErr(error, VS_ERROR_INVALID,
                     "unsupported configuration: too many disk snapshot requests for domain");
    if (domdisks->len == 0)
        return 0;
    map = g_new(int, domdisks->len);
    for (guint i = 0; i < domdisks->len; i++)
        map[i] = -1;
    /* uniform internal snapshots */
    if (alignRequested(s, domdisks, map, def, def == VS_SNAPSHOT_LOCATION_INTERNAL, error) < 0)
        return -1;
    alignRebuild(s, domdisks, map, def);
    return assignExternalNames(snap, domdisks, error);
}
