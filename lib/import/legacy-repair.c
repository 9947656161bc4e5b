/* legacy-repair.c — `check --repair` on a legacy directory: only what
 * needs no guess, moving things aside rather than deleting them. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "util/atomicfile.h"
#include "util/error.h"
#include "import/legacy.h"

/* libvirt's temporary name for a file being rewritten (virFileRewrite). */
#define LIBVIRT_TEMP_SUFFIX ".xml.new"

typedef struct {
    const vsMomentKind *kind;
    int dirfd;
    const char *dirpath;
    const char *vm;
    int vfd;                   /* DIR/<vm> */
    vsLegacyAside aside;       /* created on first use */
    vsLegacyReport *report;
    GHashTable *present;       /* file name -> entry, still in DIR/<vm>/ */
    GHashTable *groups;        /* record name -> entries defining it */
    GPtrArray *order;          /* record names, in file order */
} Repair;

static int
repairMoveAside(Repair *r, const char *file, GError **error)
{
    g_autofree char *from = NULL, *to = NULL;

    if (r->aside.fd < 0 &&
        vsLegacyAsideNew(&r->aside, r->dirfd, r->dirpath, r->vm, TRUE, error) < 0)
        return -1;
    from = g_strdup_printf("%s/%s/%s", r->dirpath, r->vm, file);
    to = g_strdup_printf("%s/%s", r->aside.rel, file);
    return vsAtomicMove(r->vfd, file, r->aside.fd, file, RENAME_NOREPLACE, from, to, error);
}

/* Unfinished writes: libvirt's (when the committed file loads) and ours. */
static int
repairTemps(Repair *r, const GPtrArray *entries, GError **error)
{
    for (guint i = 0; i < entries->len; i++) {
        vsLegacyEntry *e = entries->pdata[i];

        if (g_str_has_suffix(e->file, LIBVIRT_TEMP_SUFFIX)) {
            g_autofree char *base = g_strndup(e->file, strlen(e->file) - strlen(".new"));
            vsLegacyEntry *committed = g_hash_table_lookup(r->present, base);

            if (!committed || !committed->record)
                continue;
            if (repairMoveAside(r, e->file, error) < 0)
                return -1;
            vsLegacyReportAdd(r->report, VS_LEGACY_PROBLEM_STALE_TEMP, r->vm, e->rel, NULL,
                              "%s: stale temporary file of an unfinished libvirt write",
                              e->rel);
            vsLegacyReportSetLastAction(r->report, "moved to %s/ (%s is the committed file)",
                                        r->aside.rel, base);
            g_hash_table_remove(r->present, e->file);
        } else if (vsAtomicFileIsTemp(e->file)) {
            if (repairMoveAside(r, e->file, error) < 0)
                return -1;
            vsLegacyReportAdd(r->report, VS_LEGACY_PROBLEM_STALE_TEMP, r->vm, e->rel, NULL,
                              "%s: stale temporary file of an unfinished virtsnap write",
                              e->rel);
            vsLegacyReportSetLastAction(r->report, "moved to %s/", r->aside.rel);
            g_hash_table_remove(r->present, e->file);
        }
    }
    return 0;
}

/* The loadable files still there, grouped by the record they define. */
static void
repairGroup(Repair *r, const GPtrArray *entries)
{
    for (guint i = 0; i < entries->len; i++) {
        vsLegacyEntry *e = entries->pdata[i];
        GPtrArray *group;

        if (!e->record || !g_hash_table_contains(r->present, e->file))
            continue;
        if (!(group = g_hash_table_lookup(r->groups, e->record->name))) {
            group = g_ptr_array_new();
            g_hash_table_insert(r->groups, e->record->name, group);
            g_ptr_array_add(r->order, e->record->name);
        }
        g_ptr_array_add(group, e);
    }
}

static char *
repairFormat(const vsLegacyEntry *e)
{
    GString *out = g_string_new(NULL);

    vsLegacyFileFormat(out, e->record, NULL, e->active);
    return g_string_free(out, FALSE);
}

