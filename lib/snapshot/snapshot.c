/* snapshot.c — one <domainsnapshot> record: model, parse, format, validate.
 *
 * Mirrors libvirt 9.0's snapshot_conf.c behaviour (SEMANTICS.md §1): the
 * same parse rules and error texts, the same output bytes.  <domain>,
 * <inactiveDomain> and <cookie> are not interpreted; they are kept as
 * opaque canonical subtrees (xmlsubtree.c).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include "util/error.h"
#include "util/xmltext.h"
#include "snapshot/snapshot.h"

/* ------------------------------------------------------------------ */
/* Enumerations (libvirt's strings; index = value)                      */

static const char *const stateNames[VS_SNAPSHOT_STATE_LAST] = {
    "nostate", "running", "blocked", "paused", "shutdown", "shutoff",
    "crashed", "pmsuspended", "disk-snapshot",
};

static const char *const locationNames[VS_SNAPSHOT_LOCATION_LAST] = {
    "default", "no", "internal", "external", "manual",
};

/* virStorageType in 9.0 */
enum {
    STORAGE_NONE, STORAGE_FILE, STORAGE_BLOCK, STORAGE_DIR, STORAGE_NETWORK,
    STORAGE_VOLUME, STORAGE_NVME, STORAGE_VHOSTUSER, STORAGE_LAST
};
static const char *const storageTypeNames[STORAGE_LAST] = {
    "none", "file", "block", "dir", "network", "volume", "nvme", "vhostuser",
};

/* virStorageFileFormat in 9.0 */
static const char *const formatNames[] = {
    "none", "raw", "dir", "bochs", "cloop", "dmg", "iso", "vpc", "vdi",
    "fat", "vhd", "ploop", "cow", "qcow", "qcow2", "qed", "vmdk",
};

/* virStorageNetProtocol in 9.0 */
enum { PROTO_NONE, PROTO_NBD, PROTO_HTTP = 6, PROTO_HTTPS = 7 };
static const char *const protocolNames[] = {
    "none", "nbd", "rbd", "sheepdog", "gluster", "iscsi", "http", "https",
    "ftp", "ftps", "tftp", "ssh", "vxhs", "nfs",
};

/* ------------------------------------------------------------------ */
/* The record                                                           */

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

struct _vsSnapshot {
    gint refs;
    char *name;
    char *description;
    char *parent_name;
    gint64 creation_time;
    vsSnapshotState state;
    vsSnapshotLocation memory;
    char *memory_file;
    vsSnapshotDisk *disks;
    guint ndisks;
    vsXmlSubtree *domain;
    vsXmlSubtree *inactive_domain;
    vsXmlSubtree *cookie;
    gboolean cookie_empty;     /* <cookie/> with nothing libvirt keeps */
};

static void
diskClear(vsSnapshotDisk *disk)
{
    g_free(disk->name);
    g_free(disk->path);
    g_free(disk->query);
    if (disk->children)
        g_ptr_array_unref(disk->children);
    vsXmlSubtreeUnref(disk->raw_source);
    memset(disk, 0, sizeof(*disk));
}

static void
diskCopy(vsSnapshotDisk *dst, const vsSnapshotDisk *src)
{
    *dst = *src;
    dst->name = g_strdup(src->name);
    dst->path = g_strdup(src->path);
    dst->query = g_strdup(src->query);
    dst->children = src->children ? g_ptr_array_ref(src->children) : NULL;
    dst->raw_source = vsXmlSubtreeRef(src->raw_source);
}

static vsSnapshot *
snapshotNew(void)
{
    vsSnapshot *snap = g_new0(vsSnapshot, 1);
    snap->refs = 1;
    return snap;
}

vsSnapshot *
vsSnapshotRef(vsSnapshot *snap)
{
    if (snap)
        g_atomic_int_inc(&snap->refs);
    return snap;
}

void
vsSnapshotUnref(vsSnapshot *snap)
{
    if (!snap || !g_atomic_int_dec_and_test(&snap->refs))
        return;
    g_free(snap->name);
    g_free(snap->description);
    g_free(snap->parent_name);
    g_free(snap->memory_file);
    for (guint i = 0; i < snap->ndisks; i++)
        diskClear(&snap->disks[i]);
    g_free(snap->disks);
    vsXmlSubtreeUnref(snap->domain);
    vsXmlSubtreeUnref(snap->inactive_domain);
    vsXmlSubtreeUnref(snap->cookie);
    g_free(snap);
}

static gsize
subtreeBytes(const vsXmlSubtree *tree)
{
    gsize len = 0;
    if (tree)
        vsXmlSubtreeGetCanonical(tree, &len);
    return tree ? len + 64 : 0;   /* + the object and its allocation */
}

