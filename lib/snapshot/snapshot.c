/* snapshot.c — the snapshot kind: its record's life cycle, getters,
 * names, list filters and the descriptor that plugs it into the layers
 * below (record/moment.h). */
#include <string.h>

#include "util/error.h"
#include "util/xmltext.h"
#include "snapshot/snapshot-private.h"

/* Short for the snapshot fields of a record. */
#define S(m) vsSnapshotFields(m)

const char *const vsSnapshotStateNames[VS_SNAPSHOT_STATE_LAST] = {
    "nostate", "running", "blocked", "paused", "shutdown", "shutoff",
    "crashed", "pmsuspended", "disk-snapshot",
};

const char *const vsSnapshotLocationNames[VS_SNAPSHOT_LOCATION_LAST] = {
    "default", "no", "internal", "external", "manual",
};

/* ------------------------------------------------------------------ */
/* The record                                                           */

static void
snapshotCopy(vsMoment *dst, const vsMoment *src)
{
    vsSnapshotRecord *d = S(dst);
    const vsSnapshotRecord *s = S(src);

    d->state = s->state;
    d->memory = s->memory;
    d->memory_file = g_strdup(s->memory_file);
    d->ndisks = s->ndisks;
    d->disks = g_new0(vsSnapshotDisk, s->ndisks);
    for (guint i = 0; i < s->ndisks; i++)
        vsSnapshotDiskCopy(&d->disks[i], &s->disks[i]);
    d->inactive_domain = vsXmlSubtreeRef(s->inactive_domain);
    d->cookie = vsXmlSubtreeRef(s->cookie);
    d->cookie_empty = s->cookie_empty;
    d->domain_uuid = g_strdup(s->domain_uuid);
}

static void
snapshotClear(vsMoment *moment)
{
    vsSnapshotRecord *s = S(moment);

    g_free(s->memory_file);
    for (guint i = 0; i < s->ndisks; i++)
        vsSnapshotDiskClear(&s->disks[i]);
    g_free(s->disks);
    vsXmlSubtreeUnref(s->inactive_domain);
    vsXmlSubtreeUnref(s->cookie);
    g_free(s->domain_uuid);
}

/* Its disks, <inactiveDomain> and <cookie> (the <domain> is shared). */
static gsize
snapshotOwnBytes(const vsMoment *moment)
{
    const vsSnapshotRecord *s = S(moment);
    gsize n = vsStringBytes(s->memory_file) + vsStringBytes(s->domain_uuid) +
              vsXmlSubtreeBytes(s->inactive_domain) + vsXmlSubtreeBytes(s->cookie);

    for (guint i = 0; i < s->ndisks; i++)
        n += vsSnapshotDiskBytes(&s->disks[i]);
    return n;
}

/* ------------------------------------------------------------------ */
/* Getters and setters                                                  */

vsSnapshotState vsSnapshotGetState(const vsSnapshot *snap) { return S(snap)->state; }
vsSnapshotLocation vsSnapshotGetMemoryLocation(const vsSnapshot *snap) { return S(snap)->memory; }
vsXmlSubtree *vsSnapshotGetInactiveDomain(const vsSnapshot *snap) { return S(snap)->inactive_domain; }
vsXmlSubtree *vsSnapshotGetCookie(const vsSnapshot *snap) { return S(snap)->cookie; }
guint vsSnapshotGetDiskCount(const vsSnapshot *snap) { return S(snap)->ndisks; }

const char *
vsSnapshotGetDiskName(const vsSnapshot *snap, guint i)
{
    g_return_val_if_fail(i < S(snap)->ndisks, NULL);
    return S(snap)->disks[i].name;
}

vsSnapshotLocation
vsSnapshotGetDiskLocation(const vsSnapshot *snap, guint i)
{
    g_return_val_if_fail(i < S(snap)->ndisks, VS_SNAPSHOT_LOCATION_DEFAULT);
    return S(snap)->disks[i].snapshot;
}

const char *
vsSnapshotGetDiskPath(const vsSnapshot *snap, guint i)
{
    g_return_val_if_fail(i < S(snap)->ndisks, NULL);
    return S(snap)->disks[i].path;
}