/* Duplicates identical to the file libvirt itself would have written. */
static int
repairDuplicates(Repair *r, const char *name, GPtrArray *group, GError **error)
{
    g_autofree char *canon_file = vsLegacyFileName(name);
    vsLegacyEntry *canon = g_hash_table_lookup(r->present, canon_file);
    g_autofree char *canon_xml = NULL;
    g_autoptr(GString) files = g_string_new(NULL);

    if (group->len < 2 || !canon || !canon->record || strcmp(canon->record->name, name) != 0)
        return 0;
    canon_xml = repairFormat(canon);
    for (guint j = 0; j < group->len; j++)
        g_string_append_printf(files, "%s%s", j ? ", " : "",
                               ((vsLegacyEntry *) group->pdata[j])->file);
    for (guint j = 0; j < group->len; j++) {
        vsLegacyEntry *e = group->pdata[j];
        g_autofree char *xml = NULL;

        if (e == canon)
            continue;
        xml = repairFormat(e);
        if (strcmp(xml, canon_xml) != 0)
            continue;
        if (repairMoveAside(r, e->file, error) < 0)
            return -1;
        vsLegacyReportAdd(r->report, VS_LEGACY_PROBLEM_DUPLICATE, r->vm, e->rel, NULL,
                          "%s: %s '%s' is defined by %u files: %s",
                          r->vm, r->kind->noun, name, group->len, files->str);
        vsLegacyReportSetLastAction(r->report, "moved %s to %s/ (identical to %s)",
                                    e->file, r->aside.rel, canon_file);
        g_hash_table_remove(r->present, e->file);
        g_ptr_array_remove_index(group, j--);
    }
    return 0;
}

/* A lone record in a file not named after it: give it its name. */
static int
repairName(Repair *r, const char *name, GPtrArray *group, GError **error)
{
    vsLegacyEntry *e = group->pdata[0];
    g_autofree char *want = vsLegacyFileName(name);

    if (group->len != 1 || strcmp(e->file, want) == 0 || g_hash_table_contains(r->present, want))
        return 0;
    if (renameat2(r->vfd, e->file, r->vfd, want, RENAME_NOREPLACE) < 0)
        return vsErrErrno(error, errno, "%s/%s/%s: cannot rename to %s", r->dirpath, r->vm,
                          e->file, want);
    vsLegacyReportAdd(r->report, VS_LEGACY_PROBLEM_NAME_MISMATCH, r->vm, e->rel, NULL,
                      "%s: holds %s '%s' (libvirt names that file %s; it "
                      "loads it anyway)", e->rel, r->kind->noun, name, want);
    vsLegacyReportSetLastAction(r->report, "renamed to %s", want);
    return 0;
}

int
vsLegacyRepairDir(const vsMomentKind *kind, int dirfd, const char *dirpath, const char *vm,
                  vsLegacyReport *report, GError **error)
{
    g_autoptr(vsLegacyScan) scan = NULL;
    g_autofree char *vmpath = g_strdup_printf("%s/%s", dirpath, vm);
    Repair r = { .kind = kind, .dirfd = dirfd, .dirpath = dirpath, .vm = vm, .vfd = -1,
                 .aside = { .containerfd = -1, .fd = -1 }, .report = report };
    const GPtrArray *entries;
    int ret = -1;

    if (vsLegacyScanDir(&scan, kind, dirfd, dirpath, vm, NULL, NULL, error) < 0)
        return -1;
    if (!scan || vsLegacyScanGetEntries(scan)->len == 0)
        return 0;
    entries = vsLegacyScanGetEntries(scan);
    r.vfd = openat(dirfd, vm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (r.vfd < 0)
        return vsErrErrno(error, errno, "%s: cannot open", vmpath);
    r.present = g_hash_table_new(g_str_hash, g_str_equal);
    r.groups = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                     (GDestroyNotify) g_ptr_array_unref);
    r.order = g_ptr_array_new();
    for (guint i = 0; i < entries->len; i++) {
        vsLegacyEntry *e = entries->pdata[i];
        g_hash_table_insert(r.present, e->file, e);
    }

    if (repairTemps(&r, entries, error) < 0)
        goto cleanup;
    repairGroup(&r, entries);
    for (guint i = 0; i < r.order->len; i++) {
        if (repairDuplicates(&r, r.order->pdata[i],
                             g_hash_table_lookup(r.groups, r.order->pdata[i]), error) < 0)
            goto cleanup;
    }
    for (guint i = 0; i < r.order->len; i++) {
        if (repairName(&r, r.order->pdata[i], g_hash_table_lookup(r.groups, r.order->pdata[i]),
                       error) < 0)
            goto cleanup;
    }
    ret = vsAtomicSyncDir(r.vfd, vmpath, error);

 cleanup:
    close(r.vfd);
    vsLegacyAsideClear(&r.aside);
    g_hash_table_unref(r.present);
    g_hash_table_unref(r.groups);
    g_ptr_array_unref(r.order);
    return ret;
}