static gsize
stringBytes(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

gsize
vsSnapshotOwnBytes(const vsSnapshot *snap)
{
    gsize n = sizeof(*snap) + stringBytes(snap->name) + stringBytes(snap->description) +
              stringBytes(snap->parent_name) + stringBytes(snap->memory_file) +
              subtreeBytes(snap->inactive_domain) + subtreeBytes(snap->cookie);

    for (guint i = 0; i < snap->ndisks; i++) {
        const vsSnapshotDisk *disk = &snap->disks[i];
        n += sizeof(*disk) + stringBytes(disk->name) + stringBytes(disk->path) +
             stringBytes(disk->query) + subtreeBytes(disk->raw_source);
        for (guint k = 0; disk->children && k < disk->children->len; k++)
            n += subtreeBytes(disk->children->pdata[k]);
    }
    return n;
}

vsSnapshot *
vsSnapshotCopy(const vsSnapshot *snap)
{
    vsSnapshot *copy = snapshotNew();

    copy->name = g_strdup(snap->name);
    copy->description = g_strdup(snap->description);
    copy->parent_name = g_strdup(snap->parent_name);
    copy->creation_time = snap->creation_time;
    copy->state = snap->state;
    copy->memory = snap->memory;
    copy->memory_file = g_strdup(snap->memory_file);
    copy->ndisks = snap->ndisks;
    copy->disks = g_new0(vsSnapshotDisk, snap->ndisks);
    for (guint i = 0; i < snap->ndisks; i++)
        diskCopy(&copy->disks[i], &snap->disks[i]);
    copy->domain = vsXmlSubtreeRef(snap->domain);
    copy->inactive_domain = vsXmlSubtreeRef(snap->inactive_domain);
    copy->cookie = vsXmlSubtreeRef(snap->cookie);
    copy->cookie_empty = snap->cookie_empty;
    return copy;
}

/* ------------------------------------------------------------------ */
/* Getters and setters                                                  */

const char *vsSnapshotGetName(const vsSnapshot *snap) { return snap->name; }
const char *vsSnapshotGetDescription(const vsSnapshot *snap) { return snap->description; }
const char *vsSnapshotGetParentName(const vsSnapshot *snap) { return snap->parent_name; }
gint64 vsSnapshotGetCreationTime(const vsSnapshot *snap) { return snap->creation_time; }
vsSnapshotState vsSnapshotGetState(const vsSnapshot *snap) { return snap->state; }
vsSnapshotLocation vsSnapshotGetMemoryLocation(const vsSnapshot *snap) { return snap->memory; }
gboolean vsSnapshotHasDomain(const vsSnapshot *snap) { return snap->domain != NULL; }
vsXmlSubtree *vsSnapshotGetDomain(const vsSnapshot *snap) { return snap->domain; }
vsXmlSubtree *vsSnapshotGetInactiveDomain(const vsSnapshot *snap) { return snap->inactive_domain; }
vsXmlSubtree *vsSnapshotGetCookie(const vsSnapshot *snap) { return snap->cookie; }
guint vsSnapshotGetDiskCount(const vsSnapshot *snap) { return snap->ndisks; }

const char *
vsSnapshotGetDiskName(const vsSnapshot *snap, guint i)
{
    g_return_val_if_fail(i < snap->ndisks, NULL);
    return snap->disks[i].name;
}

vsSnapshotLocation
vsSnapshotGetDiskLocation(const vsSnapshot *snap, guint i)
{
    g_return_val_if_fail(i < snap->ndisks, VS_SNAPSHOT_LOCATION_DEFAULT);
    return snap->disks[i].snapshot;
}

const char *
vsSnapshotGetDiskPath(const vsSnapshot *snap, guint i)
{
    g_return_val_if_fail(i < snap->ndisks, NULL);
    return snap->disks[i].path;
}

void
vsSnapshotSetParentName(vsSnapshot *snap, const char *parent_name)
{
    char *old = snap->parent_name;
    snap->parent_name = g_strdup(parent_name);
    g_free(old);
}

void
vsSnapshotSetDomain(vsSnapshot *snap, vsXmlSubtree *domain)
{
    vsXmlSubtree *old = snap->domain;
    snap->domain = vsXmlSubtreeRef(domain);
    vsXmlSubtreeUnref(old);
}

void
vsSnapshotSetState(vsSnapshot *snap, vsSnapshotState state)
{
    g_return_if_fail(state < VS_SNAPSHOT_STATE_LAST);
    snap->state = state;
}

void
vsSnapshotSetMemoryLocation(vsSnapshot *snap, vsSnapshotLocation location)
{
    g_return_if_fail(location < VS_SNAPSHOT_LOCATION_LAST);
    snap->memory = location;
}

gboolean
vsSnapshotIsExternal(const vsSnapshot *snap)
{
    if (snap->memory == VS_SNAPSHOT_LOCATION_EXTERNAL)
        return TRUE;
    for (guint i = 0; i < snap->ndisks; i++) {
        if (snap->disks[i].snapshot == VS_SNAPSHOT_LOCATION_EXTERNAL)
            return TRUE;
    }
    return FALSE;
}

const char *
vsSnapshotGetLocationSummary(const vsSnapshot *snap)
{
    gboolean external;

    /* virsh: with a <memory> element, external memory or any external
     * disk; old records without one count disk-only snapshots */
    if (snap->memory != VS_SNAPSHOT_LOCATION_DEFAULT)
        external = vsSnapshotIsExternal(snap);
    else
        external = snap->state == VS_SNAPSHOT_STATE_DISK_SNAPSHOT;
    return external ? "external" : "internal";
}

const char *
vsSnapshotStateToString(vsSnapshotState state)
{
    if ((guint) state >= VS_SNAPSHOT_STATE_LAST)
        return NULL;
    return stateNames[state];
}

int
vsSnapshotStateFromString(const char *str)
{
    return vsXmlEnumFromString(stateNames, G_N_ELEMENTS(stateNames), str);
}

/* @name as an error message may show it: on one line, control characters
 * (TAB aside) as '?'.  NULL shows as "". */
static char *
shownName(const char *name)
{
    char *shown = g_strdup(name ? name : "");
    for (char *q = shown; *q; q++) {
        if (((unsigned char) *q < 0x20 && *q != '\t') || *q == 0x7f)
            *q = '?';
    }
    return shown;
}

int
vsSnapshotNameCheck(const char *name, GError **error)
{
    g_autofree char *shown = shownName(name);
    gsize len;

    if (!name || !*name)
        return vsErr(error, VS_ERROR_INVALID,
                     "invalid snapshot name '': name can't be empty");
    if (strchr(name, '/'))
        return vsErr(error, VS_ERROR_INVALID,
                     "invalid snapshot name '%s': name can't contain '/'", shown);
    if (name[0] == '.')
        return vsErr(error, VS_ERROR_INVALID,
                     "invalid snapshot name '%s': name can't start with '.'", shown);
    len = strlen(name);
    for (const char *p = name; *p; p++) {
        unsigned char c = (unsigned char) *p;
        /* TAB is fine: libvirt 9.0 stores such names (OBSERVED §4.8) */
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return vsErr(error, VS_ERROR_INVALID,
                         "invalid snapshot name '%s': name can't contain control characters",
                         shown);
    }
    if (!g_utf8_validate(name, len, NULL))
        return vsErr(error, VS_ERROR_INVALID,
                     "invalid snapshot name: name is not valid UTF-8");
    if (len > VS_SNAPSHOT_NAME_MAX)
        return vsErr(error, VS_ERROR_INVALID,
                     "invalid snapshot name '%.*s...': name is %zu bytes, longer than %d",
                     20, name, len, VS_SNAPSHOT_NAME_MAX);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Scaled values                                                        */

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

/* ------------------------------------------------------------------ */
/* Parsing                                                              */

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
    case STORAGE_FILE:
        disk->path = vsXmlPropString(src, "file");
        break;
    case STORAGE_BLOCK:
        disk->path = vsXmlPropString(src, "dev");
        break;
    case STORAGE_NETWORK: {
        g_autofree char *proto = vsXmlPropString(src, "protocol");
        g_autofree char *tls = vsXmlPropString(src, "tls");

        if (!proto)
            return vsErr(error, VS_ERROR_INVALID,
                         "XML error: Missing required attribute 'protocol' in element 'source'");
        disk->protocol = vsXmlEnumFromString(protocolNames, G_N_ELEMENTS(protocolNames), proto);
        if (disk->protocol <= PROTO_NONE)
            return vsXmlErrInvalidAttr(error, "protocol", src, proto);
        disk->path = vsXmlPropString(src, "name");
        if (!disk->path && disk->protocol != PROTO_NBD)
            return vsErr(error, VS_ERROR_INVALID, "XML error: missing name for disk source");
        if (tls) {
            if (strcmp(tls, "yes") == 0)
                disk->tls = 1;
            else if (strcmp(tls, "no") == 0)
                disk->tls = 2;
            else
                return vsXmlErrInvalidAttr(error, "tls", src, tls);
        }
        if (disk->protocol == PROTO_HTTP || disk->protocol == PROTO_HTTPS)
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
        if (disk->type == STORAGE_NETWORK && vsXmlIsElement(c, "host")) {
            if (captureHost(disk->children, c, error) < 0)
                return -1;
        } else if (vsXmlIsElement(c, "seclabel") ||
                   (disk->type == STORAGE_NETWORK &&
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
static int
diskParse(vsSnapshotDisk *disk, xmlNodePtr node, GError **error)
{
    g_autofree char *driver = NULL;
    xmlNodePtr src;
    int v;

    if (!(disk->name = vsXmlPropString(node, "name")))
        return vsErr(error, VS_ERROR_INVALID,
                     "internal error: missing name from disk snapshot element");
    if (vsXmlPropEnum(node, "snapshot", locationNames, G_N_ELEMENTS(locationNames),
                 VS_SNAPSHOT_LOCATION_DEFAULT, &v, error) < 0)
        return -1;
    disk->snapshot = v;
    if (vsXmlPropEnum(node, "type", storageTypeNames, G_N_ELEMENTS(storageTypeNames),
                 STORAGE_FILE, &disk->type, error) < 0)
        return -1;
    if (disk->type == STORAGE_VOLUME || disk->type == STORAGE_DIR)
        return vsErr(error, VS_ERROR_INVALID,
                     "XML error: unsupported disk snapshot type '%s'",
                     storageTypeNames[disk->type]);

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

    if (disk->path && (disk->type == STORAGE_FILE || disk->type == STORAGE_BLOCK) &&
        !g_path_is_absolute(disk->path))
        return vsErr(error, VS_ERROR_INVALID,
                     "XML error: disk snapshot image path '%s' must be absolute",
                     disk->path);

    if (disk->snapshot == VS_SNAPSHOT_LOCATION_DEFAULT && (disk->path || disk->format))
        disk->snapshot = VS_SNAPSHOT_LOCATION_EXTERNAL;
    return 0;
}

/* The qemu driver's save cookie keeps the first <cpu> and whether
 * <slirpHelper/> is there, and prints them in that order; anything else in
 * <cookie> is dropped (checked against libvirt 9.0).  *out stays NULL for
 * a cookie with neither, which libvirt still prints as an empty pair. */
static int
cookieParse(vsXmlSubtree **out, xmlNodePtr cookie, GError **error)
{
    xmlNodePtr cpu = vsXmlFirstChild(cookie, "cpu");
    gboolean slirp = vsXmlFirstChild(cookie, "slirpHelper") != NULL;
    xmlNodePtr copy;
    int ret;

    *out = NULL;
    if (!cpu && !slirp)
        return 0;
    copy = xmlNewNode(NULL, BAD_CAST "cookie");
    if (cpu)
        xmlAddChild(copy, xmlCopyNode(cpu, 1));
    if (slirp)
        xmlNewChild(copy, NULL, BAD_CAST "slirpHelper", NULL);
    ret = vsXmlSubtreeFromNode(out, copy, error);
    xmlFreeNode(copy);
    return ret;
}

static int validateNode(xmlNodePtr root, GError **error);

/* virDomainSnapshotDefParse */
int
vsSnapshotParseNode(vsSnapshot **out, xmlNodePtr root, unsigned int flags,
                    gint64 now, gboolean *is_current, GError **error)
{
    g_autoptr(vsSnapshot) snap = snapshotNew();
    gboolean redefine = !!(flags & VS_SNAPSHOT_PARSE_REDEFINE);
    gboolean offline = !!(flags & VS_SNAPSHOT_PARSE_OFFLINE);
    xmlNodePtr memory;
    guint ndisks = 0;

    *out = NULL;
    if (is_current)
        *is_current = FALSE;
    if (!root || root->type != XML_ELEMENT_NODE ||
        strcmp((const char *) root->name, "domainsnapshot") != 0)
        return vsErr(error, VS_ERROR_INVALID,
                     "XML error: expecting root element of 'domainsnapshot', not '%s'",
                     root && root->name ? (const char *) root->name : "");

    if ((flags & VS_SNAPSHOT_PARSE_VALIDATE) && validateNode(root, error) < 0)
        return -1;

    snap->name = vsXmlNodeString(vsXmlFirstChild(root, "name"));
    if (!snap->name && redefine)
        return vsErr(error, VS_ERROR_INVALID,
                     "XML error: a redefined snapshot must have a name");

    snap->description = vsXmlNodeString(vsXmlFirstChild(root, "description"));

    if (redefine) {
        g_autofree char *ctime = vsXmlNodeString(vsXmlFirstChild(root, "creationTime"));
        g_autofree char *state = NULL;
        g_autofree char *domtype = NULL;
        xmlNodePtr domnode;
        xmlNodePtr inactive;
        int st;

        if (!vsXmlParseLongLong(ctime, &snap->creation_time))
            return vsErr(error, VS_ERROR_INVALID,
                         "internal error: missing creationTime from existing snapshot");
        /* libvirt accepts 0 but writes no <creationTime> for it, then
         * drops the snapshot when it reads its own file back. */
        if (snap->creation_time == 0) {
            g_autofree char *shown = shownName(snap->name);
            return vsErr(error, VS_ERROR_INVALID,
                         "XML error: snapshot '%s': creationTime 0 is not supported "
                         "(libvirt would not store it)", shown);
        }

        snap->parent_name = vsXmlNodeString(vsXmlFirstGrandChild(root, "parent", "name"));

        if (!(state = vsXmlNodeString(vsXmlFirstChild(root, "state"))))
            return vsErr(error, VS_ERROR_INVALID,
                         "XML error: missing state from existing snapshot");
        st = vsSnapshotStateFromString(state);
        if (st <= 0)
            return vsErr(error, VS_ERROR_INVALID,
                         "unsupported configuration: Invalid state '%s' in domain snapshot XML",
                         state);
        snap->state = st;
        offline = snap->state == VS_SNAPSHOT_STATE_SHUTOFF ||
                  snap->state == VS_SNAPSHOT_STATE_DISK_SNAPSHOT;

        /* Older snapshots carry only <domain><uuid>: no type, no domain
         * kept; the formatter regenerates it from the caller's uuid. */
        if ((domnode = vsXmlFirstChild(root, "domain")))
            domtype = vsXmlPropString(domnode, "type");
        if (domtype && !*domtype)
            g_clear_pointer(&domtype, g_free);
        if (!domtype) {
            /* libvirt would read the type of a later <domain> but parse the
             * first one, and fail; say why instead. */
            for (xmlNodePtr c = domnode ? domnode->next : NULL; c; c = c->next) {
                if (vsXmlIsElement(c, "domain") && xmlHasProp(c, BAD_CAST "type"))
                    return vsErr(error, VS_ERROR_INVALID,
                                 "XML error: the first of several <domain> elements has "
                                 "no 'type' attribute");
            }
        }
        if (domtype && vsXmlSubtreeFromNodeInPlace(&snap->domain, domnode, error) < 0)
            return -1;

        if ((inactive = vsXmlFirstChild(root, "inactiveDomain")) &&
            vsXmlSubtreeFromNodeInPlace(&snap->inactive_domain, inactive, error) < 0)
            return -1;
    } else if (now != 0) {
        /* the moment post-parse hook: stamp "now", default the name.  A
         * @now of 0 skips it, as libvirt's xml2xml test does without a
         * mocked time (DO_TEST_IN); no real clock reads 0. */
        snap->creation_time = now;
        if (!snap->name)
            snap->name = g_strdup_printf("%" G_GINT64_FORMAT, now);
    }

    {
        guint depth = vsXmlElementDepth(root, VS_SNAPSHOT_DEPTH_MAX);
        if (depth > VS_SNAPSHOT_DEPTH_MAX) {
            g_autofree char *shown = shownName(snap->name);
            return vsErr(error, VS_ERROR_INVALID,
                         "XML error: snapshot '%s' nests elements more than %d levels deep, "
                         "more than a bulk file can hold", shown, VS_SNAPSHOT_DEPTH_MAX);
        }
    }

    if ((memory = vsXmlFirstChild(root, "memory"))) {
        int v;
        snap->memory_file = vsXmlPropString(memory, "file");
        if (vsXmlPropEnum(memory, "snapshot", locationNames, G_N_ELEMENTS(locationNames),
                     VS_SNAPSHOT_LOCATION_DEFAULT, &v, error) < 0)
            return -1;
        snap->memory = v;
        if (snap->memory == VS_SNAPSHOT_LOCATION_MANUAL)
            return vsErr(error, VS_ERROR_INVALID,
                         "XML error: 'manual' memory snapshot mode not supported");
    }

    if (snap->memory == VS_SNAPSHOT_LOCATION_DEFAULT) {
        if (snap->memory_file)
            snap->memory = VS_SNAPSHOT_LOCATION_EXTERNAL;
        else if (redefine)
            snap->memory = offline ? VS_SNAPSHOT_LOCATION_NO
                                   : VS_SNAPSHOT_LOCATION_INTERNAL;
    }
    if (snap->memory_file && snap->memory != VS_SNAPSHOT_LOCATION_EXTERNAL)
        return vsErr(error, VS_ERROR_INVALID,
                     "XML error: memory filename '%s' requires external snapshot",
                     snap->memory_file);
    if (!snap->memory_file && snap->memory == VS_SNAPSHOT_LOCATION_EXTERNAL)
        return vsErr(error, VS_ERROR_INVALID,
                     "XML error: external memory snapshots require a filename");
    if (offline && snap->memory != VS_SNAPSHOT_LOCATION_DEFAULT &&
        snap->memory != VS_SNAPSHOT_LOCATION_NO)
        return vsErr(error, VS_ERROR_INVALID,
                     "XML error: memory state cannot be saved with offline or disk-only snapshot");
    if (snap->memory_file && !g_path_is_absolute(snap->memory_file))
        return vsErr(error, VS_ERROR_INVALID,
                     "XML error: memory snapshot file path (%s) must be absolute",
                     snap->memory_file);

    /* libvirt reads every element child of every <disks>, whatever its name */
    for (xmlNodePtr d = root->children; d; d = d->next) {
        if (!vsXmlIsElement(d, "disks"))
            continue;
        for (xmlNodePtr c = d->children; c; c = c->next)
            ndisks += c->type == XML_ELEMENT_NODE;
    }
    snap->disks = g_new0(vsSnapshotDisk, ndisks);
    for (xmlNodePtr d = root->children; d; d = d->next) {
        if (!vsXmlIsElement(d, "disks"))
            continue;
        for (xmlNodePtr c = d->children; c; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            if (diskParse(&snap->disks[snap->ndisks++], c, error) < 0)
                return -1;
        }
    }

    if (flags & VS_SNAPSHOT_PARSE_INTERNAL) {
        g_autofree char *active = vsXmlNodeString(vsXmlFirstChild(root, "active"));
        gint64 v;

        if (!vsXmlParseLongLong(active, &v) || v < G_MININT || v > G_MAXINT)
            return vsErr(error, VS_ERROR_INVALID,
                         "internal error: Could not find 'active' element");
        if (is_current)
            *is_current = v != 0;
    }

    if (!offline) {
        xmlNodePtr cookie = vsXmlFirstChild(root, "cookie");
        if (cookie) {
            if (cookieParse(&snap->cookie, cookie, error) < 0)
                return -1;
            snap->cookie_empty = !snap->cookie;
        }
    }

    *out = g_steal_pointer(&snap);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Document parsing and schema validation                               */

int
vsSnapshotParse(vsSnapshot **out, const char *xml, gsize len, unsigned int flags,
                gint64 now, gboolean *is_current, GError **error)
{
    vsXmlProblem problem = { 0 };
    xmlDocPtr doc;
    int ret;

    *out = NULL;
    if (len > VS_SNAPSHOT_XML_MAX)
        return vsErr(error, VS_ERROR_TOO_LARGE,
                     "snapshot XML is %" G_GSIZE_FORMAT " bytes, more than the %d byte limit",
                     len, VS_SNAPSHOT_XML_MAX);

    /* libvirt parses with xmlKeepBlanksDefault(0), i.e. NOBLANKS */
    doc = vsXmlReadMemory(xml, len, "(domain_snapshot)",
                          VS_XML_READ_NOBLANKS | VS_XML_READ_NO_ENTITIES, &problem);
    if (!doc || problem.message) {
        if (problem.entity_decl)
            ret = vsErr(error, VS_ERROR_INVALID, "XML error: (domain_snapshot):%d: %s",
                        problem.line, problem.message);
        else
            ret = vsErr(error, VS_ERROR_INVALID, "(domain_snapshot):%d: %s",
                        problem.message ? problem.line : 1,
                        problem.message ? problem.message : "Document is not well formed");
    } else {
        ret = vsSnapshotParseNode(out, xmlDocGetRootElement(doc), flags, now,
                                  is_current, error);
    }
    vsXmlProblemClear(&problem);
    xmlFreeDoc(doc);
    return ret;
}

typedef struct {
    xmlRelaxNGPtr schema;
    char *path;
    char *error;
} vsSchema;

static void
onSchemaError(void *data, xmlErrorPtr err)
{
    char **msg = data;
    if (!*msg && err->level >= XML_ERR_ERROR)
        *msg = vsXmlMessageLine(err->message);
}

/* the first validity error, with the line of the offending node */
static void
onValidityError(void *data, xmlErrorPtr err)
{
    char **msg = data;

    long line;

    if (*msg || err->level < XML_ERR_ERROR)
        return;
    line = err->line;
    if (line <= 0 && err->node)
        line = xmlGetLineNo(err->node);
    if (line > 0) {
        g_autofree char *text = vsXmlMessageLine(err->message);
        *msg = g_strdup_printf("line %ld: %s", line, text);
    } else {
        *msg = vsXmlMessageLine(err->message);
    }
}

static char *
schemaPath(void)
{
    const char *dirs[] = { g_getenv("VIRTSNAP_SCHEMA_DIR"), VS_SCHEMA_DIR,
                           VS_SOURCE_SCHEMA_DIR };

    for (gsize i = 0; i < G_N_ELEMENTS(dirs); i++) {
        g_autofree char *p = NULL;
        if (!dirs[i] || !*dirs[i])
            continue;
        p = g_build_filename(dirs[i], "domainsnapshot.rng", NULL);
        if (g_file_test(p, G_FILE_TEST_IS_REGULAR))
            return g_steal_pointer(&p);
    }
    return NULL;
}

/* Compiling domainsnapshot.rng (it pulls in all of domain.rng) is costly;
 * done once per process, like libvirt's cached schemas. */
static gpointer
schemaLoad(gpointer unused)
{
    vsSchema *s = g_new0(vsSchema, 1);
    xmlRelaxNGParserCtxtPtr pctxt;

    if (!(s->path = schemaPath())) {
        s->error = g_strdup("internal error: domainsnapshot.rng not found "
                            "(set VIRTSNAP_SCHEMA_DIR)");
        return s;
    }
    pctxt = xmlRelaxNGNewParserCtxt(s->path);
    if (pctxt) {
        g_autofree char *msg = NULL;
        xmlRelaxNGSetParserStructuredErrors(pctxt, onSchemaError, &msg);
        s->schema = xmlRelaxNGParse(pctxt);
        xmlRelaxNGFreeParserCtxt(pctxt);
        if (!s->schema)
            s->error = g_strdup_printf("internal error: failed to compile %s: %s",
                                       s->path, msg ? msg : "unknown error");
    } else {
        s->error = g_strdup_printf("internal error: cannot read %s", s->path);
    }
    return s;
}

static int
validateNode(xmlNodePtr root, GError **error)
{
    static GOnce once = G_ONCE_INIT;
    vsSchema *s = g_once(&once, schemaLoad, NULL);
    xmlRelaxNGValidCtxtPtr vctxt;
    g_autofree char *msg = NULL;
    xmlDocPtr doc = root->doc;
    xmlDocPtr tmp = NULL;
    int rc;

    if (!s->schema)
        return vsErr(error, VS_ERROR_FAILED, "%s", s->error);

    /* a record inside a bulk document is validated on its own */
    if (!doc || xmlDocGetRootElement(doc) != root) {
        tmp = xmlNewDoc(BAD_CAST "1.0");
        xmlDocSetRootElement(tmp, xmlDocCopyNode(root, tmp, 1));
        doc = tmp;
    }
    vctxt = xmlRelaxNGNewValidCtxt(s->schema);
    if (!vctxt)
        g_error("out of memory creating a RelaxNG validator");
    xmlRelaxNGSetValidStructuredErrors(vctxt, onValidityError, &msg);
    rc = xmlRelaxNGValidateDoc(vctxt, doc);
    xmlRelaxNGFreeValidCtxt(vctxt);
    if (tmp)
        xmlFreeDoc(tmp);
    if (rc != 0)
        return vsErr(error, VS_ERROR_INVALID,
                     "XML document failed to validate against schema: Unable to "
                     "validate doc against domainsnapshot.rng: %s",
                     msg ? msg : "validation failed");
    return 0;
}

/* ------------------------------------------------------------------ */
/* Formatting                                                           */

static void
indent(GString *buf, guint level)
{
    for (guint i = 0; i < level; i++)
        g_string_append(buf, "  ");
}

static void
appendElemText(GString *buf, guint level, const char *name, const char *text)
{
    indent(buf, level);
    g_string_append_printf(buf, "<%s>", name);
    vsXmlEscapeText(buf, text);
    g_string_append_printf(buf, "</%s>\n", name);
}

static void
formatSource(GString *buf, const vsSnapshotDisk *disk, guint level)
{
    g_autoptr(GString) attrs = g_string_new(NULL);

    if (disk->raw_source) {
        vsXmlSubtreeAppend(buf, disk->raw_source, level, TRUE);
        return;
    }
    switch (disk->type) {
    case STORAGE_FILE:
    case STORAGE_BLOCK:
        if (disk->path) {
            g_string_append(attrs, disk->type == STORAGE_FILE ? " file='" : " dev='");
            vsXmlEscapeAttr(attrs, disk->path);
            g_string_append_c(attrs, '\'');
        }
        break;
    case STORAGE_NETWORK:
        if (disk->protocol <= PROTO_NONE)
            break;   /* a network disk given without any <source> */
        g_string_append_printf(attrs, " protocol='%s'", protocolNames[disk->protocol]);
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
    indent(buf, level);
    g_string_append(buf, "<source");
    g_string_append_len(buf, attrs->str, attrs->len);
    if (!disk->children || !disk->children->len) {
        g_string_append(buf, "/>\n");
        return;
    }
    g_string_append(buf, ">\n");
    for (guint i = 0; i < disk->children->len; i++)
        vsXmlSubtreeAppend(buf, disk->children->pdata[i], level + 1, TRUE);
    indent(buf, level);
    g_string_append(buf, "</source>\n");
}

static void
formatDisk(GString *buf, const vsSnapshotDisk *disk, guint level)
{
    gboolean target = disk->path || disk->format;

    if (!disk->name)
        return;
    indent(buf, level);
    g_string_append(buf, "<disk name='");
    vsXmlEscapeAttr(buf, disk->name);
    g_string_append_c(buf, '\'');
    if (disk->snapshot > VS_SNAPSHOT_LOCATION_DEFAULT)
        g_string_append_printf(buf, " snapshot='%s'", locationNames[disk->snapshot]);
    if (!target) {
        g_string_append(buf, "/>\n");
        return;
    }
    g_string_append_printf(buf, " type='%s'>\n", storageTypeNames[disk->type]);

    if (disk->format || disk->max_size) {
        indent(buf, level + 1);
        g_string_append(buf, "<driver");
        if (disk->format)
            g_string_append_printf(buf, " type='%s'", formatNames[disk->format]);
        if (disk->max_size) {
            g_string_append(buf, ">\n");
            indent(buf, level + 2);
            g_string_append(buf, "<metadata_cache>\n");
            indent(buf, level + 3);
            g_string_append_printf(buf, "<max_size unit='bytes'>%" G_GUINT64_FORMAT
                                   "</max_size>\n", disk->max_size);
            indent(buf, level + 2);
            g_string_append(buf, "</metadata_cache>\n");
            indent(buf, level + 1);
            g_string_append(buf, "</driver>\n");
        } else {
            g_string_append(buf, "/>\n");
        }
    }
    formatSource(buf, disk, level + 1);
    indent(buf, level);
    g_string_append(buf, "</disk>\n");
}

void
vsSnapshotFormatBuf(GString *buf, const vsSnapshot *snap, const char *uuid,
                    unsigned int flags, guint level)
{
    gboolean secure = !!(flags & VS_SNAPSHOT_FORMAT_SECURE);

    indent(buf, level);
    g_string_append(buf, "<domainsnapshot>\n");
    if (snap->name)
        appendElemText(buf, level + 1, "name", snap->name);
    if (snap->description)
        appendElemText(buf, level + 1, "description", snap->description);
    if (snap->state)
        appendElemText(buf, level + 1, "state", stateNames[snap->state]);
    if (snap->parent_name) {
        indent(buf, level + 1);
        g_string_append(buf, "<parent>\n");
        appendElemText(buf, level + 2, "name", snap->parent_name);
        indent(buf, level + 1);
        g_string_append(buf, "</parent>\n");
    }
    if (snap->creation_time) {
        indent(buf, level + 1);
        g_string_append_printf(buf, "<creationTime>%" G_GINT64_FORMAT "</creationTime>\n",
                               snap->creation_time);
    }
    if (snap->memory) {
        indent(buf, level + 1);
        g_string_append_printf(buf, "<memory snapshot='%s'", locationNames[snap->memory]);
        if (snap->memory_file) {
            g_string_append(buf, " file='");
            vsXmlEscapeAttr(buf, snap->memory_file);
            g_string_append_c(buf, '\'');
        }
        g_string_append(buf, "/>\n");
    }
    if (snap->ndisks) {
        indent(buf, level + 1);
        g_string_append(buf, "<disks>\n");
        for (guint i = 0; i < snap->ndisks; i++)
            formatDisk(buf, &snap->disks[i], level + 2);
        indent(buf, level + 1);
        g_string_append(buf, "</disks>\n");
    }
    if (snap->domain) {
        vsXmlSubtreeAppend(buf, snap->domain, level + 1, secure);
    } else if (uuid) {
        indent(buf, level + 1);
        g_string_append(buf, "<domain>\n");
        appendElemText(buf, level + 2, "uuid", uuid);
        indent(buf, level + 1);
        g_string_append(buf, "</domain>\n");
    }
    if (snap->inactive_domain)
        vsXmlSubtreeAppend(buf, snap->inactive_domain, level + 1, secure);
    if (snap->cookie) {
        vsXmlSubtreeAppend(buf, snap->cookie, level + 1, secure);
    } else if (snap->cookie_empty) {
        indent(buf, level + 1);
        g_string_append(buf, "<cookie>\n");
        indent(buf, level + 1);
        g_string_append(buf, "</cookie>\n");
    }
    if (flags & VS_SNAPSHOT_FORMAT_INTERNAL) {
        indent(buf, level + 1);
        g_string_append_printf(buf, "<active>%d</active>\n",
                               (flags & VS_SNAPSHOT_FORMAT_CURRENT) ? 1 : 0);
    }
    indent(buf, level);
    g_string_append(buf, "</domainsnapshot>\n");
}

int
vsSnapshotFormat(char **out, const vsSnapshot *snap, const char *uuid,
                 unsigned int flags, GError **error)
{
    GString *buf = g_string_sized_new(1024);

    vsSnapshotFormatBuf(buf, snap, uuid, flags, 0);
    *out = g_string_free(buf, FALSE);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Disk alignment (virDomainSnapshotAlignDisks + qemu's defaults)      */

typedef struct {
    char *dst;                    /* <target dev> */
    char *path;                   /* virDomainDiskGetSource */
    gboolean empty;               /* virStorageSourceIsEmpty */
    vsSnapshotLocation snapshot;  /* the disk's own snapshot= */
} vsDomainDisk;

static void
domainDisksFree(GArray *disks)
{
    for (guint i = 0; i < disks->len; i++) {
        vsDomainDisk *d = &g_array_index(disks, vsDomainDisk, i);
        g_free(d->dst);
        g_free(d->path);
    }
    g_array_unref(disks);
}
typedef GArray vsDomainDiskList;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsDomainDiskList, domainDisksFree)

static int
domainDisksRead(GArray **out, vsXmlSubtree *domain, GError **error)
{
    xmlDocPtr doc = vsXmlSubtreeToDoc(domain, error);
    GArray *disks;
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
            g_autofree char *type = NULL;
            g_autofree char *snapshot = NULL;
            xmlNodePtr src;
            int stype;

            if (!vsXmlIsElement(n, "disk"))
                continue;
            type = vsXmlPropString(n, "type");
            stype = type ? vsXmlEnumFromString(storageTypeNames, STORAGE_LAST, type)
                         : STORAGE_FILE;
            for (xmlNodePtr t = n->children; t && !d.dst; t = t->next) {
                if (vsXmlIsElement(t, "target"))
                    d.dst = vsXmlPropString(t, "dev");
            }
            if (!d.dst) {
                domainDisksFree(disks);
                xmlFreeDoc(doc);
                return vsErr(error, VS_ERROR_INVALID,
                             "XML error: missing target information for device");
            }
            snapshot = vsXmlPropString(n, "snapshot");
            if (snapshot) {
                int v = vsXmlEnumFromString(locationNames, VS_SNAPSHOT_LOCATION_LAST, snapshot);
                d.snapshot = v > 0 ? v : VS_SNAPSHOT_LOCATION_DEFAULT;
            }
            /* libvirt's disk post-parse: read-only disks (<readonly/>, and
             * every cdrom) default to snapshot='no' */
            if (d.snapshot == VS_SNAPSHOT_LOCATION_DEFAULT) {
                g_autofree char *device = vsXmlPropString(n, "device");
                if (vsXmlFirstChild(n, "readonly") || g_strcmp0(device, "cdrom") == 0)
                    d.snapshot = VS_SNAPSHOT_LOCATION_NO;
            }
            if ((src = vsXmlFirstChild(n, "source"))) {
                switch (stype) {
                case STORAGE_FILE: d.path = vsXmlPropString(src, "file"); break;
                case STORAGE_BLOCK: d.path = vsXmlPropString(src, "dev"); break;
                case STORAGE_DIR: d.path = vsXmlPropString(src, "dir"); break;
                case STORAGE_NETWORK: d.path = vsXmlPropString(src, "name"); break;
                default: break;
                }
            }
            if (d.path && !*d.path)
                g_clear_pointer(&d.path, g_free);
            switch (stype) {
            case STORAGE_FILE:
            case STORAGE_BLOCK:
            case STORAGE_DIR:
                d.empty = d.path == NULL;
                break;
            case STORAGE_NETWORK: {
                g_autofree char *proto = src ? vsXmlPropString(src, "protocol") : NULL;
                d.empty = vsXmlEnumFromString(protocolNames, G_N_ELEMENTS(protocolNames),
                                         proto) <= PROTO_NONE;
                break;
            }
            default:
                d.empty = stype <= STORAGE_NONE;
                break;
            }
            g_array_append_val(disks, d);
        }
    }
    xmlFreeDoc(doc);
    *out = disks;
    return 0;
}

/* virDomainDiskIndexByName(def, name, false) */
static int
domainDiskIndex(GArray *disks, const char *name)
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

/* virDomainSnapshotDefAssignExternalNames */
static int
assignExternalNames(vsSnapshot *snap, GArray *domdisks, GError **error)
{
    for (guint i = 0; i < snap->ndisks; i++) {
        vsSnapshotDisk *disk = &snap->disks[i];
        const char *origpath;
        g_autofree char *base = NULL;
        char *dot;
        struct stat sb;

        if (disk->snapshot != VS_SNAPSHOT_LOCATION_EXTERNAL || disk->path)
            continue;
        if (disk->type != STORAGE_FILE)
            return vsErr(error, VS_ERROR_INVALID,
                         "unsupported configuration: cannot generate external snapshot "
                         "name for disk '%s' on a '%s' device",
                         disk->name, storageTypeNames[disk->type]);
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
            if (g_strcmp0(disk->path, snap->disks[j].path) == 0)
                return vsErr(error, VS_ERROR_INVALID,
                             "unsupported configuration: cannot generate external "
                             "snapshot name for disk '%s': collision with disk '%s'",
                             disk->name, snap->disks[j].name);
        }
    }
    return 0;
}

int
vsSnapshotAlignDisks(vsSnapshot *snap, vsXmlSubtree *fallback_domain,
                     unsigned int flags, GError **error)
{
    vsXmlSubtree *domain = snap->domain ? snap->domain : fallback_domain;
    g_autoptr(vsDomainDiskList) domdisks = NULL;
    g_autofree int *map = NULL;   /* domain disk -> requested disk, or -1 */
    vsSnapshotLocation def;
    gboolean require_match;
    vsSnapshotDisk *disks;
    guint n;

    if (!domain)
        return vsErr(error, VS_ERROR_INVALID, "internal error: missing domain in snapshot");

    /* qemu's default location (qemuSnapshotCreateXML / redefine) */
    if (flags & VS_SNAPSHOT_ALIGN_REDEFINE) {
        def = (snap->state == VS_SNAPSHOT_STATE_DISK_SNAPSHOT || vsSnapshotIsExternal(snap))
              ? VS_SNAPSHOT_LOCATION_EXTERNAL : VS_SNAPSHOT_LOCATION_INTERNAL;
    } else {
        def = (snap->memory == VS_SNAPSHOT_LOCATION_EXTERNAL ||
               snap->state == VS_SNAPSHOT_STATE_DISK_SNAPSHOT ||
               (flags & VS_SNAPSHOT_ALIGN_DISK_ONLY))
              ? VS_SNAPSHOT_LOCATION_EXTERNAL : VS_SNAPSHOT_LOCATION_INTERNAL;
    }
    require_match = def == VS_SNAPSHOT_LOCATION_INTERNAL;   /* uniform internal */

    if (domainDisksRead(&domdisks, domain, error) < 0)
        return -1;
    n = domdisks->len;
    if (snap->ndisks > n)
        return vsErr(error, VS_ERROR_INVALID,
                     "unsupported configuration: too many disk snapshot requests for domain");
    if (n == 0)
        return 0;

    map = g_new(int, n);
    for (guint i = 0; i < n; i++)
        map[i] = -1;

    for (guint i = 0; i < snap->ndisks; i++) {
        vsSnapshotDisk *sd = &snap->disks[i];
        int idx = domainDiskIndex(domdisks, sd->name);
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
            if (dd->snapshot != VS_SNAPSHOT_LOCATION_DEFAULT &&
                (!require_match || dd->snapshot == VS_SNAPSHOT_LOCATION_NO))
                sd->snapshot = dd->snapshot;
            else
                sd->snapshot = def;
        } else if (require_match && sd->snapshot != def &&
                   !(sd->snapshot == VS_SNAPSHOT_LOCATION_NO &&
                     dd->snapshot == VS_SNAPSHOT_LOCATION_NO)) {
            return vsErr(error, VS_ERROR_INVALID,
                         "unsupported configuration: disk '%s' must use snapshot mode '%s'",
                         sd->name, locationNames[def]);
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

    /* one entry per domain disk, in domain order */
    disks = g_new0(vsSnapshotDisk, n);
    for (guint i = 0; i < n; i++) {
        vsDomainDisk *dd = &g_array_index(domdisks, vsDomainDisk, i);
        vsSnapshotDisk *sd = &disks[i];

        if (map[i] >= 0) {
            *sd = snap->disks[map[i]];
            memset(&snap->disks[map[i]], 0, sizeof(vsSnapshotDisk));
            continue;
        }
        sd->name = g_strdup(dd->dst);
        sd->type = STORAGE_FILE;
        /* don't snapshot empty drives (no media) */
        sd->snapshot = dd->empty ? VS_SNAPSHOT_LOCATION_NO : dd->snapshot;
        if (sd->snapshot == VS_SNAPSHOT_LOCATION_DEFAULT)
            sd->snapshot = def;
    }
    for (guint i = 0; i < snap->ndisks; i++)
        diskClear(&snap->disks[i]);
    g_free(snap->disks);
    snap->disks = disks;
    snap->ndisks = n;

    return assignExternalNames(snap, domdisks, error);
}
