/* checkpoint.c — the checkpoint kind: its record's life cycle, getters,
 * names, list and delete flags and the descriptor that plugs it into the
 * layers below (record/moment.h). */
#include <string.h>

#include "util/error.h"
#include "checkpoint/checkpoint-private.h"

/* Short for the checkpoint fields of a record. */
#define C(m) vsCheckpointFields(m)

const char *const vsCheckpointTypeNames[VS_CHECKPOINT_TYPE_LAST] = {
    "default", "no", "bitmap",
};

/* ------------------------------------------------------------------ */
/* The record                                                           */

void
vsCheckpointDiskClear(vsCheckpointDisk *disk)
{
    g_free(disk->name);
    g_free(disk->bitmap);
    memset(disk, 0, sizeof(*disk));
}

static void
checkpointCopy(vsMoment *dst, const vsMoment *src)
{
    vsCheckpointRecord *d = C(dst);
    const vsCheckpointRecord *s = C(src);

    d->ndisks = s->ndisks;
    d->disks = g_new0(vsCheckpointDisk, s->ndisks);
    for (guint i = 0; i < s->ndisks; i++) {
        d->disks[i] = s->disks[i];
        d->disks[i].name = g_strdup(s->disks[i].name);
        d->disks[i].bitmap = g_strdup(s->disks[i].bitmap);
    }
}

static void
checkpointClear(vsMoment *moment)
{
    vsCheckpointRecord *c = C(moment);

    for (guint i = 0; i < c->ndisks; i++)
        vsCheckpointDiskClear(&c->disks[i]);
    g_free(c->disks);
}

static gsize
checkpointOwnBytes(const vsMoment *moment)
{
    const vsCheckpointRecord *c = C(moment);
    gsize n = c->ndisks * sizeof(vsCheckpointDisk);

    for (guint i = 0; i < c->ndisks; i++)
        n += vsStringBytes(c->disks[i].name) + vsStringBytes(c->disks[i].bitmap);
    return n;
}

/* ------------------------------------------------------------------ */
/* Getters and test hooks                                               */

guint vsCheckpointGetDiskCount(const vsCheckpoint *chk) { return C(chk)->ndisks; }

const char *
vsCheckpointGetDiskName(const vsCheckpoint *chk, guint i)
{
    g_return_val_if_fail(i < C(chk)->ndisks, NULL);
    return C(chk)->disks[i].name;
}

vsCheckpointType
vsCheckpointGetDiskType(const vsCheckpoint *chk, guint i)
{
    g_return_val_if_fail(i < C(chk)->ndisks, VS_CHECKPOINT_TYPE_DEFAULT);
    return C(chk)->disks[i].type;
}

const char *
vsCheckpointGetDiskBitmap(const vsCheckpoint *chk, guint i)
{
    g_return_val_if_fail(i < C(chk)->ndisks, NULL);
    return C(chk)->disks[i].bitmap;
}

const char *
vsCheckpointTypeToString(vsCheckpointType type)
{
    if ((guint) type >= VS_CHECKPOINT_TYPE_LAST)
        return NULL;
    return vsCheckpointTypeNames[type];
}

void
vsCheckpointSetDiskSize(vsCheckpoint *chk, guint i, guint64 size)
{
    g_return_if_fail(i < C(chk)->ndisks);
    C(chk)->disks[i].size = size;
    C(chk)->disks[i].size_valid = TRUE;
}

void
vsCheckpointAddDiskSlot(vsCheckpoint *chk)
{
    vsCheckpointRecord *c = C(chk);

    c->disks = g_renew(vsCheckpointDisk, c->disks, c->ndisks + 1);
    memset(&c->disks[c->ndisks++], 0, sizeof(vsCheckpointDisk));
}

void
vsCheckpointSetDisk(vsCheckpoint *chk, guint i, const char *name, vsCheckpointType type,
                    const char *bitmap)
{
    vsCheckpointDisk *d;

    g_return_if_fail(i < C(chk)->ndisks);
    d = &C(chk)->disks[i];
    if (name) {
        g_free(d->name);
        d->name = g_strdup(name);
    }
    d->type = type;
    if (bitmap) {
        g_free(d->bitmap);
        d->bitmap = g_strdup(bitmap);
    }
}

/* ------------------------------------------------------------------ */
/* Names                                                                */

/* libvirt's schema: checkpointName is [a-zA-Z0-9_\-][a-zA-Z0-9_\-.]* */
static gboolean
nameCharOk(char c, gboolean first)
{
    return g_ascii_isalnum(c) || c == '_' || c == '-' || (!first && c == '.');
}