void
vsSnapshotSetState(vsSnapshot *snap, vsSnapshotState state)
{
    g_return_if_fail(state < VS_SNAPSHOT_STATE_LAST);
    S(snap)->state = state;
}

void
vsSnapshotSetMemoryLocation(vsSnapshot *snap, vsSnapshotLocation location)
{
    g_return_if_fail(location < VS_SNAPSHOT_LOCATION_LAST);
    S(snap)->memory = location;
}

gboolean
vsSnapshotIsExternal(const vsSnapshot *snap)
{
    if (S(snap)->memory == VS_SNAPSHOT_LOCATION_EXTERNAL)
        return TRUE;
    for (guint i = 0; i < S(snap)->ndisks; i++) {
        if (S(snap)->disks[i].snapshot == VS_SNAPSHOT_LOCATION_EXTERNAL)
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
    if (S(snap)->memory != VS_SNAPSHOT_LOCATION_DEFAULT)
        external = vsSnapshotIsExternal(snap);
    else
        external = S(snap)->state == VS_SNAPSHOT_STATE_DISK_SNAPSHOT;
    return external ? "external" : "internal";
}

const char *
vsSnapshotStateToString(vsSnapshotState state)
{
    if ((guint) state >= VS_SNAPSHOT_STATE_LAST)
        return NULL;
    return vsSnapshotStateNames[state];
}

int
vsSnapshotStateFromString(const char *str)
{
    return vsXmlEnumFromString(vsSnapshotStateNames, G_N_ELEMENTS(vsSnapshotStateNames), str);
}

int
vsSnapshotNameCheck(const char *name, GError **error)
{
    g_autofree char *shown = vsMomentShowName(name);
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
/* Lists and deletes: libvirt's flags and texts                         */

#define LIST_FILTERS_LEAVES (VS_SNAPSHOT_LIST_LEAVES | VS_SNAPSHOT_LIST_NO_LEAVES)
#define LIST_FILTERS_METADATA (VS_SNAPSHOT_LIST_METADATA | VS_SNAPSHOT_LIST_NO_METADATA)
#define LIST_FILTERS_STATUS (VS_SNAPSHOT_LIST_INACTIVE | VS_SNAPSHOT_LIST_ACTIVE | \
                             VS_SNAPSHOT_LIST_DISK_ONLY)
#define LIST_FILTERS_LOCATION (VS_SNAPSHOT_LIST_INTERNAL | VS_SNAPSHOT_LIST_EXTERNAL)
#define LIST_ALL_FLAGS (VS_SNAPSHOT_LIST_ROOTS | VS_SNAPSHOT_LIST_TOPOLOGICAL | \
                        LIST_FILTERS_LEAVES | LIST_FILTERS_METADATA | LIST_FILTERS_STATUS | \
                        LIST_FILTERS_LOCATION)

static int
snapshotListQuery(unsigned int flags, gboolean from, vsMomentListQuery *query, GError **error)
{
    unsigned int filter = flags & (LIST_FILTERS_STATUS | LIST_FILTERS_LOCATION);

    if (flags & ~LIST_ALL_FLAGS)
        return vsErr(error, VS_ERROR_INVALID,
                     "invalid argument: unsupported flags (0x%x) in function %s",
                     flags & ~LIST_ALL_FLAGS,
                     from ? "qemuDomainSnapshotListAllChildren" : "qemuDomainListAllSnapshots");
    /* ROOTS and DESCENDANTS share a bit with opposite meanings. */
    query->descend = from ? (flags & VS_SNAPSHOT_LIST_DESCENDANTS) != 0
                          : (flags & VS_SNAPSHOT_LIST_ROOTS) == 0;
    /* Every record has metadata: NO_METADATA alone matches nothing. */
    query->none = (flags & LIST_FILTERS_METADATA) == VS_SNAPSHOT_LIST_NO_METADATA;
    /* Not a group that cancels out: libvirt 9.0 applies LEAVES and
     * NO_LEAVES one after the other, so both together list nothing
     * (observed with virsh). */
    query->leaves = (flags & VS_SNAPSHOT_LIST_LEAVES) != 0;
    query->no_leaves = (flags & VS_SNAPSHOT_LIST_NO_LEAVES) != 0;
    /* A group with every bit set does not filter. */
    if ((filter & LIST_FILTERS_STATUS) == LIST_FILTERS_STATUS)
        filter &= ~LIST_FILTERS_STATUS;
    if ((filter & LIST_FILTERS_LOCATION) == LIST_FILTERS_LOCATION)
        filter &= ~LIST_FILTERS_LOCATION;
    query->filter = filter;
    return 0;
}