int
vsCheckpointNameCheck(const char *name, GError **error)
{
    gsize len;

    if (!name || !*name)
        return vsErr(error, VS_ERROR_INVALID,
                     "invalid checkpoint name '': name can't be empty");
    for (const char *p = name; *p; p++) {
        if (!nameCharOk(*p, p == name)) {
            g_autofree char *shown = vsMomentShowName(name);
            return vsErr(error, VS_ERROR_INVALID,
                         "invalid checkpoint name '%s': libvirt's schema takes only "
                         "[a-zA-Z0-9_-][a-zA-Z0-9_.-]*", shown);
        }
    }
    len = strlen(name);
    if (len > VS_SNAPSHOT_NAME_MAX)
        return vsErr(error, VS_ERROR_INVALID,
                     "invalid checkpoint name '%.*s...': name is %zu bytes, longer than %d",
                     20, name, len, VS_SNAPSHOT_NAME_MAX);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Lists and deletes: libvirt's flags and texts                         */

#define LIST_ALL_FLAGS (VS_CHECKPOINT_LIST_ROOTS | VS_CHECKPOINT_LIST_TOPOLOGICAL | \
                        VS_CHECKPOINT_LIST_LEAVES | VS_CHECKPOINT_LIST_NO_LEAVES)

static int
checkpointListQuery(unsigned int flags, gboolean from, vsMomentListQuery *query,
                    GError **error)
{
    if (flags & ~LIST_ALL_FLAGS)
        return vsErr(error, VS_ERROR_INVALID,
                     "invalid argument: unsupported flags (0x%x) in function %s",
                     flags & ~LIST_ALL_FLAGS,
                     from ? "qemuDomainCheckpointListAllChildren"
                          : "qemuDomainListAllCheckpoints");
    /* ROOTS and DESCENDANTS share a bit with opposite meanings. */
    query->descend = from ? (flags & VS_CHECKPOINT_LIST_DESCENDANTS) != 0
                          : (flags & VS_CHECKPOINT_LIST_ROOTS) == 0;
    query->none = FALSE;
    /* libvirt's moment list applies both one after the other: together
     * they list nothing. */
    query->leaves = (flags & VS_CHECKPOINT_LIST_LEAVES) != 0;
    query->no_leaves = (flags & VS_CHECKPOINT_LIST_NO_LEAVES) != 0;
    query->filter = 0;
    return 0;
}

static gboolean
checkpointListMatch(const vsMoment *moment, unsigned int filter)
{
    return TRUE;
}

/* The API's exclusivity first, then the driver's flags. */
static int
checkpointDeleteCheck(unsigned int flags, GError **error)
{
    const unsigned int all = VS_CHECKPOINT_DELETE_CHILDREN |
                             VS_CHECKPOINT_DELETE_METADATA_ONLY |
                             VS_CHECKPOINT_DELETE_CHILDREN_ONLY;

    G_STATIC_ASSERT(VS_CHECKPOINT_DELETE_CHILDREN == VS_MOMENT_DELETE_CHILDREN);
    G_STATIC_ASSERT(VS_CHECKPOINT_DELETE_CHILDREN_ONLY == VS_MOMENT_DELETE_CHILDREN_ONLY);
    if ((flags & VS_CHECKPOINT_DELETE_CHILDREN) && (flags & VS_CHECKPOINT_DELETE_CHILDREN_ONLY))
        return vsErr(error, VS_ERROR_INVALID,
                     "Flags 'VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN' and "
                     "'VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN_ONLY' are mutually exclusive");
    if (flags & ~all)
        return vsErr(error, VS_ERROR_INVALID,
                     "invalid argument: unsupported flags (0x%x) in function "
                     "qemuCheckpointDelete", flags & ~all);
    return 0;
}

/* ------------------------------------------------------------------ */
/* The kind                                                             */

const vsMomentKind vsCheckpointKind = {
    .id = VS_MOMENT_CHECKPOINT,
    .noun = "checkpoint",
    .record_element = "domaincheckpoint",
    .list_element = "checkpoints",
    .bulk_header = "<!--\n"
                   "virtsnap checkpoint metadata: every checkpoint of one VM, in one file.\n"
                   "Generated and replaced atomically by virtsnap; edit checkpoints with\n"
                   "'virtsnap checkpoint-edit', not by hand.\n"
                   "-->\n",
    .legacy_header = VS_CHECKPOINT_LEGACY_HEADER,
    .stores_current = FALSE,
    .size = sizeof(vsCheckpointRecord),
    .copy = checkpointCopy,
    .clear = checkpointClear,
    .own_bytes = checkpointOwnBytes,
    .name_check = vsCheckpointNameCheck,
    .parse_stored = vsCheckpointParseStored,
    .format_stored = vsCheckpointFormatStored,
    .parse_legacy = vsCheckpointParseLegacy,
    .format_legacy = vsCheckpointFormatLegacy,
    .list_query = checkpointListQuery,
    .list_match = checkpointListMatch,
    .delete_check = checkpointDeleteCheck,
};