static gboolean
snapshotListMatch(const vsMoment *moment, unsigned int filter)
{
    if (filter & LIST_FILTERS_STATUS) {
        vsSnapshotState state = S(moment)->state;

        if (state == VS_SNAPSHOT_STATE_SHUTOFF) {
            if (!(filter & VS_SNAPSHOT_LIST_INACTIVE))
                return FALSE;
        } else if (state == VS_SNAPSHOT_STATE_DISK_SNAPSHOT) {
            if (!(filter & VS_SNAPSHOT_LIST_DISK_ONLY))
                return FALSE;
        } else if (!(filter & VS_SNAPSHOT_LIST_ACTIVE)) {
            return FALSE;
        }
    }
    if ((filter & VS_SNAPSHOT_LIST_INTERNAL) && vsSnapshotIsExternal(moment))
        return FALSE;
    if ((filter & VS_SNAPSHOT_LIST_EXTERNAL) && !vsSnapshotIsExternal(moment))
        return FALSE;
    return TRUE;
}

/* Same order of checks as libvirt: API exclusivity, then driver flags. */
static int
snapshotDeleteCheck(unsigned int flags, GError **error)
{
    const unsigned int all = VS_SNAPSHOT_DELETE_CHILDREN | VS_SNAPSHOT_DELETE_METADATA_ONLY |
                             VS_SNAPSHOT_DELETE_CHILDREN_ONLY;

    G_STATIC_ASSERT(VS_SNAPSHOT_DELETE_CHILDREN == VS_MOMENT_DELETE_CHILDREN);
    G_STATIC_ASSERT(VS_SNAPSHOT_DELETE_CHILDREN_ONLY == VS_MOMENT_DELETE_CHILDREN_ONLY);
    if ((flags & VS_SNAPSHOT_DELETE_CHILDREN) && (flags & VS_SNAPSHOT_DELETE_CHILDREN_ONLY))
        return vsErr(error, VS_ERROR_INVALID,
                     "Flags 'VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN' and "
                     "'VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY' are mutually exclusive");
    if (flags & ~all)
        return vsErr(error, VS_ERROR_INVALID,
                     "invalid argument: unsupported flags (0x%x) in function qemuSnapshotDelete",
                     flags & ~all);
    return 0;
}

/* ------------------------------------------------------------------ */
/* The kind                                                             */

const vsMomentKind vsSnapshotKind = {
    .id = VS_MOMENT_SNAPSHOT,
    .noun = "snapshot",
    .record_element = "domainsnapshot",
    .list_element = "snapshots",
    .bulk_header = "<!--\n"
                   "virtsnap snapshot metadata: every snapshot of one VM, in one file.\n"
                   "Generated and replaced atomically by virtsnap; edit snapshots with\n"
                   "'virtsnap snapshot-edit', not by hand.\n"
                   "-->\n",
    .legacy_header = VS_SNAPSHOT_LEGACY_HEADER,
    .stores_current = TRUE,
    .size = sizeof(vsSnapshotRecord),
    .copy = snapshotCopy,
    .clear = snapshotClear,
    .own_bytes = snapshotOwnBytes,
    .name_check = vsSnapshotNameCheck,
    .parse_stored = vsSnapshotParseStored,
    .format_stored = vsSnapshotFormatStored,
    .parse_legacy = vsSnapshotParseLegacy,
    .format_legacy = vsSnapshotFormatLegacy,
    .list_query = snapshotListQuery,
    .list_match = snapshotListMatch,
    .delete_check = snapshotDeleteCheck,
};
